"""Announcing a change when Redis can't take it: logged, never raised after the commit
(the others' copies still expire; the processes' side is in tests/test_listings.py and
tests/test_identity_cache.py)."""

from __future__ import annotations

import logging

import pytest
from redis.asyncio import Redis

from bot.cache_sync import SHOPS, CacheSync
from store.copies import Copies
from tests.servers import free_port


async def test_an_announcement_redis_cannot_take_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")  # as the runtime makes it
    kept = Copies()
    CacheSync(redis, {SHOPS: kept})
    assert kept.announce is not None
    try:
        with caplog.at_level(logging.WARNING, logger="bot.cache_sync"):
            await kept.announce("7")
    finally:
        await redis.aclose()
    assert "could not announce a change on ms:shop-changed (7)" in caplog.text
