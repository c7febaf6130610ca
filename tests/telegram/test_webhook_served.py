"""The webhook as `microstore serve` runs it (aiohttp's own runner, not the test server):
an update whose sender stops waiting is still handled to the end, and its reply still sent."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import aiohttp

from tests.servers import clean_env, free_port, serve

from . import updates as u
from .conftest import PUBLIC_URL, SECRET, WEBHOOK
from .fake_bot_api import FakeBotAPI

ALICE = 111


async def test_when_telegram_stops_waiting_the_last_reply_is_sent_as_a_call(
    fake_bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_env(
        MICROSTORE_SHOP__LOCALE="en",
        MICROSTORE_SERVER__PUBLIC_URL=PUBLIC_URL,
        MICROSTORE_TELEGRAM__TOKEN=fake_bot_api.token,
        MICROSTORE_TELEGRAM__MODE="webhook",
        MICROSTORE_TELEGRAM__WEBHOOK_SECRET=SECRET,
        MICROSTORE_TELEGRAM__API_SERVER=fake_bot_api.base_url,
    )
    proc = await serve(tmp_path, port, env=env)
    try:
        await fake_bot_api.wait_for("setWebhook")
        release = fake_bot_api.hold("getMe")  # the first update asks the bot's name: hold it
        async with aiohttp.ClientSession() as http:
            posting = asyncio.create_task(
                http.post(
                    f"http://127.0.0.1:{port}{WEBHOOK}",
                    json=u.message(ALICE, "/catalog"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
            )
            await fake_bot_api.arrived("getMe", within=10)
            posting.cancel()  # Telegram gives up on the webhook: the connection closes
            with contextlib.suppress(asyncio.CancelledError):
                await posting
        release.set()
        [sent] = await fake_bot_api.wait_for("sendMessage", within=10)
        assert sent["chat_id"] == ALICE and "Page 1 of" in sent["text"]  # the catalog
        [call] = [c for c in fake_bot_api.calls if c.method == "sendMessage"]
        assert call.content_type == "application/json"  # a call, not a webhook answer
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
