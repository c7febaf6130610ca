"""With Redis: processes share one access token and one record of messages seen.

Runs against a throwaway redis-server; skipped where none is installed.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.wechat.api import WeChatApi
from bot.wechat.token import RedisTokenCache
from tests.servers import throwaway_redis

from .conftest import APP_ID, SECRET, USER, HarnessFactory
from .fake_wechat_api import FakeWeChatApi
from .test_retries import cart_quantity
from .wire import fixture

SEND = "/cgi-bin/message/custom/send"
pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server not installed"
)


@pytest.fixture
async def redis_url(tmp_path: Path) -> AsyncIterator[str]:
    async with throwaway_redis(tmp_path) as url:
        yield url


async def test_two_processes_share_one_token(fake_api: FakeWeChatApi, redis_url: str) -> None:
    redis_a, redis_b = Redis.from_url(redis_url), Redis.from_url(redis_url)
    async with aiohttp.ClientSession() as s_a, aiohttp.ClientSession() as s_b:
        a = WeChatApi(s_a, fake_api.base_url, APP_ID, SECRET, RedisTokenCache(redis_a))
        b = WeChatApi(s_b, fake_api.base_url, APP_ID, SECRET, RedisTokenCache(redis_b))
        await asyncio.gather(*(api.send_text(USER, "hi") for api in (a, b) for _ in range(5)))
        assert len(fake_api.calls_to("/cgi-bin/stable_token")) == 1
        # A renews after 40001; B picks the new token up from Redis without fetching.
        fake_api.fail_next(SEND, 40001)
        await a.send_text(USER, "from a")
        await b.send_text(USER, "from b")
        assert len(fake_api.calls_to("/cgi-bin/stable_token")) == 2
        tokens = [c.query["access_token"] for c in fake_api.calls_to(SEND)[-2:]]
        assert tokens[0] == tokens[1]
    await redis_a.aclose()
    await redis_b.aclose()


async def test_retries_are_deduplicated_through_redis(
    make_harness: HarnessFactory, redis_url: str
) -> None:
    wx = await make_harness(redis_url=redis_url)
    await wx.say("/help")
    xml = fixture("text", content="/add 5")
    answers = await asyncio.gather(*(wx.post(xml) for _ in range(3)))
    raw = [await a.text() for a in answers]
    assert raw[0] == raw[1] == raw[2]
    await wx.settle()
    assert await cart_quantity() == 1
    # The options of an answer live in Redis too.
    await wx.say("/cart")
    assert (await wx.say("1")).content != (await wx.say("/help")).content
