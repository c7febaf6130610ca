"""Free text (a product's title, a question) short enough for a button or one line."""

from __future__ import annotations

ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` in at most `limit` characters. A cut shows ("…" at the end), and falls between
    words when a space is in the second half, so "nougat 300g" never shows as "nougat 30"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS
