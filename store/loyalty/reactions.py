"""How order events move points, each exactly once however often it is delivered.

- OrderCancelled: the points spent on the order come back (entry key: return/order/"cancel").
- OrderRefunded: spent points come back in proportion to the goods refunded so far (shipping
  is refunded only with the last goods), and earned points are taken back in proportion to
  what has been refunded so far (entry keys: return|reverse/order/refund key). One entry per
  kind is written even when the share rounds to 0 points: it is what marks the refund done.
- OrderCompleted: points are earned on what was paid net of refunds, and that amount is
  added to the member's total spend (guarded by the order's `completed` flag).

A reversal may take a balance below zero (the points were spent already): the negative
balance is settled by future earnings and blocks spending until then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum

from store.clock import Clock
from store.db import transaction
from store.events import OrderCancelled, OrderCompleted, OrderRefunded
from store.loyalty import ledger
from store.loyalty.models import EntryKind, Member, OrderPoints, PointsEntry
from store.loyalty.rules import Rule, share
from store.models import Order
from store.money import to_minor


class Reactions:
    def __init__(self, rule_of: Callable[[int], Awaitable[Rule]], clock: Clock) -> None:
        self.rule_of = rule_of
        self.clock = clock

    async def on_cancelled(self, event: OrderCancelled) -> None:
        try:
            async with transaction():
                snap = await _locked(event.order_id)
                if snap is None or snap.spent == 0:
                    return
                back = snap.spent - await _returned(snap)
                await ledger.post(
                    snap.shop_id,  # type: ignore[attr-defined]
                    snap.person_id,  # type: ignore[attr-defined]
                    EntryKind.RETURN,
                    back,
                    self.clock(),
                    order_id=event.order_id,
                    ref="cancel",
                )
        except IntegrityError:
            pass  # delivered before

    async def on_refunded(self, event: OrderRefunded) -> None:
        try:
            async with transaction():
                snap = await _locked(event.order_id)
                if snap is None:
                    return  # no points spent, not completed: nothing to move
                before = snap.refunded
                after = min(before + event.refunded, event.total)
                now = self.clock()
                shop_id, person_id = snap.shop_id, snap.person_id  # type: ignore[attr-defined]
                if snap.spent:
                    # Points paid for goods: they come back as the goods are refunded (item
                    # refunds never return shipping; a whole refund returns it last).
                    goods = event.goods
                    back = share(snap.spent, min(after, goods), goods) - share(
                        snap.spent, min(before, goods), goods
                    )
                    await ledger.post(
                        shop_id,
                        person_id,
                        EntryKind.RETURN,
                        back,
                        now,
                        order_id=event.order_id,
                        ref=event.refund_key,
                    )
                if snap.completed:
                    # Only what is refunded after completion undoes the earning.
                    was = max(before - snap.refunded_at_completion, Decimal(0))
                    now_refunded = max(after - snap.refunded_at_completion, Decimal(0))
                    taken = share(snap.earned, now_refunded, snap.earn_base) - share(
                        snap.earned, was, snap.earn_base
                    )
                    await ledger.post(
                        shop_id,
                        person_id,
                        EntryKind.REVERSE,
                        -taken,
                        now,
                        order_id=event.order_id,
                        ref=event.refund_key,
                    )
                    await Member.filter(shop_id=shop_id, person_id=person_id).update(
                        total_spend_minor=F("total_spend_minor")
                        - to_minor(now_refunded - was, event.currency)
                    )
                await OrderPoints.filter(id=snap.id).update(refunded=after)
        except IntegrityError:
            pass  # this refund was applied before

    async def on_completed(self, event: OrderCompleted) -> None:
        rule = await self.rule_of(event.shop_id)
        refunded = await Order.get(id=event.order_id).values_list("refunded_amount", flat=True)
        base = max(event.total - refunded, Decimal(0))  # type: ignore[operator]
        earned = rule.earn(base)
        async with transaction():
            await OrderPoints.get_or_create(
                order_id=event.order_id,
                defaults={"shop_id": event.shop_id, "person_id": event.person_id},
            )
            snap = await _locked(event.order_id)
            if snap is None or not await OrderPoints.filter(id=snap.id, completed=False).update(
                completed=True,
                earned=earned,
                earn_base=base,
                refunded=refunded,
                refunded_at_completion=refunded,
            ):
                return  # delivered before
            shop_id, person_id = snap.shop_id, snap.person_id  # type: ignore[attr-defined]
            await ledger.member(shop_id, person_id)
            await Member.filter(shop_id=shop_id, person_id=person_id).update(
                total_spend_minor=F("total_spend_minor") + to_minor(base, event.currency)
            )
            if earned:
                await ledger.post(
                    shop_id,
                    person_id,
                    EntryKind.EARN,
                    earned,
                    self.clock(),
                    order_id=snap.order_id,  # type: ignore[attr-defined]
                )


async def _locked(order_id: int) -> OrderPoints | None:
    """The order's loyalty row, row-locked on PostgreSQL so events of one order never
    interleave (SQLite runs one write transaction at a time anyway)."""
    return await OrderPoints.select_for_update().get_or_none(order_id=order_id)


async def _returned(snap: OrderPoints) -> int:
    row = (
        await PointsEntry.filter(order_id=snap.order_id, kind=EntryKind.RETURN)  # type: ignore[attr-defined]
        .annotate(p=Sum("points"))
        .first()
        .values("p")
    )
    return int(row["p"] or 0) if row else 0
