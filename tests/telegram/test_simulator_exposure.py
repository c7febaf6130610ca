"""The chat simulator answers anyone as any simulator user, without signing in: beside a real
platform it is not served, unless the configuration asks for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.config import Settings
from bot.runtime import build_runtime
from store.demo import seed_demo

from .conftest import make_settings
from .fake_bot_api import FakeBotAPI


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[TestClient]:
    """The app as `microstore serve` builds it (no simulator argument)."""
    runtime = await build_runtime(settings, create_schema=True)
    await seed_demo(runtime.services)  # the demo shop belongs to the simulator's "merchant"
    client = TestClient(TestServer(await build_app(runtime)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        await runtime.close()


async def test_no_simulator_beside_telegram(fake_bot_api: FakeBotAPI, tmp_path: Path) -> None:
    async with served(make_settings(fake_bot_api, tmp_path)) as client:
        impersonate = {"user": "merchant", "text": "/dashboard"}
        assert (await client.post("/sim/api/send", json=impersonate)).status == 404
        assert (await client.get("/sim/api/inbox", params={"user": "merchant"})).status == 404
        assert (await client.get("/sim")).status == 404
        assert (await client.get("/healthz")).status == 200


async def test_the_simulator_beside_telegram_when_asked(
    fake_bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    settings = make_settings(fake_bot_api, tmp_path)
    settings = settings.model_copy(
        update={"server": settings.server.model_copy(update={"simulator": True})}
    )
    async with served(settings) as client:
        resp = await client.post("/sim/api/send", json={"user": "alice", "text": "/help"})
        assert resp.status == 200
