"""Conversation state (multi-step input) behind a small port: in-process or Redis."""

from __future__ import annotations

import time
from typing import Any, Protocol

STATE_TTL_SECONDS = 24 * 3600


class StateStore(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...
    async def set(self, key: str, value: dict[str, Any]) -> None: ...
    async def delete(self, key: str) -> None: ...


class MemoryStateStore:
    """In-process default: fine for one process; lost on restart (Redis keeps it)."""

    def __init__(self, ttl: float = STATE_TTL_SECONDS) -> None:
        self._data: dict[str, tuple[float, dict[str, Any]]] = {}
        self._ttl = ttl

    async def get(self, key: str) -> dict[str, Any] | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            del self._data[key]
            return None
        return dict(value)

    async def set(self, key: str, value: dict[str, Any]) -> None:
        self._data[key] = (time.monotonic() + self._ttl, dict(value))

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)
