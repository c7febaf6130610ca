"""Telegram updates -> the neutral ``Incoming``.

Pure functions: no network, no storage. What is addressed to the bot becomes an
``Incoming``; group chatter and commands for other bots become ``None``.
"""

from __future__ import annotations

from bot.telegram.inbound import ButtonPress, ChatMessage
from handlers.types import Incoming

PLATFORM = "telegram"


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


def message_to_incoming(message: ChatMessage, bot_username: str) -> Incoming | None:
    """A text message -> Incoming, or None when it is not for the bot."""
    sender = message.sender
    if sender is None or sender.is_bot or message.text is None:
        return None
    group = message.is_group
    if not group and message.chat_type != "private":
        return None  # channels
    text = addressed_text(message.text, bot_username, in_group=group)
    if not text:
        return None
    text, payload = split_start(text)
    return Incoming(
        platform=PLATFORM,
        user_id=str(sender.id),
        chat_id=str(message.chat_id),
        text=text,
        message_id=f"{message.chat_id}:{message.message_id}",
        is_group=group,
        start_payload=payload,
        display_name=sender.full_name,
        account=bot_username,
        reply_to_text=message.replied_bot_text,
    )


def anonymous_command(message: ChatMessage, bot_username: str) -> bool:
    """A command for this bot from a group admin who remains anonymous. Telegram sends it in
    the group's name (`sender_chat` is the group itself, `from` its GroupAnonymousBot), so
    nobody can tell who sent it and it can't be answered as anyone's command. Anything else
    sent that way is chatter, ignored as anyone's is."""
    if message.text is None or not message.is_group or message.sender_chat_id is None:
        return False
    if message.sender_chat_id != message.chat_id:
        return False  # a channel's post or a member writing as their channel
    return addressed_text(message.text, bot_username, in_group=True) is not None


def callback_to_incoming(press: ButtonPress, payload: str, bot_username: str) -> Incoming:
    """A pressed button -> the same Incoming as typing its payload."""
    message = press.message
    text, start_payload = split_start(payload)
    return Incoming(
        platform=PLATFORM,
        user_id=str(press.sender.id),
        chat_id=str(message.chat_id if message is not None else press.sender.id),
        text=text,
        message_id=f"cb:{press.id}",
        is_group=message is not None and message.is_group,
        start_payload=start_payload,
        display_name=press.sender.full_name,
        via_button=True,
        account=bot_username,
    )
