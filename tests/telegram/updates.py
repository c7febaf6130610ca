"""Telegram updates as the Bot API sends them (JSON dicts), for driving the webhook."""

from __future__ import annotations

import itertools
import time
from typing import Any

from .fake_bot_api import BOT_ID, BOT_USERNAME

_update_ids = itertools.count(10_000)
_message_ids = itertools.count(1)
_query_ids = itertools.count(1)

GROUP_ID = -1001234567890


def user(user_id: int, name: str = "Alice", language_code: str | None = "en") -> dict[str, Any]:
    u: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": name}
    if language_code:
        u["language_code"] = language_code
    return u


def chat_of(chat_id: int, name: str = "Alice") -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": name}
    return {"id": chat_id, "type": "supergroup", "title": "Tea lovers"}


def next_update_id() -> int:
    return next(_update_ids)


def message(
    user_id: int,
    text: str,
    *,
    chat_id: int | None = None,
    name: str = "Alice",
    language_code: str | None = "en",
    update_id: int | None = None,
) -> dict[str, Any]:
    """A text message; commands carry a bot_command entity like Telegram's."""
    msg: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat_of(chat_id if chat_id is not None else user_id, name),
        "from": user(user_id, name, language_code),
        "text": text,
    }
    if text.startswith("/"):
        msg["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}
        ]
    return {"update_id": update_id or next_update_id(), "message": msg}


def callback(
    user_id: int,
    data: str,
    *,
    message_id: int,
    chat_id: int | None = None,
    text: str = "…",
    name: str = "Alice",
    language_code: str | None = "en",
    photo: bool = False,
) -> dict[str, Any]:
    """A pressed inline button on a message the bot sent."""
    chat = chat_of(chat_id if chat_id is not None else user_id, name)
    on: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Microstore",
            "username": BOT_USERNAME,
        },
    }
    if photo:
        on["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    else:
        on["text"] = text
    return {
        "update_id": next_update_id(),
        "callback_query": {
            "id": f"cq{next(_query_ids)}",
            "from": user(user_id, name, language_code),
            "chat_instance": "ci-1",
            "message": on,
            "data": data,
        },
    }


def pre_checkout(
    user_id: int,
    order_no: str,
    total_amount: int,
    currency: str = "CNY",
    *,
    language_code: str | None = "en",
) -> dict[str, Any]:
    return {
        "update_id": next_update_id(),
        "pre_checkout_query": {
            "id": f"pcq{next(_query_ids)}",
            "from": user(user_id, language_code=language_code),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": order_no,
        },
    }


def successful_payment(
    user_id: int,
    order_no: str,
    total_amount: int,
    currency: str = "CNY",
    *,
    charge_id: str = "tg-charge-1",
    provider_charge_id: str = "prov-charge-1",
    update_id: int | None = None,
) -> dict[str, Any]:
    return {
        "update_id": update_id or next_update_id(),
        "message": {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": chat_of(user_id),
            "from": user(user_id),
            "successful_payment": {
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": order_no,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": provider_charge_id,
            },
        },
    }
