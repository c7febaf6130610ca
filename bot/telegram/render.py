"""Pieces of a ``Reply`` in Telegram's form: escaped HTML, inline keyboards, chunks."""

from __future__ import annotations

import html
from collections import OrderedDict

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.callbacks import CallbackCodec
from handlers.types import Button

MAX_TEXT = 4096  # Bot API limit for a message, counted on the parsed text
MAX_CAPTION = 1024
URL_SCHEMES = ("https://", "http://", "tg://")


def escape(text: str) -> str:
    """Plain text -> Telegram HTML that shows exactly that text."""
    return html.escape(text, quote=False)


Rows = tuple[tuple[Button, ...], ...]
KEPT_KEYBOARDS = 2048
# Most replies carry one of a few keyboards (a catalog page's, a product's, the cart's), the
# same for everyone: built once. Never shared by anyone who changes them (aiogram doesn't).
_keyboards: OrderedDict[Rows, InlineKeyboardMarkup] = OrderedDict()


async def inline_button(button: Button, codec: CallbackCodec) -> InlineKeyboardButton:
    if _is_url(button.payload):
        return InlineKeyboardButton(text=button.label, url=button.payload)
    return InlineKeyboardButton(text=button.label, callback_data=await codec.encode(button.payload))


async def keyboard(rows: Rows, codec: CallbackCodec) -> InlineKeyboardMarkup | None:
    if (kept := _keyboards.get(rows)) is not None:
        _keyboards.move_to_end(rows)
        return kept
    built = [[await inline_button(b, codec) for b in row] for row in rows if row]
    if not built:
        return None
    markup = InlineKeyboardMarkup(inline_keyboard=built)
    # Kept only when no payload went to the store: a stored one must be renewed by use.
    if all(_is_url(b.payload) or codec.as_is(b.payload) for row in rows for b in row):
        _keyboards[rows] = markup
        if len(_keyboards) > KEPT_KEYBOARDS:
            _keyboards.popitem(last=False)
    return markup


def _is_url(payload: str) -> bool:
    return payload.startswith(URL_SCHEMES)


def url_keyboard(label: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=label, url=url)]])


def chunks(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split text into pieces Telegram accepts, on line breaks where possible."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:  # a single line longer than a message
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [text[:limit]]
