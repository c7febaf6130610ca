"""Money: Decimal in the core, integer minor units at payment boundaries, babel for display."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

from store.errors import InvalidInput

MAX_PRICE = Decimal("1000000")  # a micro-merchant's product never costs a million
CENT = Decimal("0.01")
# A comma is read only as a thousands separator in its place (1,234.50). "12,50" (the decimal
# comma of many spreadsheets) or "1,5" would silently become 1250 or 15, so they are refused.
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
# Digits and a point, as a price is written: Decimal alone would also read 1e3, NaN, +5, 1_000.
_PLAIN = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money given to a typed error as a parameter. The core's amounts carry
    no currency, so the edge shows it as everywhere else: in the shop's currency and the
    reader's locale (¥12.50, CN¥12.50), never as a bare number."""

    amount: Decimal

    def __str__(self) -> str:
        return str(self.amount)


def parse_amount(text: str, *, allow_zero: bool = False) -> Decimal:
    """Parse a price typed by a person: at most 2 decimals, positive, below MAX_PRICE; a
    comma only between groups of three digits."""
    # A Chinese keyboard's full-width point (１２．５０) is a point; "¥ 12" a price too.
    cleaned = text.strip().lstrip("¥￥$").strip().replace("．", ".")
    if not cleaned:  # a form's empty field, or `/addproduct Tea | | 5`
        raise InvalidInput("amount_missing")
    if "," in cleaned:
        if not _GROUPED.fullmatch(cleaned):
            raise InvalidInput("bad_amount", value=text)
        cleaned = cleaned.replace(",", "")
    if not _PLAIN.fullmatch(cleaned):
        raise InvalidInput("bad_amount", value=text)
    value = Decimal(cleaned)
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput("too_many_decimals", value=text)
    if value < 0 and allow_zero:  # 0 is fine here: "more than zero" would be untrue
        raise InvalidInput("amount_negative", value=text)
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput("amount_not_positive", value=text)
    if value >= MAX_PRICE:
        raise InvalidInput("amount_too_large", value=text)
    return value.quantize(CENT)


def plain(value: Decimal) -> str:
    """A number as a person writes it, a percentage say: 150 and 12.5, not 150.00 or 1.5E+2."""
    return format(value.normalize(), "f")


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Telegram Stars are whole units; babel does not know them.
_DIGITS_OVERRIDE = {"XTR": 0}


def minor_digits(currency: str) -> int:
    return _DIGITS_OVERRIDE.get(currency, get_currency_precision(currency))


def to_minor(value: Decimal, currency: str) -> int:
    """Decimal -> integer minor units (fen, cents; Stars have none)."""
    digits = minor_digits(currency)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more precision than {currency} allows")
    return int(scaled)


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-minor_digits(currency))


def format_money(value: Decimal | int | str, currency: str, locale: str) -> str:
    """¥1,234.50 in zh_CN, CN¥1,234.50 in en (babel's CLDR symbols)."""
    return _format(Decimal(value) + 0, currency, locale)  # + 0: -0 shows (and caches) as 0


# babel parses the locale and the pattern on every call (~30 µs), and a chat page shows the
# same few prices again and again. Equal amounts (1.5, 1.50) format alike, so they may share.
@lru_cache(maxsize=4096)
def _format(value: Decimal, currency: str, locale: str) -> str:
    if currency in _DIGITS_OVERRIDE:
        return f"{value:,.0f} {currency}"
    return format_currency(value, currency, locale=locale)
