"""The one-sender-per-bot lock on real Redis."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.broadcast.lock import RedisLock

REDIS_ENV = "MICROSTORE_TEST_REDIS"
pytestmark = pytest.mark.skipif(
    not os.environ.get(REDIS_ENV), reason=f"set {REDIS_ENV}=redis://... to run"
)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(os.environ[REDIS_ENV])
    yield client
    await client.aclose()


async def test_one_holder_renewed_past_its_ttl_then_handed_over(redis: Redis) -> None:
    key = f"test:lock:{secrets.token_hex(4)}"
    a, b = RedisLock(redis, key, 0.3), RedisLock(redis, key, 0.3)
    try:
        assert await a.acquire()
        assert not await b.acquire()
        await asyncio.sleep(0.7)  # past the TTL: renewed, still held
        assert a.held and not await b.acquire()
        await a.release()
        assert not a.held
        assert await b.acquire()
    finally:
        await a.release()
        await b.release()


async def test_a_lost_lock_stops_the_holder(redis: Redis) -> None:
    key = f"test:lock:{secrets.token_hex(4)}"
    a = RedisLock(redis, key, 0.3)
    try:
        assert await a.acquire()
        await redis.set(key, "someone else")  # e.g. it expired during a long pause
        await asyncio.sleep(0.25)
        assert not a.held
        await a.release()
        assert await redis.get(key) == b"someone else"  # never deletes another's lock
    finally:
        await redis.delete(key)
