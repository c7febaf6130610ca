"""In-process and Redis implementations of the small ports: de-dup, key-value, chat state.

Which one runs is decided once in the composition root. A configured Redis that fails
raises; it never quietly turns into memory.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.redis_batches import batches_of
from store.errors import Unavailable

MAX_MEMORY_KEYS = 100_000


@contextmanager
def redis_required() -> Iterator[None]:
    """A Redis that is down is a clear refusal to the person, never a silent fallback."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, OSError) as e:
        raise Unavailable() from e


class MemoryDedup:
    """Remembers recently seen keys for their TTL (bounded, oldest forgotten first)."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first_time(self, key: str, ttl_seconds: int = 86400) -> bool:
        now = time.monotonic()
        expires = self._seen.get(key)
        if expires is not None and expires > now:
            return False
        self._seen[key] = now + ttl_seconds
        self._seen.move_to_end(key)
        while len(self._seen) > MAX_MEMORY_KEYS:
            self._seen.popitem(last=False)
        return True


class MemoryKV:
    def __init__(self) -> None:
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def get(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    async def set(self, key: str, value: str, ttl_seconds: int = 86400) -> None:
        self._data[key] = (time.monotonic() + ttl_seconds, value)
        self._data.move_to_end(key)
        while len(self._data) > MAX_MEMORY_KEYS:
            self._data.popitem(last=False)

    async def set_many(self, entries: Sequence[tuple[str, str, int]]) -> None:
        for key, value, ttl_seconds in entries:
            await self.set(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)


class RedisDedup:
    """SET NX per key, in the client's shared batches (bot/redis_batches.py): Redis runs the
    commands one by one, so each key is first exactly once."""

    def __init__(self, redis: Redis, prefix: str = "ms:dedup:") -> None:
        self.batches = batches_of(redis)
        self.prefix = prefix

    async def first_time(self, key: str, ttl_seconds: int = 86400) -> bool:
        with redis_required():
            reply = await self.batches.run("SET", self.prefix + key, b"1", "NX", "EX", ttl_seconds)
        return reply is not None


class RedisKV:
    def __init__(self, redis: Redis, prefix: str = "ms:kv:") -> None:
        self.batches = batches_of(redis)
        self.prefix = prefix

    async def get(self, key: str) -> str | None:
        with redis_required():
            value = await self.batches.run("GET", self.prefix + key)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, ttl_seconds: int = 86400) -> None:
        with redis_required():
            await self.batches.run("SET", self.prefix + key, value, "EX", ttl_seconds)

    async def set_many(self, entries: Sequence[tuple[str, str, int]]) -> None:
        """(key, value, ttl) entries in one round trip (not atomically)."""
        if not entries:
            return
        with redis_required():
            await self.batches.run_many(
                [("SET", self.prefix + key, value, "EX", ttl) for key, value, ttl in entries]
            )

    async def delete(self, key: str) -> None:
        with redis_required():
            await self.batches.run("DEL", self.prefix + key)


class RedisStateStore:
    """Conversation state that survives a restart mid-checkout: JSON in keys of its own."""

    def __init__(self, redis: Redis, ttl: int = 24 * 3600, prefix: str = "ms:state:") -> None:
        self.kv = RedisKV(redis, prefix)
        self.ttl = ttl

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = await self.kv.get(key)
        return json.loads(raw) if raw else None

    async def set(self, key: str, value: dict[str, Any]) -> None:
        await self.kv.set(key, json.dumps(value, ensure_ascii=False), self.ttl)

    async def delete(self, key: str) -> None:
        await self.kv.delete(key)
