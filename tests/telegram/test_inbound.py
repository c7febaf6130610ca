"""Reading Telegram's JSON without aiogram's models: what the webhook reads must be what
polling reads from aiogram's validated Update, and malformed parts are refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import Update
from hypothesis import given, settings
from hypothesis import strategies as st

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


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


def _shaped(draw_part: Any, junk: dict[str, Any]) -> dict[str, Any]:
    """A real update with parts replaced by garbage, at any depth the reader looks."""
    update = draw_part
    for path, value in junk.items():
        part = update
        keys = path.split(".")
        for key in keys[:-1]:
            part = part.get(key) if isinstance(part, dict) else None
            if not isinstance(part, dict):
                break
        else:
            part[keys[-1]] = value
    return update


PATHS = [
    "message", "message.chat", "message.chat.id", "message.chat.type", "message.from",
    "message.from.id", "message.from.is_bot", "message.from.first_name",
    "message.from.last_name", "message.from.language_code", "message.text",
    "message.message_id", "message.message_thread_id", "message.is_topic_message",
    "message.sender_chat", "message.reply_to_message", "message.migrate_to_chat_id",
    "message.date", "callback_query", "callback_query.from", "callback_query.data",
    "callback_query.message", "callback_query.id", "update_id",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from(list(UPDATES.values())),
    junk=st.dictionaries(st.sampled_from(PATHS), JSON, max_size=3),
)
def test_garbage_in_any_part_read_is_a_value_error_never_a_crash(
    base: dict[str, Any], junk: dict[str, Any]
) -> None:
    update = _shaped(copy.deepcopy(base), junk)
    try:
        read = read_update(update, BOT)
    except ValueError:
        return
    if read.message is not None:  # what was read has the types the adapter relies on
        assert type(read.message.chat_id) is int and type(read.message.message_id) is int
        assert read.message.text is None or isinstance(read.message.text, str)
        message_to_incoming(read.message, BOT_USERNAME)
    if read.press is not None:
        assert type(read.press.sender.id) is int and isinstance(read.press.data, str)
        callback_to_incoming(read.press, read.press.data, BOT_USERNAME)
