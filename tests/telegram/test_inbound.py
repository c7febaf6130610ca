"""Reading Telegram's JSON without aiogram's models: what the webhook reads must be what
polling reads from aiogram's validated Update, and malformed parts are refused."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import Update

from bot.telegram.convert import callback_to_incoming, message_to_incoming
from bot.telegram.router import read_update

from . import updates as u
from .fake_bot_api import BOT_USERNAME

ALICE = 111
BOT = Bot("42:TEST")


def _group_topic_message() -> dict[str, Any]:
    update = u.message(ALICE, "/catalog", chat_id=u.GROUP_ID)
    update["message"].update(message_thread_id=7, is_topic_message=True)
    update["message"]["from"]["last_name"] = "Smith"
    return update


def _reply_to_bot() -> dict[str, Any]:
    update = u.message(ALICE, "my answer")
    update["message"]["reply_to_message"] = {
        "message_id": 1,
        "date": 1,
        "chat": update["message"]["chat"],
        "from": {"id": 42, "is_bot": True, "first_name": "Shop"},
        "text": "Ticket T1\n⤷ /reply T1",
    }
    return update


def _anonymous_admin() -> dict[str, Any]:
    update = u.message(ALICE, "/bindgroup", chat_id=u.GROUP_ID)
    update["message"]["sender_chat"] = update["message"]["chat"]
    return update


def _moved_group() -> dict[str, Any]:
    update = u.message(ALICE, "x", chat_id=-5)
    del update["message"]["text"]
    update["message"]["migrate_to_chat_id"] = u.GROUP_ID
    return update


def _inaccessible_press() -> dict[str, Any]:
    press = u.callback(ALICE, "/catalog 2", message_id=9)
    press["callback_query"]["message"] = {"message_id": 9, "date": 0, "chat": u.chat_of(ALICE)}
    return press


def _inline_press() -> dict[str, Any]:
    press = u.callback(ALICE, "/catalog 2", message_id=9)
    del press["callback_query"]["message"]
    press["callback_query"]["inline_message_id"] = "im1"
    return press


UPDATES = {
    "private message": u.message(ALICE, "/start shop_demo", language_code="zh-hans"),
    "no language": u.message(ALICE, "你好", language_code=None),
    "forum topic, last name": _group_topic_message(),
    "reply to the bot": _reply_to_bot(),
    "anonymous admin": _anonymous_admin(),
    "group moved": _moved_group(),
    "button on text": u.callback(ALICE, "/add 1 1", message_id=3),
    "button on a photo": u.callback(ALICE, "/add 1 1", message_id=3, photo=True),
    "button on an old message": _inaccessible_press(),
    "button on an inline message": _inline_press(),
    "edited message": {"update_id": 5, "edited_message": u.message(ALICE, "x")["message"]},
}


@pytest.mark.parametrize("name", UPDATES)
def test_webhook_and_polling_read_an_update_alike(name: str) -> None:
    raw = UPDATES[name]
    validated = Update.model_validate(raw).model_dump(by_alias=True, exclude_none=True)
    assert read_update(raw, BOT) == read_update(validated, BOT)


def test_what_is_read_is_what_the_engine_gets() -> None:
    read = read_update(_group_topic_message(), BOT)
    assert read.message is not None and read.message.topic == 7
    incoming = message_to_incoming(read.message, BOT_USERNAME)
    assert incoming is not None
    assert incoming.display_name == "Alice Smith"
    assert (incoming.is_group, incoming.chat_id) == (True, str(u.GROUP_ID))

    reply = read_update(_reply_to_bot(), BOT).message
    assert reply is not None and reply.replied_bot_text.endswith("⤷ /reply T1")

    press = read_update(_inaccessible_press(), BOT).press
    assert press is not None and press.message is not None and not press.message.accessible
    assert callback_to_incoming(press, "/catalog 2", BOT_USERNAME).text == "/catalog 2"

    inline = read_update(_inline_press(), BOT).press
    assert inline is not None and inline.message is None
    assert callback_to_incoming(inline, "/cart", BOT_USERNAME).chat_id == str(ALICE)


def test_payments_are_read_by_aiogram() -> None:
    read = read_update(u.pre_checkout(ALICE, "N1", 100), BOT)
    assert read.is_payment and read.paid is not None and read.paid.pre_checkout_query is not None
    paid = read_update(u.successful_payment(ALICE, "N1", 100), BOT)
    assert paid.message is None and paid.paid is not None and paid.paid.message is not None


def _with(update: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    part = update
    for key in path[:-1]:
        part = part[key]
    part[path[-1]] = value
    return update


@pytest.mark.parametrize(
    "update",
    [
        _with(u.message(ALICE, "/cart"), ("message", "chat", "id"), True),
        _with(u.message(ALICE, "/cart"), ("message", "chat", "id"), "111"),
        _with(u.message(ALICE, "/cart"), ("message", "message_id"), None),
        _with(u.message(ALICE, "/cart"), ("message", "from"), "alice"),
        _with(u.message(ALICE, "/cart"), ("message", "from", "id"), 1.5),
        _with(u.message(ALICE, "/cart"), ("message", "text"), ["/cart"]),
        _with(u.message(ALICE, "/cart"), ("message",), "/cart"),
        _with(u.callback(ALICE, "/cart", message_id=1), ("callback_query", "data"), 5),
        _with(u.callback(ALICE, "/cart", message_id=1), ("callback_query", "from"), None),
        _with(u.callback(ALICE, "/cart", message_id=1), ("callback_query",), []),
        _with(u.pre_checkout(ALICE, "N1", 100), ("pre_checkout_query", "total_amount"), "x"),
        {"update_id": True, "message": u.message(ALICE, "/cart")["message"]},
    ],
)
def test_malformed_parts_are_refused(update: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        read_update(update, BOT)
