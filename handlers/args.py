"""Argument checks shared by commands: whole numbers in range, enough words, usage text."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from store.errors import InvalidInput
from store.ids import MAX_ID  # the id columns' limit: whole()'s default

# "Remove it" after a setting's name: /coupon off, /settings pay off, /note 取消.
OFF_WORDS = ("off", "none", "关闭", "取消", "不用")


def plain(text: str) -> str:
    """`text` without case, spaces, punctuation and symbols (emoji included), to compare
    typed words with a list of them: "确认 下单！" is "确认下单"."""
    return "".join(c for c in text.casefold() if unicodedata.category(c)[0] not in "PSZ")


def shop_date(text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """2026-12-31T20:00, or 2026-12-31 meaning the start of that day or, with `end`, its
    last second (shown as 23:59), in the shop's time zone."""
    try:
        if "t" in text.casefold():
            return datetime.fromisoformat(text).replace(tzinfo=tz)
        day = datetime.fromisoformat(text).date()
    except ValueError:
        raise InvalidInput("bad_date", value=text[:20]) from None
    return datetime.combine(day, time(23, 59, 59) if end else time(0), tzinfo=tz)


def split_options(args: list[str], allowed: set[str]) -> tuple[list[str], dict[str, str]]:
    """The plain words, and the `key=value` options among `args`; an unknown key, or a key
    without a value, is refused naming the options there are, and a key given twice too."""
    words, options = [], {}
    for arg in args:
        key, eq, value = arg.partition("=")
        if not eq:
            words.append(arg)
        elif key.casefold() in options:  # which one was meant?
            raise InvalidInput("option_twice", name=key.casefold()[:20])
        elif key.casefold() in allowed and value:
            options[key.casefold()] = value
        else:
            raise InvalidInput("bad_option", name=arg[:20], options=", ".join(sorted(allowed)))
    return words, options


def read_field(
    values: dict[str, str], name: str, parse: Callable[[str], Any], default: Any = None
) -> Any:
    """`values[name]` parsed, or `default` when absent. A refusal names its field in
    `params["field"]`: the dashboard shows it beside that field; chat does not need it."""
    if name not in values:
        return default
    try:
        return parse(values[name])
    except InvalidInput as e:
        e.params.setdefault("field", name)
        raise


def bars(text: str) -> str:
    """`text` with its field separators as `|`. Chinese keyboards type the full-width ｜
    instead; it separates fields when no `|` is there (with one, ｜ stays part of a field)."""
    return text if "|" in text else text.replace("｜", "|")


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
