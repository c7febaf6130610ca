"""Processes that share Redis, as the copies' tests need them (tests/test_shop_cache.py,
tests/test_identity_cache.py, tests/test_listings.py): each with its own services, Redis
connection and subscription, in this one test process."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from bot.cache_sync import CacheSync
from store.copies import Copies
from store.services import StoreServices

REDIS = os.environ.get("MICROSTORE_TEST_REDIS")
needs_redis = pytest.mark.skipif(
    not REDIS, reason="set MICROSTORE_TEST_REDIS=redis://127.0.0.1:6379/15 to run with Redis"
)


@contextlib.asynccontextmanager
async def process(
    channel: str, copies_of: Callable[[StoreServices], Copies]
) -> AsyncIterator[StoreServices]:
    """One process's services whose `copies_of` hear `channel`; its Redis connections are
    named after the channel, so a test can cut them."""
    services = StoreServices.build()
    copies = copies_of(services)
    redis = Redis.from_url(str(REDIS), client_name=channel)
    listening = asyncio.create_task(CacheSync(redis, {channel: copies}).listen())
    try:
        for _ in range(200):  # subscribed: it caches from now on
            if copies.live:
                break
            await asyncio.sleep(0.01)
        assert copies.live
        yield services
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        await redis.aclose()


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 2.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the other process never saw the change")
