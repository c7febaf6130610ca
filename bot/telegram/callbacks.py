"""Callback data for inline buttons: at most 64 bytes, never truncated.

A button's payload (a command line such as ``/add 42 1``) travels as the callback
data when it fits. A longer one is kept server-side in ``runtime.kv`` (Redis when
configured) behind a short key derived from its content, so the same payload
always gets the same key and re-rendering a keyboard does not grow the store.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Protocol

MAX_CALLBACK_BYTES = 64
KEY_MARK = "~"  # callback data starting with this is a key, not a payload
KV_PREFIX = "telegram:cb:"
DEFAULT_TTL_SECONDS = 30 * 24 * 3600  # a keyboard older than a month may go stale


class KeyValue(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_seconds: int) -> None: ...


class CallbackCodec:
    def __init__(self, kv: KeyValue, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._kv = kv
        self._ttl = ttl_seconds

    @staticmethod
    def key_for(payload: str) -> str:
        digest = hashlib.sha256(payload.encode("utf-8")).digest()[:15]
        return KEY_MARK + base64.urlsafe_b64encode(digest).decode("ascii")  # 21 bytes

    @staticmethod
    def as_is(payload: str) -> bool:
        """Whether the payload travels as its own callback data (nothing stored)."""
        size = len(payload.encode("utf-8"))
        return 0 < size <= MAX_CALLBACK_BYTES and not payload.startswith(KEY_MARK)

    async def encode(self, payload: str) -> str:
        """The callback data for a payload: itself when it fits, else a stored short key."""
        if self.as_is(payload):
            return payload
        key = self.key_for(payload)
        await self._kv.set(KV_PREFIX + key[len(KEY_MARK) :], payload, self._ttl)
        return key

    async def decode(self, data: str) -> str | None:
        """The payload behind callback data; None when a stored key has expired."""
        if not data.startswith(KEY_MARK):
            return data
        return await self._kv.get(KV_PREFIX + data[len(KEY_MARK) :])
