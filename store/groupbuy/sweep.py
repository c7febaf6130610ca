"""Group deadlines: remind, close at the deadline, then settle every seat of a closed group.

Idempotent, restart-safe and safe in several processes at once: each group changes state by
one guarded UPDATE (open -> completed | failed) and every seat's order by its own guarded
transition, so a step another process (or an earlier, interrupted run) already did is
skipped, and a step not yet done is found again by the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from store.db import transaction
from store.errors import IllegalTransition
from store.groupbuy.events import GroupCompleted, GroupDeadlineNear, GroupFailed
from store.groupbuy.models import GroupBuy, GroupSeat, GroupStatus, SeatStatus
from store.groupbuy.service import HELD, GroupBuyService, group_event, lock_group
from store.models import Order, OrderStatus

log = logging.getLogger(__name__)
S = OrderStatus
FAILED_REASON = "group_failed"
CLOSED_REASON = "group_closed"


@dataclass(frozen=True, slots=True)
class SweepResult:
    reminded: int = 0
    completed: int = 0
    failed: int = 0
    settled: int = 0

    def __bool__(self) -> bool:
        return bool(self.reminded or self.completed or self.failed or self.settled)


class GroupSweep:
    def __init__(self, service: GroupBuyService) -> None:
        self.service = service
        self.bus = service.bus
        self.orders = service.orders
        self.clock = service.clock

    async def run(self, now: datetime | None = None, batch: int = 100) -> SweepResult:
        now = now or self.clock()
        reminded = await self._remind(now, batch)
        completed = failed = 0
        due = (
            await GroupBuy.filter(status=GroupStatus.OPEN, expires_at__lte=now)
            .order_by("id")
            .limit(batch)
        )
        for group in due:
            outcome = await self.close(group, now)
            completed += outcome == GroupStatus.COMPLETED
            failed += outcome == GroupStatus.FAILED
        settled = 0
        unsettled = (
            await GroupBuy.filter(settled=False)
            .exclude(status=GroupStatus.OPEN)
            .order_by("id")
            .limit(batch)
        )
        for group in unsettled:
            settled += await self.settle(group)
        return SweepResult(reminded, completed, failed, settled)

    async def _remind(self, now: datetime, batch: int) -> int:
        due = (
            await GroupBuy.filter(
                status=GroupStatus.OPEN, reminded=False, remind_at__lte=now, expires_at__gt=now
            )
            .order_by("id")
            .limit(batch)
        )
        sent = 0
        for group in due:
            if await GroupBuy.filter(id=group.id, reminded=False).update(reminded=True):
                await self.bus.publish([group_event(GroupDeadlineNear, group)])
                sent += 1
        return sent

    async def close(self, group: GroupBuy, now: datetime) -> GroupStatus | None:
        """At the deadline: completed when enough seats are paid, else failed. Exactly once."""
        for seat in await GroupSeat.filter(group_id=group.id, status=SeatStatus.RESERVED):
            if await _order_status(seat) == S.PAID:  # paid, but its event was not handled
                await self.service.count_paid(seat)
        async with transaction():
            await lock_group(group.id)
            fresh = await GroupBuy.get(id=group.id).prefetch_related("campaign")
            enough = fresh.campaign.min_members or fresh.size
            outcome = GroupStatus.COMPLETED if fresh.seats_paid >= enough else GroupStatus.FAILED
            if not await GroupBuy.filter(
                id=group.id, status=GroupStatus.OPEN, expires_at__lte=now
            ).update(status=outcome, closed_at=now):
                return None  # completed meanwhile, or closed by another process
        event = GroupCompleted if outcome == GroupStatus.COMPLETED else GroupFailed
        await self.bus.publish([group_event(event, fresh)])
        return outcome

    async def settle(self, group: GroupBuy) -> int:
        """Deal with every held seat of a closed group; marks it settled when none is left.

        Failed: unpaid orders are cancelled, paid ones refunded in full (the refund outbox
        returns the money). Completed: paid seats stay and go on to shipping; seats still
        unpaid at the deadline are cancelled.
        """
        pending = 0
        for seat in await GroupSeat.filter(group_id=group.id, status__in=HELD).order_by("id"):
            try:
                done = await self._settle_seat(group, seat)
            except IllegalTransition:  # paid or cancelled meanwhile: look again next run
                done = False
            pending += not done
        if pending:
            return 0
        return await GroupBuy.filter(id=group.id, settled=False).update(settled=True)

    async def _settle_seat(self, group: GroupBuy, seat: GroupSeat) -> bool:
        """True when the seat needs nothing more."""
        failed = group.status == GroupStatus.FAILED
        order = await Order.get(id=seat.order_id)  # type: ignore[attr-defined]
        status = OrderStatus(order.status)
        if status == S.PENDING_PAYMENT:
            await self.orders.cancel(order, FAILED_REASON if failed else CLOSED_REASON)
            await self.service.free_seat(seat, SeatStatus.RESERVED, SeatStatus.RELEASED)
        elif status == S.CANCELLED:
            await self.service.free_seat(seat, SeatStatus.RESERVED, SeatStatus.RELEASED)
        elif status in (S.PAID, S.REFUND_REQUESTED) and failed:
            await self.orders.refund_in_full(order, FAILED_REASON)
            await self.service.free_seat(seat, seat.status, SeatStatus.REFUNDED)
        elif status == S.REFUNDED:
            await self.service.free_seat(seat, seat.status, SeatStatus.REFUNDED)
        elif status == S.PAID and seat.status == SeatStatus.RESERVED:
            await self.service.count_paid(seat)  # a completed group's late-counted member
        elif failed:
            # Shipped before its group completed: the merchant decides; never refund twice.
            log.warning("group %s failed but order %s is %s", group.code, order.order_no, status)
        return True


async def _order_status(seat: GroupSeat) -> str | None:
    return (
        await Order.filter(id=seat.order_id)  # type: ignore[attr-defined]
        .first()
        .values_list("status", flat=True)
    )
