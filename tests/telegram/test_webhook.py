"""The webhook endpoint: start-up registration, secret token, bad input, exactly-once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import ConfigError
from bot.runtime import build_runtime
from store.demo import DEMO_SLUG

from . import updates as u
from .conftest import PUBLIC_URL, SECRET, WEBHOOK, Harness, make_settings
from .fake_bot_api import FakeBotAPI

ALICE = 111


async def test_startup_sets_webhook_with_secret_and_publishes_menus(tg: Harness) -> None:
    hook = tg.fake.sent("setWebhook")
    assert len(hook) == 1
    assert hook[0]["url"] == PUBLIC_URL + WEBHOOK
    assert hook[0]["secret_token"] == SECRET
    assert set(hook[0]["allowed_updates"]) >= {"message", "callback_query", "pre_checkout_query"}
    menus = {
        (c.get("language_code") or "default"): c["commands"] for c in tg.fake.sent("setMyCommands")
    }
    assert set(menus) == {"default", "zh"}
    names = [c["command"] for c in menus["default"]]
    assert {"start", "catalog", "cart", "orders", "help"} <= set(names)
    assert "addproduct" not in names  # merchants' commands are not in the customers' menu
    assert [c["command"] for c in menus["zh"]] == names


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_wrong_or_missing_secret_is_401_and_nothing_happens(
    tg: Harness, secret: str | None
) -> None:
    update = u.message(ALICE, "/catalog")
    resp = await tg.post(update, secret=secret)
    assert resp.status == 401
    await tg.settle()
    assert tg.fake.methods() == []
    # the refused delivery did not use up the update: the genuine one is processed
    await tg.send(update)
    assert tg.to_chat(ALICE)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[1, 2]",
        b'"text"',
        b'{"message": {}}',
        b'{"update_id": "7"}',
        b'{"update_id": 7, "message": {"text": 5}}',
        b"\xff\xfe",
    ],
)
async def test_malformed_body_is_400(tg: Harness, body: bytes) -> None:
    resp = await tg.client.post(
        WEBHOOK,
        data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert resp.status == 400
    assert tg.fake.methods() == []


async def test_unknown_and_unhandled_update_types_are_ignored_with_200(tg: Harness) -> None:
    unknown = {"update_id": u.next_update_id(), "brand_new_kind": {"id": 1, "foo": "bar"}}
    resp = await tg.post(unknown)
    assert resp.status == 200
    edited = u.message(ALICE, "/catalog")
    edited["edited_message"] = edited.pop("message")
    resp = await tg.post(edited)
    assert resp.status == 200
    sticker = u.message(ALICE, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    assert (await tg.post(sticker)).status == 200
    await tg.settle()
    assert tg.fake.methods() == []


async def test_same_update_three_times_concurrently_has_one_effect(tg: Harness) -> None:
    shop = await tg.runtime.services.shops.by_slug(DEMO_SLUG)
    page = await tg.runtime.services.catalog.browse(shop.id)
    pid = page.products[0].id
    update = u.message(ALICE, f"/add {pid} 1")
    responses = await asyncio.gather(*(tg.post(update) for _ in range(3)))
    assert [r.status for r in responses] == [200, 200, 200]
    answers = [await r.read() for r in responses]
    assert sorted(b"sendMessage" in a for a in answers) == [False, False, True]
    for answer in answers:  # Telegram runs what each answer names
        await tg.fake.webhook_answer(answer)
    await tg.settle()
    assert len(tg.to_chat(ALICE)) == 1
    ident = await tg.runtime.services.people.identify("telegram", str(ALICE))
    cart = await tg.runtime.services.carts.get(ident.person_id, shop.id)  # type: ignore[attr-defined]
    assert [(line.product.id, line.quantity) for line in cart.lines] == [(pid, 1)]
    # a later delivery of the same update is dropped too
    await tg.send(update)
    assert len(tg.to_chat(ALICE)) == 1


async def test_a_failing_bot_api_never_crashes_the_webhook(tg: Harness) -> None:
    await tg.send(u.message(ALICE, "/catalog"))
    page = tg.last_to(ALICE)
    tg.fake.fail("editMessageText", 500, "Internal Server Error: try later")
    await tg.press(ALICE, page, "Next")  # answered 200 (Harness.send checks)
    assert tg.fake.attempts("editMessageText")[-1].status == 500
    assert tg.fake.sent("answerCallbackQuery")  # the press still stops the spinner
    await tg.press(ALICE, page, "Next")  # and the next update works
    assert tg.fake.sent("editMessageText")


async def test_webhook_mode_needs_a_secret(fake_bot_api: FakeBotAPI, tmp_path: Path) -> None:
    settings = make_settings(fake_bot_api, tmp_path, webhook_secret=None)
    runtime = await build_runtime(settings, create_schema=True)
    try:
        with pytest.raises(ConfigError, match="webhook_secret"):
            await build_app(runtime, simulator=False)
        settings = make_settings(fake_bot_api, tmp_path, webhook_secret="has spaces")
        runtime.settings = settings
        with pytest.raises(ConfigError, match="webhook_secret"):
            await build_app(runtime, simulator=False)
    finally:
        await runtime.close()


async def test_webhook_mode_needs_https_and_a_real_token(
    fake_bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    settings = make_settings(fake_bot_api, tmp_path)
    runtime = await build_runtime(settings, create_schema=True)
    try:
        runtime.settings = settings.model_copy(
            update={
                "server": settings.server.model_copy(
                    update={"public_url": "http://shop.example.com"}
                )
            }
        )
        with pytest.raises(ConfigError, match="public_url"):
            await build_app(runtime, simulator=False)
        runtime.settings = make_settings(fake_bot_api, tmp_path, token="not-a-token")
        with pytest.raises(ConfigError, match=r"telegram\.token"):
            await build_app(runtime, simulator=False)
    finally:
        await runtime.close()
