"""A database or Redis that cannot be reached gives a clear reply, not a traceback or a guess."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.config import ConfigError, load_settings
from bot.ports import RedisStateStore
from bot.runtime import build_runtime
from handlers.commands import FLOWS, ROUTERS
from handlers.engine import Engine
from handlers.types import Incoming
from store.errors import Unavailable
from tests.conftest import Chat

CLOSED_PORT = 1  # nothing listens on port 1 here


def message(text: str) -> Incoming:
    return Incoming(
        platform="sim",
        user_id="alice",
        chat_id="alice",
        text=text,
        message_id="m1",
        display_name="alice",
    )


async def test_redis_down_mid_conversation_is_a_clear_refusal(chat: Chat) -> None:
    dead = Redis.from_url(f"redis://127.0.0.1:{CLOSED_PORT}/0", socket_connect_timeout=0.5)
    runtime = chat.runtime
    engine = Engine(runtime.services, RedisStateStore(dead), ROUTERS, FLOWS, default_locale="en")
    replies = await engine.handle(message("Zhang San"))  # free text consults the state
    assert "can't reach" in replies[0].text and "nothing was changed" in replies[0].text
    with pytest.raises(Unavailable):
        await RedisStateStore(dead).get("x")
    await dead.aclose()


async def test_configured_redis_that_is_down_stops_start_up() -> None:
    settings = load_settings(
        database={"url": "sqlite://:memory:"}, redis={"url": f"redis://127.0.0.1:{CLOSED_PORT}/0"}
    )
    with pytest.raises(ConfigError, match=r"redis\.url: cannot reach Redis"):
        await build_runtime(settings, create_schema=True)


async def test_database_down_is_a_clear_reply() -> None:
    settings = load_settings(
        database={"url": f"postgres://postgres@127.0.0.1:{CLOSED_PORT}/test"},
        shop={"locale": "en"},
    )
    runtime = await build_runtime(settings)
    try:
        replies = await runtime.engine.handle(message("/catalog"))
        assert "can't reach its database" in replies[0].text
    finally:
        await runtime.close()
