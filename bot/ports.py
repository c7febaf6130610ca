"""In-process and Redis implementations of the small ports: de-dup, key-value, chat state.

Which one runs is decided once in the composition root. A configured Redis that fails
raises; it never quietly turns into memory.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

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
    """SET NX per key. Every update asks, so the checks go together, on one connection of the
    pool kept for them (a pipeline taking one from the pool and giving it back cost a quarter
    more CPU: 121-123 µs a check with one in flight, 38-43 with four, against 87-96 and 28-33;
    bench/dedup.py): those asked within one turn of the event loop, and those asked while a
    batch is out, which would wait for it anyway, all go in the next one. Redis runs the
    commands one by one, so each key is first exactly once."""

    def __init__(self, redis: Redis, prefix: str = "ms:dedup:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._asked: list[tuple[str, int, asyncio.Future[bool]]] = []
        self._sender: asyncio.Task[None] | None = None  # sends batches while there are any
        self._connection: AbstractConnection | None = None  # closed with the client's pool

    async def first_time(self, key: str, ttl_seconds: int = 86400) -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        self._asked.append((self.prefix + key, ttl_seconds, answer))
        if self._sender is None:  # after this turn, so that its other checks go along
            self._sender = loop.create_task(self._send_asked())
        with redis_required():
            return await answer

    async def _send_asked(self) -> None:
        try:
            await asyncio.sleep(0)  # and the next turn's: the batch leaves two turns on, as before
            while self._asked:
                batch, self._asked = self._asked, []
                await self._send(batch)
        except asyncio.CancelledError:  # the loop is closing: nobody waits for an answer
            waiting, self._asked = self._asked, []
            for *_, answer in waiting:
                answer.cancel()
            raise
        finally:
            self._sender = None

    async def _send(self, batch: list[tuple[str, int, asyncio.Future[bool]]]) -> None:
        try:
            firsts = await self._set_nx([(key, ttl) for key, ttl, _ in batch])
        except asyncio.CancelledError:
            for *_, answer in batch:
                answer.cancel()
            raise
        except Exception as e:  # each asker gets it, as from its own command
            for *_, answer in batch:
                if not answer.done():
                    answer.set_exception(e)
            return
        for (*_, answer), first in zip(batch, firsts, strict=True):
            if not answer.done():  # its asker may have been cancelled meanwhile
                answer.set_result(first is not None)

    async def _set_nx(self, keys: list[tuple[str, int]]) -> list[Any]:
        pool = self.redis.connection_pool
        if self._connection is None:
            self._connection = await pool.get_connection()
        else:  # as the pool checks what it hands out: one that Redis closed is opened again
            await pool.ensure_connection(self._connection)
        conn = self._connection
        try:
            commands = [("SET", key, b"1", "NX", "EX", ttl) for key, ttl in keys]
            await conn.send_packed_command(conn.pack_commands(commands))
            return [await conn.read_response() for _ in keys]
        except BaseException:
            await conn.disconnect()  # what was sent or half read is unknown: start afresh
            raise


class RedisKV:
    def __init__(self, redis: Redis, prefix: str = "ms:kv:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def get(self, key: str) -> str | None:
        with redis_required():
            value = await self.redis.get(self.prefix + key)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, ttl_seconds: int = 86400) -> None:
        with redis_required():
            await self.redis.set(self.prefix + key, value, ex=ttl_seconds)

    async def set_many(self, entries: Sequence[tuple[str, str, int]]) -> None:
        """(key, value, ttl) entries in one round trip (not atomically)."""
        if not entries:
            return
        with redis_required():
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, value, ttl_seconds in entries:
                    pipe.set(self.prefix + key, value, ex=ttl_seconds)
                await pipe.execute()

    async def delete(self, key: str) -> None:
        with redis_required():
            await self.redis.delete(self.prefix + key)


class RedisStateStore:
    """Conversation state that survives a restart mid-checkout."""

    def __init__(self, redis: Redis, ttl: int = 24 * 3600, prefix: str = "ms:state:") -> None:
        self.redis = redis
        self.ttl = ttl
        self.prefix = prefix

    async def get(self, key: str) -> dict[str, Any] | None:
        with redis_required():
            raw = await self.redis.get(self.prefix + key)
        return json.loads(raw) if raw else None

    async def set(self, key: str, value: dict[str, Any]) -> None:
        with redis_required():
            await self.redis.set(
                self.prefix + key, json.dumps(value, ensure_ascii=False), ex=self.ttl
            )

    async def delete(self, key: str) -> None:
        with redis_required():
            await self.redis.delete(self.prefix + key)
