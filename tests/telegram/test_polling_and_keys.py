"""Long polling as part of the app's lifecycle; long button payloads kept behind keys."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.runtime import build_runtime
from bot.telegram.callbacks import KEY_MARK
from handlers.types import Button, Outgoing, Reply
from store.demo import seed_demo

from . import updates as u
from .conftest import WEBHOOK, Harness, make_settings
from .fake_bot_api import FakeBotAPI

ALICE = 111


async def test_polling_mode_runs_with_the_app(fake_bot_api: FakeBotAPI, tmp_path: Path) -> None:
    settings = make_settings(fake_bot_api, tmp_path, mode="polling", webhook_secret=None)
    runtime = await build_runtime(settings, create_schema=True)
    await seed_demo(runtime.services)
    client = TestClient(TestServer(await build_app(runtime, simulator=False)))
    await client.start_server()
    try:
        fake_bot_api.push_update(u.message(ALICE, "/catalog"))
        [sent] = await fake_bot_api.wait_for("sendMessage")
        assert sent["chat_id"] == ALICE
        assert fake_bot_api.sent("deleteWebhook") and not fake_bot_api.sent("setWebhook")
        assert fake_bot_api.sent("setMyCommands")
        resp = await client.post(WEBHOOK, json=u.message(ALICE, "/catalog"))
        assert resp.status in (404, 405)  # no webhook endpoint in polling mode
    finally:
        await client.close()  # stops polling
        await runtime.close()
    polls = len(fake_bot_api.sent("getUpdates"))
    assert polls >= 1


async def test_long_payload_round_trips_through_a_short_key(tg: Harness) -> None:
    query = "Handmade nougat " * 4  # a 72-byte /search command: too long for callback data
    payload = f"/search {query.strip()}"
    assert len(payload.encode()) > 64
    tg.runtime.outbox.send(
        Outgoing(
            "telegram", str(ALICE), Reply(text="Try this", buttons=((Button("Search", payload),),))
        )
    )
    await tg.settle()
    offer = tg.last_to(ALICE)
    data = tg.button(offer, "Search")["callback_data"]
    assert data.startswith(KEY_MARK) and len(data.encode()) <= 64
    await tg.press(ALICE, offer, "Search")
    answer = tg.last_to(ALICE)
    assert answer is not offer
    assert "Handmade nougat Handmade nougat" in answer.params["text"]  # the whole query came back


async def test_expired_key_answers_the_press_and_does_nothing_else(tg: Harness) -> None:
    await tg.send(u.callback(ALICE, KEY_MARK + "gone-gone-gone", message_id=1))
    [answer] = tg.fake.sent("answerCallbackQuery")
    assert answer["show_alert"] is True and answer["text"]
    assert tg.to_chat(ALICE) == [] and tg.fake.sent("editMessageText") == []
