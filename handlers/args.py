"""Argument checks shared by commands: whole numbers in range, enough words, usage text."""

from __future__ import annotations

from store.errors import InvalidInput

MAX_ID = 2_147_483_647  # the id columns are 32-bit


def usage(text: str) -> InvalidInput:
    return InvalidInput("usage", usage=text)


def whole(value: str, *, low: int = 1, high: int = MAX_ID, code: str = "bad_number") -> int:
    v = value.strip()
    if not v.isascii() or not v.isdigit() or len(v) > 10:
        raise InvalidInput(code, value=value[:20], low=low, high=high)
    number = int(v)
    if not low <= number <= high:
        raise InvalidInput(code, value=value[:20], low=low, high=high)
    return number


def product_id(value: str) -> int:
    return whole(value.lstrip("#"))


def need(args: list[str], count: int, usage_text: str) -> list[str]:
    if len(args) < count:
        raise usage(usage_text)
    return args
