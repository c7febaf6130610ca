"""One update at a time per person, within this process.

Telegram may deliver a person's updates concurrently (webhook connections, polling
tasks). Their conversation state (a checkout step by step) is read and written per
update, so two of their messages handled at once could lose a step. Updates of
different people still run in parallel.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody holds or waits: forget it
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
