"""The revenue chart as plain SVG geometry, computed in Decimal (no chart library, no CDN).

The SVG is stretched to the page width (preserveAspectRatio="none"), so the axis labels are
HTML beside it and stay readable on a phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from store.reports import DaySales

WIDTH = Decimal(300)
HEIGHT = Decimal(100)
GAP = Decimal("0.25")  # share of a slot left empty between bars
_ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Bar:
    day: date
    total: Decimal
    orders: int
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    top: Decimal  # the value at the top edge: a round number above the best day
    total: Decimal
    width: Decimal = WIDTH
    height: Decimal = HEIGHT


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= value (at least 1)."""
    if value <= 1:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        candidate = step.scaleb(exponent)
        if candidate >= value:
            return candidate.normalize()
    raise AssertionError("unreachable: 10 * 10^exponent > value")


def revenue_chart(days: list[DaySales]) -> Chart:
    top = nice_ceiling(max((d.total for d in days), default=Decimal(0)))
    slot = WIDTH / len(days) if days else WIDTH
    bars = []
    for i, d in enumerate(days):
        height = (d.total / top * HEIGHT).quantize(_ONE_PLACE)
        if d.total > 0 and height < 1:
            height = Decimal(1)  # a sale, however small, is visible
        bars.append(
            Bar(
                day=d.day,
                total=d.total,
                orders=d.orders,
                x=(slot * i + slot * GAP / 2).quantize(_ONE_PLACE),
                y=HEIGHT - height,
                width=(slot * (1 - GAP)).quantize(_ONE_PLACE),
                height=height,
            )
        )
    return Chart(bars=bars, top=top, total=sum((d.total for d in days), Decimal("0.00")))
