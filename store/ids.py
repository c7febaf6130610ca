"""Row ids as people type them: ASCII digits that fit the id columns, or no id at all."""

from __future__ import annotations

MAX_ID = 2_147_483_647  # the id columns are 32-bit (PostgreSQL `integer`)


def row_id(text: str) -> int | None:
    """`text` as a row id, or None when it can name no row: not ASCII digits ("²" and "٣"
    are digits to str.isdigit, and int() takes the second), zero, or more than an id column
    holds (PostgreSQL refuses such a number outright; SQLite past 64 bits)."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None
