"""Telegram updates -> the neutral ``Incoming``.

Pure functions: no network, no storage. What is addressed to the bot becomes an
``Incoming``; group chatter and commands for other bots become ``None``.
"""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Chat, Message, User

from handlers.types import Incoming

PLATFORM = "telegram"
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


def is_group(chat: Chat) -> bool:
    return chat.type in GROUP_TYPES


def topic_of(message: Message) -> int | None:
    """The forum topic a group message was written in; None outside forums (in other
    supergroups `message_thread_id` names a reply thread, which answers don't go into)."""
    return message.message_thread_id if message.is_topic_message else None


def addressed_text(text: str, bot_username: str, *, in_group: bool) -> str | None:
    """The command line meant for this bot, with any ``@thisbot`` removed.

    ``/catalog@thisbot 2`` -> ``/catalog 2``; ``/catalog@otherbot`` -> None. In a group
    only commands are for us (everything else is people talking to each other).
    """
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None if in_group else stripped
    head, sep, rest = stripped.partition(" ")
    command, at, mention = head.partition("@")
    if at and mention.lower() != bot_username.lower():
        return None
    if command == "/":
        return None if in_group else stripped
    return f"{command}{sep}{rest}" if rest else command


def split_start(text: str) -> tuple[str, str | None]:
    """``/start shop_demo`` -> (``/start``, ``shop_demo``); other text unchanged."""
    command, _, payload = text.partition(" ")
    if command != "/start":
        return text, None
    return command, (payload.strip() or None)


def _display_name(user: User | None) -> str:
    return user.full_name if user is not None else ""


def message_to_incoming(message: Message, bot_username: str) -> Incoming | None:
    """A text message -> Incoming, or None when it is not for the bot."""
    if message.from_user is None or message.from_user.is_bot or message.text is None:
        return None
    group = is_group(message.chat)
    if message.chat.type not in GROUP_TYPES and message.chat.type != ChatType.PRIVATE:
        return None  # channels
    text = addressed_text(message.text, bot_username, in_group=group)
    if not text:
        return None
    text, payload = split_start(text)
    return Incoming(
        platform=PLATFORM,
        user_id=str(message.from_user.id),
        chat_id=str(message.chat.id),
        text=text,
        message_id=f"{message.chat.id}:{message.message_id}",
        is_group=group,
        start_payload=payload,
        display_name=_display_name(message.from_user),
        account=bot_username,
        reply_to_text=_replied_bot_text(message),
    )


def anonymous_command(message: Message, bot_username: str) -> bool:
    """A command for this bot from a group admin who remains anonymous. Telegram sends it in
    the group's name (`sender_chat` is the group itself, `from` its GroupAnonymousBot), so
    nobody can tell who sent it and it can't be answered as anyone's command. Anything else
    sent that way is chatter, ignored as anyone's is."""
    if message.text is None or not is_group(message.chat) or message.sender_chat is None:
        return False
    if message.sender_chat.id != message.chat.id:
        return False  # a channel's post or a member writing as their channel
    return addressed_text(message.text, bot_username, in_group=True) is not None


def _replied_bot_text(message: Message) -> str:
    """The text of the bot's message this one replies to; a reply to anyone else is ignored."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return ""
    return replied.text or ""


def callback_to_incoming(query: CallbackQuery, payload: str, bot_username: str) -> Incoming:
    """A pressed button -> the same Incoming as typing its payload."""
    message = query.message
    chat = message.chat if message is not None else None
    text, start_payload = split_start(payload)
    return Incoming(
        platform=PLATFORM,
        user_id=str(query.from_user.id),
        chat_id=str(chat.id if chat is not None else query.from_user.id),
        text=text,
        message_id=f"cb:{query.id}",
        is_group=chat is not None and is_group(chat),
        start_payload=start_payload,
        display_name=_display_name(query.from_user),
        via_button=True,
        account=bot_username,
    )
