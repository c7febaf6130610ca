from __future__ import annotations

from decimal import Decimal

import pytest

from store.errors import InvalidInput
from store.money import format_money, from_minor, parse_amount, plain, to_minor


@pytest.mark.parametrize(
    "text,expected",
    [
        ("12", "12.00"),
        ("12.5", "12.50"),
        ("¥1,234.50", "1234.50"),
        ("0.01", "0.01"),
        ("１２．５０", "12.50"),  # typed with a Chinese keyboard's full-width characters
        ("¥ 12", "12.00"),
        ("￥ 8.8", "8.80"),
    ],
)
def test_parse_amount_accepts_prices(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text,code",
    [
        ("12.345", "too_many_decimals"),
        ("-1", "amount_not_positive"),
        ("0", "amount_not_positive"),
        ("abc", "bad_amount"),
        ("NaN", "bad_amount"),
        ("Infinity", "bad_amount"),
        ("1e9", "bad_amount"),  # a price is written in digits, not as 1e3 or 1_000
        ("1e3", "bad_amount"),
        ("1_000", "bad_amount"),
        ("+5", "bad_amount"),
        ("99999999999", "amount_too_large"),
        ("", "amount_missing"),
        (" ¥ ", "amount_missing"),
    ],
)
def test_parse_amount_refuses_bad_prices(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_amount(text)
    assert err.value.code == code


def test_minor_units_round_trip_without_floats() -> None:
    assert to_minor(Decimal("1234.50"), "CNY") == 123450
    assert from_minor(123450, "CNY") == Decimal("1234.50")
    assert to_minor(Decimal("15"), "XTR") == 15
    with pytest.raises(ValueError):
        to_minor(Decimal("0.001"), "CNY")


def test_format_money_per_locale() -> None:
    assert format_money(Decimal("1234.5"), "CNY", "zh_CN") == "¥1,234.50"
    assert format_money(Decimal("1234.5"), "CNY", "en").endswith("1,234.50")


def test_format_money_remembers_per_currency_and_locale_not_across_them() -> None:
    # The formatter is memoised: equal amounts share an entry, other keys must not.
    assert format_money(Decimal("8.5"), "CNY", "zh_CN") == "¥8.50"
    assert format_money(Decimal("8.50"), "CNY", "zh_CN") == "¥8.50"
    assert format_money(Decimal("8.5"), "USD", "en") == "$8.50"
    assert format_money(Decimal("8.5"), "CNY", "en") == "CN¥8.50"
    assert format_money(Decimal("15"), "XTR", "en") == "15 XTR"
    assert format_money(-Decimal("0.00"), "CNY", "zh_CN") == "¥0.00"
    assert format_money(Decimal("-3"), "CNY", "zh_CN") == "-¥3.00"
    assert format_money("12.5", "CNY", "zh_CN") == "¥12.50"  # templates pass text too


@pytest.mark.parametrize("text", ["12,50", "1,5", "¥12,5", "1,23,456", "1234,567", ",5", "1,"])
def test_parse_amount_refuses_a_comma_that_is_not_a_thousands_separator(text: str) -> None:
    # "12,50" is a decimal comma (12.50 in many spreadsheets); reading it as 1250 would
    # put a price a hundred times too high on sale without a word.
    with pytest.raises(InvalidInput) as err:
        parse_amount(text)
    assert err.value.code == "bad_amount"


@pytest.mark.parametrize(
    "text,expected", [("1,234", "1234.00"), ("12,345.5", "12345.50"), ("¥999,999.99", "999999.99")]
)
def test_parse_amount_reads_thousands_separators(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


def test_plain_numbers_read_as_written() -> None:
    assert [plain(Decimal(t)) for t in ("150.00", "12.50", "0.00", "1E+2")] == [
        "150",
        "12.5",
        "0",
        "100",
    ]


def test_where_zero_is_allowed_a_negative_amount_is_not_called_not_above_zero() -> None:
    """A shipping fee of 0 is free shipping: "-5" must not say "more than zero"."""
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")
    with pytest.raises(InvalidInput) as err:
        parse_amount("-5", allow_zero=True)
    assert err.value.code == "amount_negative"
