"""The chat's updates as read straight from Telegram's JSON: text messages and button
presses, the traffic every customer makes.

Validating a whole `aiogram.types.Update` (pydantic, dozens of nested models) and routing it
through aiogram's dispatcher cost more CPU than the store's own work for a browsing message.
So the few fields the chat uses are read here, each checked for its type: an update whose
parts we read are malformed is refused (`ValueError`), as pydantic would refuse it. What is
not chat traffic (a payment, a pre-checkout query) is still validated by aiogram and handed
to its own types, see `bot.telegram.router`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GROUP_TYPES = frozenset({"group", "supergroup"})


@dataclass(frozen=True, slots=True)
class Sender:
    id: int
    is_bot: bool
    full_name: str
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    message_id: int
    chat_id: int
    chat_type: str
    sender: Sender | None
    text: str | None = None
    # The forum topic it was written in; None outside forums (in other supergroups
    # `message_thread_id` names a reply thread, which answers don't go into).
    topic: int | None = None
    sender_chat_id: int | None = None  # written in a chat's name (an anonymous admin)
    replied_bot_text: str = ""  # the text of the bot's message this one replies to
    migrate_to_chat_id: int | None = None
    migrate_from_chat_id: int | None = None
    accessible: bool = True  # a button's message can be older than the bot may touch

    @property
    def is_group(self) -> bool:
        return self.chat_type in GROUP_TYPES


@dataclass(frozen=True, slots=True)
class ButtonPress:
    id: str
    sender: Sender
    data: str
    message: ChatMessage | None  # None for a button on an inline-mode message


def _get(d: dict[str, Any], key: str, kind: type, *, required: bool = False) -> Any:
    value = d.get(key)
    if value is None:
        if required:
            raise ValueError(f"{key} missing")
        return None
    # type() and not isinstance(): JSON's true is no chat id
    if type(value) is not kind:
        raise ValueError(f"{key} is not {kind.__name__}")
    return value


def _sender(d: dict[str, Any] | None) -> Sender | None:
    if d is None:
        return None
    first = _get(d, "first_name", str) or ""
    last = _get(d, "last_name", str)
    return Sender(
        id=_get(d, "id", int, required=True),
        is_bot=bool(_get(d, "is_bot", bool)),
        full_name=f"{first} {last}" if last else first,
        language_code=_get(d, "language_code", str),
    )


def read_message(d: dict[str, Any]) -> ChatMessage:
    chat = _get(d, "chat", dict, required=True)
    replied = _get(d, "reply_to_message", dict)
    replied_from = _sender(_get(replied, "from", dict)) if replied else None
    sender_chat = _get(d, "sender_chat", dict)
    return ChatMessage(
        message_id=_get(d, "message_id", int, required=True),
        chat_id=_get(chat, "id", int, required=True),
        chat_type=_get(chat, "type", str, required=True),
        sender=_sender(_get(d, "from", dict)),
        text=_get(d, "text", str),
        topic=_get(d, "message_thread_id", int) if _get(d, "is_topic_message", bool) else None,
        sender_chat_id=_get(sender_chat, "id", int, required=True) if sender_chat else None,
        replied_bot_text=(
            _get(replied, "text", str) or ""
            if replied and replied_from is not None and replied_from.is_bot
            else ""
        ),
        migrate_to_chat_id=_get(d, "migrate_to_chat_id", int),
        migrate_from_chat_id=_get(d, "migrate_from_chat_id", int),
        accessible=_get(d, "date", int) != 0,  # Telegram's mark of an inaccessible message
    )


def read_button_press(d: dict[str, Any]) -> ButtonPress:
    sender = _sender(_get(d, "from", dict, required=True))
    assert sender is not None
    message = _get(d, "message", dict)
    return ButtonPress(
        id=_get(d, "id", str, required=True),
        sender=sender,
        data=_get(d, "data", str) or "",
        message=read_message(message) if message is not None else None,
    )
