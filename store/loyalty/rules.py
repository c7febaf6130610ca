"""Loyalty's values and arithmetic: no database here, so every rounding rule is in one place.

Points are whole numbers. Money is worked in the currency's minor units (fen) so nothing is
lost to binary fractions: earning rounds down, a point's value rounds down to the fen, and
proportional returns on refunds are cumulative floors (see `share`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from math import gcd

from store.errors import InvalidInput, StoreError
from store.money import from_minor, minor_digits, plain, to_minor

# Defaults of a shop's first /pointsrule: 1 point per 1 paid, 100 points = 1, pay 20% at most.
DEFAULT_EARN = Decimal("1")
DEFAULT_REDEEM = 100
DEFAULT_CAP = 20
MAX_EARN = Decimal("100")
MAX_REDEEM = 1_000_000
MAX_POINTS = 100_000_000  # a hand adjustment at a time
MAX_LEVELS = 10
MAX_LEVEL_NAME = 20
MAX_DISCOUNT = Decimal("100")  # exclusive


class InsufficientPoints(StoreError):
    code = "points_insufficient"


@dataclass(frozen=True, slots=True)
class MemberLevel:
    name: str
    discount_percent: Decimal  # Decimal("5") = 5% off


@dataclass(frozen=True, slots=True)
class PointsOffer:
    balance: int
    usable: int  # points that may pay part of `payable` (the shop's cap honoured)
    value: Decimal  # what `usable` points are worth


@dataclass(frozen=True, slots=True)
class Rule:
    """A shop's points rule as it applies now. `enabled` false: nothing is earned or spent."""

    enabled: bool
    earn_rate: Decimal  # points per 1 unit of currency paid
    redeem_points: int  # points worth 1 unit of currency
    cap_percent: int  # at most this % of an order is paid with points

    def earn(self, paid: Decimal) -> int:
        if not self.enabled or paid <= 0:
            return 0
        return int((paid * self.earn_rate).to_integral_value(rounding=ROUND_FLOOR))

    def value(self, points: int, currency: str) -> Decimal:
        """What `points` pay, rounded down to the minor unit."""
        if points <= 0:
            return Decimal("0.00")
        return from_minor(points * _unit(currency) // self.redeem_points, currency)

    def usable(self, balance: int, payable: Decimal, currency: str) -> int:
        """The most points that may pay for `payable`: within the balance and the cap, and a
        multiple of the smallest number of points worth a whole fen, so none is wasted."""
        if not self.enabled or balance <= 0 or payable <= 0 or self.cap_percent <= 0:
            return 0
        unit = _unit(currency)
        cap_minor = to_minor(payable, currency) * self.cap_percent // 100
        by_cap = cap_minor * self.redeem_points // unit
        step = self.redeem_points // gcd(self.redeem_points, unit)
        return min(balance, by_cap) // step * step


OFF = Rule(enabled=False, earn_rate=Decimal("0"), redeem_points=DEFAULT_REDEEM, cap_percent=0)
DEFAULT_RULE = Rule(True, DEFAULT_EARN, DEFAULT_REDEEM, DEFAULT_CAP)


def _unit(currency: str) -> int:
    return 10 ** minor_digits(currency)


def share(amount: int, part: Decimal, whole: Decimal) -> int:
    """`amount` * part / whole rounded down: the points that go with `part` of a sum. Used
    cumulatively (share of all refunded so far minus share of what was refunded before), so
    partial refunds add up exactly to the full amount. A zero whole: everything goes."""
    if whole <= 0 or part >= whole:
        return amount
    if part <= 0:
        return 0
    return int((amount * part / whole).to_integral_value(rounding=ROUND_FLOOR))


def check_rule(rule: Rule) -> None:
    earn = rule.earn_rate
    if not 0 <= earn <= MAX_EARN or earn != earn.quantize(Decimal("0.01")):
        raise InvalidInput("points_bad_earn", value=str(earn), high=MAX_EARN)
    if not 1 <= rule.redeem_points <= MAX_REDEEM:
        raise InvalidInput("points_bad_value", value=rule.redeem_points, high=MAX_REDEEM)
    if not 0 <= rule.cap_percent <= 100:
        raise InvalidInput("points_bad_cap", value=rule.cap_percent)


def check_level(name: str, min_spend: Decimal, discount: Decimal) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_LEVEL_NAME or any(c.isspace() for c in name):
        raise InvalidInput("level_bad_name", high=MAX_LEVEL_NAME)
    if min_spend < 0:
        raise InvalidInput("amount_not_positive", value=str(min_spend))
    if not 0 <= discount < MAX_DISCOUNT:
        raise InvalidInput("level_bad_discount", value=plain(discount))
    return name
