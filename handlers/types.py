"""The neutral message types every adapter speaks."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a person, whatever platform it came from."""

    platform: str  # "telegram" | "wechat" | "sim"
    user_id: str  # platform user id
    chat_id: str  # where to answer
    text: str  # typed text, or a button's payload
    message_id: str  # natural key for de-duplication
    is_group: bool = False
    start_payload: str | None = None  # deep link / QR scene (ref_..., gb_..., shop_...)
    display_name: str = ""
    via_button: bool = False  # the text is a pressed button's payload
    # Platform-side account the message arrived on (a WeChat account name, a bot username).
    account: str = ""
    # The text of the bot's message this one replies to (Telegram's reply_to_message), so a
    # plain reply can answer it: see REPLY_HINT in handlers/engine.py.
    reply_to_text: str = ""


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str  # a command line, e.g. "/add 42 1"


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler returns; adapters render it their own way, once, at the edge."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: str | None = None
    private: bool = False  # send to the user's private chat, not the group
    # The reply replaces the message whose button produced it (catalog paging).
    edit: bool = False
    # Offer to pay inside the platform for this order (Telegram invoice, WeChat Pay link).
    pay_order_no: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message the platform sends on its own initiative (notifications, broadcasts)."""

    platform: str
    chat_id: str
    reply: Reply
    account: str = ""


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str  # canonical English name, e.g. "cart"
    args: list[str] = field(default_factory=list)
    raw_args: str = ""  # everything after the command word, stripped
    alias: str = ""  # the word the user typed
