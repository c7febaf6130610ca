"""The last reply of an update travels in the webhook's answer: a Bot API method in the
response body, which Telegram runs. What must be sent for certain still goes as a call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import updates as u
from .conftest import Harness, make_settings, start_harness
from .fake_bot_api import FakeBotAPI
from .flows import checkout_to_invoice

ALICE = 111


async def _answer(tg: Harness, update: dict[str, Any]) -> dict[str, Any]:
    """Post one update; the webhook's answer, after making sure nothing else was sent."""
    resp = await tg.post(update)
    assert resp.status == 200
    assert resp.content_type == "application/json"
    body = await resp.read()
    await tg.fake.webhook_answer(body)  # what Telegram does with it
    await tg.settle()
    return json.loads(body)  # type: ignore[no-any-return]


async def test_a_typed_command_is_answered_in_the_webhook_response(tg: Harness) -> None:
    tg.fake.clear()
    answer = await _answer(tg, u.message(ALICE, "/catalog"))
    assert answer["method"] == "sendMessage"
    assert answer["chat_id"] == ALICE
    assert answer["parse_mode"] == "HTML"  # the bot's defaults apply as they do to calls
    assert "&lt;id&gt;" in answer["text"]  # escaped as every reply is
    assert answer["reply_markup"]["inline_keyboard"]
    # no Bot API call was made for it (getMe: the bot's name, asked once); the stand-in ran
    # the answer and accepted it
    calls = [c for c in tg.fake.calls if c.method != "getMe"]
    assert [(c.method, c.content_type, c.ok) for c in calls] == [
        ("sendMessage", "webhook answer", True)
    ]
    assert tg.last_to(ALICE).params["text"] == answer["text"]


async def test_a_button_press_edits_by_call_and_answers_the_query_in_the_response(
    tg: Harness,
) -> None:
    await tg.send(u.message(ALICE, "/catalog"))
    page = tg.last_to(ALICE)
    tg.fake.clear()
    press = u.callback(
        ALICE,
        tg.button(page, "Next")["callback_data"],
        message_id=page.result["message_id"],
        text=page.result["text"],
    )
    answer = await _answer(tg, press)
    assert answer == {
        "method": "answerCallbackQuery",
        "callback_query_id": press["callback_query"]["id"],
    }
    # the edit went first, as a call, so its failure could fall back to a new message
    assert [(c.method, c.content_type) for c in tg.fake.calls] == [
        ("editMessageText", "application/json"),
        ("answerCallbackQuery", "webhook answer"),
    ]


async def test_an_invoice_and_the_replies_before_the_last_are_calls(tg: Harness) -> None:
    await checkout_to_invoice(tg, ALICE)  # ends with the Confirm press
    invoice = tg.fake.successful("sendInvoice")[-1]
    assert invoice.content_type == "application/json"  # a call: its outcome matters
    tg.fake.clear()
    answer = await _answer(tg, u.message(ALICE, "/orders"))
    assert answer["method"] == "sendMessage"


async def test_without_payments_the_placed_order_is_answered_in_the_response(
    fake_bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    settings = make_settings(fake_bot_api, tmp_path, provider_token=None)  # payments off
    tg, client = await start_harness(fake_bot_api, settings)
    try:
        for text in ("/add 1 1", "/checkout", "Alice Zhang", "13800138000", "1 Tea Street"):
            await tg.send(u.message(ALICE, text))
        tg.fake.clear()
        answer = await _answer(tg, u.message(ALICE, "/checkout confirm"))
        assert answer["method"] == "sendMessage" and "placed" in answer["text"]
        # no invoice follows it, so nothing had to go first as a call
        assert [(c.method, c.content_type) for c in tg.fake.calls] == [
            ("sendMessage", "webhook answer")
        ]
    finally:
        await client.close()
        await tg.runtime.close()


async def test_a_personal_reply_in_a_group_is_a_call_to_the_private_chat(tg: Harness) -> None:
    group = -1001234
    await tg.send(u.message(ALICE, "/help"))  # Alice has talked to the bot privately
    tg.fake.clear()
    answer = await _answer(tg, u.message(ALICE, "/orders", chat_id=group))
    assert answer == {}
    [sent] = tg.fake.calls
    assert (sent.method, sent.params["chat_id"], sent.content_type) == (
        "sendMessage",
        ALICE,
        "application/json",
    )
