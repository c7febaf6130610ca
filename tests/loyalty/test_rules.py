"""Loyalty arithmetic: earning, point values, the cap and proportional shares."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from store.errors import InvalidInput
from store.loyalty.rules import DEFAULT_RULE, OFF, Rule, check_level, check_rule, share


def rule(earn: str = "1", redeem: int = 100, cap: int = 20) -> Rule:
    return Rule(True, D(earn), redeem, cap)


@pytest.mark.parametrize(
    ("earn", "paid", "points"),
    [("1", "128.00", 128), ("1", "99.99", 99), ("0.5", "39.90", 19), ("2", "0.49", 0)],
)
def test_earning_rounds_down(earn: str, paid: str, points: int) -> None:
    assert rule(earn).earn(D(paid)) == points


def test_nothing_is_earned_when_off_or_unpaid() -> None:
    assert OFF.earn(D("500")) == 0
    assert rule().earn(D("0")) == 0


def test_value_rounds_down_to_the_fen() -> None:
    assert rule(redeem=100).value(256, "CNY") == D("2.56")
    assert rule(redeem=1).value(3, "CNY") == D("3.00")
    assert rule(redeem=1000).value(15, "CNY") == D("0.01")  # 1.5 fen: the half is not paid
    assert rule(redeem=100).value(7, "XTR") == D("0")  # Stars have no minor unit


def test_usable_honours_balance_cap_and_whole_fen() -> None:
    r = rule(redeem=100, cap=20)
    assert r.usable(10_000, D("128.00"), "CNY") == 2560  # 20% of 128 = 25.60 = 2560 points
    assert r.usable(300, D("128.00"), "CNY") == 300  # the balance is smaller
    # 1000 points per yuan: 10 points make a fen, so an odd balance leaves the rest unused.
    assert rule(redeem=1000, cap=100).usable(1_005, D("50"), "CNY") == 1_000
    assert rule(redeem=1, cap=50).usable(80, D("99.99"), "CNY") == 49  # 49.995 -> 49 yuan
    assert rule(cap=0).usable(500, D("10"), "CNY") == 0
    assert OFF.usable(500, D("10"), "CNY") == 0
    assert r.usable(-5, D("10"), "CNY") == 0  # a negative balance spends nothing


def test_usable_points_are_worth_at_most_the_cap() -> None:
    for redeem in (1, 3, 7, 100, 150, 999, 1000):
        r = rule(redeem=redeem, cap=33)
        usable = r.usable(10**9, D("87.65"), "CNY")
        assert r.value(usable, "CNY") <= D("87.65") * 33 / 100
        assert r.value(usable, "CNY") * redeem == usable  # no point is wasted


def test_cumulative_shares_never_drift() -> None:
    spent, total = 1000, D("30.00")
    parts = [D("10.00"), D("10.00"), D("10.00")]
    refunded, given = D("0"), 0
    for part in parts:
        after = refunded + part
        given += share(spent, after, total) - share(spent, refunded, total)
        refunded = after
    assert given == spent  # 333 + 333 + 334, not 333 * 3
    assert share(7, D("0"), D("0")) == 7  # a zero total: a refund gives everything back
    assert share(7, D("0"), D("10")) == 0


def test_bad_rules_and_levels_are_refused() -> None:
    check_rule(DEFAULT_RULE)
    for bad in (rule(earn="-1"), rule(earn="101"), rule(redeem=0), rule(cap=101)):
        with pytest.raises(InvalidInput):
            check_rule(bad)
    assert check_level(" 银卡 ", D("1000"), D("5")) == "银卡"
    for name, spend, discount in [
        ("", "1", "1"),
        ("two words", "1", "1"),
        ("x" * 21, "1", "1"),
        ("ok", "-1", "1"),
        ("ok", "1", "100"),
        ("ok", "1", "-1"),
    ]:
        with pytest.raises(InvalidInput):
            check_level(name, D(spend), D(discount))
