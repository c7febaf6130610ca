"""Fixtures: the Bot API stand-in, and the real app with the Telegram adapter mounted.

Updates go in through the real webhook endpoint (aiohttp's test client); what comes out
is read from the stand-in's record of Bot API calls. Nothing of ours is patched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.config import Settings, load_settings
from bot.runtime import Runtime, build_runtime
from store.demo import seed_demo

from . import updates as u
from .fake_bot_api import Call, FakeBotAPI

SECRET = "s3cret-Token_for-tests"
PUBLIC_URL = "https://shop.example.com"
WEBHOOK = "/telegram/webhook"


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


def make_settings(
    fake: FakeBotAPI,
    tmp_path: Path,
    *,
    shop: dict[str, Any] | None = None,
    redis: dict[str, Any] | None = None,
    database_url: str | None = None,
    **telegram: Any,
) -> Settings:
    tg: dict[str, Any] = {
        "token": fake.token,
        "mode": "webhook",
        "webhook_secret": SECRET,
        "api_server": fake.base_url,
        "provider_token": "284685063:TEST:provider",
        "currency": "CNY",
    }
    tg.update(telegram)
    return load_settings(
        None,
        database={"url": database_url or f"sqlite://{tmp_path / 'telegram.db'}"},
        server={"public_url": PUBLIC_URL},
        shop={"locale": "en", **(shop or {})},
        redis=redis or {},
        telegram={k: v for k, v in tg.items() if v is not None},
    )


@dataclass
class Harness:
    fake: FakeBotAPI
    client: TestClient
    runtime: Runtime

    async def post(self, update: Any, *, secret: str | None = SECRET) -> ClientResponse:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post(WEBHOOK, json=update, headers=headers)

    async def send(self, update: dict[str, Any]) -> None:
        """Deliver one update like Telegram does and wait for everything it caused."""
        resp = await self.post(update)
        assert resp.status == 200, await resp.text()
        await self.fake.webhook_answer(await resp.read())
        await self.settle()

    async def settle(self) -> None:
        await self.runtime.outbox.drain()

    # -- reading what the bot sent ------------------------------------------------------

    def to_chat(self, chat_id: int, *methods: str) -> list[Call]:
        """Successful sends to one chat, in order (sendMessage unless methods are named)."""
        wanted = methods or ("sendMessage",)
        return [
            c
            for c in self.fake.calls
            if c.ok and c.method in wanted and c.params.get("chat_id") == chat_id
        ]

    def last_to(self, chat_id: int, *methods: str) -> Call:
        sent = self.to_chat(chat_id, *methods)
        assert sent, f"nothing sent to {chat_id}: {[c.method for c in self.fake.calls]}"
        return sent[-1]

    @staticmethod
    def buttons(call: Call) -> list[dict[str, Any]]:
        """The buttons the message shows now (after any edits)."""
        markup = (call.result or {}).get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, call: Call, label: str) -> dict[str, Any]:
        for b in self.buttons(call):
            if label in b["text"]:
                return b
        raise AssertionError(f"no button {label!r} in {[b['text'] for b in self.buttons(call)]}")

    async def press(self, user_id: int, call: Call, label: str) -> None:
        """Press a button on a message the bot sent, like a person in the app."""
        message = call.result
        data = self.button(call, label)["callback_data"]
        await self.send(
            u.callback(
                user_id,
                data,
                message_id=message["message_id"],
                chat_id=message["chat"]["id"],
                text=message.get("text", ""),
                photo="photo" in message,
            )
        )


async def start_harness(fake: FakeBotAPI, settings: Settings) -> tuple[Harness, TestClient]:
    runtime = await build_runtime(settings, create_schema=True)
    await seed_demo(runtime.services)
    app = await build_app(runtime, simulator=False)
    client = TestClient(TestServer(app))
    await client.start_server()
    return Harness(fake, client, runtime), client


@pytest.fixture
async def tg(fake_bot_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Harness]:
    """Webhook mode, card payments through a provider, shop in CNY."""
    harness, client = await start_harness(fake_bot_api, make_settings(fake_bot_api, tmp_path))
    try:
        yield harness
    finally:
        await client.close()
        await harness.runtime.close()


@pytest.fixture
async def stars(fake_bot_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Harness]:
    """Webhook mode, Telegram Stars, shop priced in XTR."""
    settings = make_settings(
        fake_bot_api, tmp_path, shop={"currency": "XTR"}, provider_token=None, currency="XTR"
    )
    harness, client = await start_harness(fake_bot_api, settings)
    try:
        yield harness
    finally:
        await client.close()
        await harness.runtime.close()
