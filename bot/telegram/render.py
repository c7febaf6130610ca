"""Pieces of a ``Reply`` in Telegram's form: escaped HTML, inline keyboards, chunks."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.callbacks import CallbackCodec
from handlers.types import Button

MAX_TEXT = 4096  # Bot API limit for a message, counted on the parsed text
MAX_CAPTION = 1024
URL_SCHEMES = ("https://", "http://", "tg://")


def escape(text: str) -> str:
    """Plain text -> Telegram HTML that shows exactly that text."""
    return html.escape(text, quote=False)


async def inline_button(button: Button, codec: CallbackCodec) -> InlineKeyboardButton:
    if button.payload.startswith(URL_SCHEMES):
        return InlineKeyboardButton(text=button.label, url=button.payload)
    return InlineKeyboardButton(text=button.label, callback_data=await codec.encode(button.payload))


async def keyboard(
    rows: tuple[tuple[Button, ...], ...], codec: CallbackCodec
) -> InlineKeyboardMarkup | None:
    built = [[await inline_button(b, codec) for b in row] for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=built) if built else None


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
