"""What each level earns on an order, fixed when the order is placed (OrderPlaced).

The base is what the customer pays for goods (total less shipping), spread over the lines
so per-product rates apply; every amount is integer minor units rounded down, and the
levels of one line never earn more than the shop's cap of that line.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from referral.attribution import AttributionService
from referral.models import (
    BP,
    Agent,
    OrderCommission,
    OrderReferral,
    ProductRate,
    RateKind,
    ReferralProgram,
)
from referral.program import ProgramService
from store.clock import Clock
from store.db import transaction
from store.events import OrderPlaced
from store.models import Order, OrderItem
from store.money import to_minor


@dataclass(frozen=True, slots=True)
class Line:
    product_id: int | None
    quantity: int
    amount_minor: int  # unit price x quantity


@dataclass(frozen=True, slots=True)
class LevelShare:
    level: int  # 1 = the customer's own agent
    amount_minor: int


def line_bases(lines: list[Line], goods_minor: int) -> list[int]:
    """Spread what was paid for goods over the lines in proportion; the sum is exact."""
    listed = sum(line.amount_minor for line in lines)
    if listed <= 0:
        return [0 for _ in lines]
    bases = [line.amount_minor * goods_minor // listed for line in lines]
    if bases:
        bases[-1] += goods_minor - sum(bases)
    return bases


def plan(
    lines: list[Line],
    goods_minor: int,
    program: ReferralProgram,
    product_rates: dict[int, ProductRate],
    levels: int,
) -> list[LevelShare]:
    """Commission per level for `levels` levels of agents (at most the program's levels)."""
    rates = program.rates()[:levels]
    totals = [0] * len(rates)
    for line, base in zip(lines, line_bases(lines, goods_minor), strict=True):
        room = base * program.cap_bp // BP
        for index, rate in enumerate(rates):
            override = product_rates.get(line.product_id or 0) if index == 0 else None
            if override is None:
                amount = base * rate // BP
            elif override.kind == RateKind.PERCENT:
                amount = base * override.value // BP
            else:
                amount = override.value * line.quantity
            amount = max(0, min(amount, room))
            room -= amount
            totals[index] += amount
    return [LevelShare(i + 1, t) for i, t in enumerate(totals)]


class CommissionPlanner:
    """Subscribes to OrderPlaced: snapshots the agent chain and their commission."""

    def __init__(
        self, program: ProgramService, attribution: AttributionService, clock: Clock
    ) -> None:
        self.program = program
        self.attribution = attribution
        self.clock = clock

    async def on_placed(self, event: OrderPlaced) -> None:
        program = await self.program.get(event.shop_id)
        chain = await self.attribution.chain(event.shop_id, event.person_id, program.levels)
        if not chain:
            return
        order = await Order.get(id=event.order_id)
        items = await OrderItem.filter(order_id=order.id).order_by("id")
        lines = [
            Line(i.product_id, i.quantity, to_minor(i.unit_price * i.quantity, order.currency))  # type: ignore[attr-defined]
            for i in items
        ]
        goods = to_minor(order.total - order.shipping_fee, order.currency)
        shares = plan(
            lines, goods, program, await self.program.product_rates(event.shop_id), len(chain)
        )
        await self._save(order, goods, chain, shares)

    async def _save(
        self, order: Order, goods: int, chain: list[Agent], shares: list[LevelShare]
    ) -> None:
        try:
            async with transaction():
                referral = await OrderReferral.create(
                    order_id=order.id,
                    order_no=order.order_no,
                    shop_id=order.shop_id,  # type: ignore[attr-defined]
                    customer_id=order.person_id,  # type: ignore[attr-defined]
                    currency=order.currency,
                    total_minor=to_minor(order.total, order.currency),
                    goods_minor=goods,
                    created_at=self.clock(),
                )
                await OrderCommission.bulk_create(
                    [
                        OrderCommission(
                            referral=referral,
                            agent_id=agent.id,
                            level=share.level,
                            base_minor=goods,
                            amount_minor=share.amount_minor,
                        )
                        for agent, share in zip(chain, shares, strict=True)
                    ]
                )
        except IntegrityError:
            pass  # a replayed OrderPlaced: the first snapshot stands
