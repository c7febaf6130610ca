"""The append-only commission ledger and the order events that write it.

Every entry moves money between an agent's buckets (pending, available, held, withdrawn)
and changes the agent's running sums in the same transaction, so the sums always equal
the ledger. Order events are applied once: payment and release by a guarded update of the
order's snapshot, refunds by their key; the entry's unique key backs both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum

from referral.errors import InsufficientBalance
from referral.events import CommissionEarned
from referral.models import (
    Agent,
    EntryKind,
    LedgerEntry,
    OrderCommission,
    OrderReferral,
    ProcessedEvent,
)
from referral.program import ProgramService
from store.clock import Clock
from store.db import transaction
from store.events import EventBus, OrderCancelled, OrderCompleted, OrderPaid, OrderRefunded
from store.money import to_minor


@dataclass(frozen=True, slots=True)
class Move:
    pending: int = 0
    available: int = 0
    held: int = 0
    withdrawn: int = 0


@dataclass(frozen=True, slots=True)
class Balances:
    pending: int = 0
    available: int = 0  # negative after a claw-back: carried forward
    held: int = 0  # asked to withdraw, waiting for the merchant
    withdrawn: int = 0


async def post(
    agent_id: int,
    shop_id: int,
    kind: EntryKind,
    move: Move,
    now: datetime,
    *,
    referral: OrderReferral | None = None,
    level: int = 0,
    ref: str = "",
    withdrawal_id: int | None = None,
    need_available: int | None = None,
) -> None:
    """Append one entry and move the agent's sums; call inside a transaction.

    `need_available`: refuse (InsufficientBalance) unless that much is available, decided by
    one conditional UPDATE, so concurrent withdrawals can never overdraw.
    """
    await LedgerEntry.create(
        shop_id=shop_id,
        agent_id=agent_id,
        order_id=referral.order_id if referral else 0,  # type: ignore[attr-defined]
        order_no=referral.order_no if referral else "",
        level=level,
        kind=kind,
        ref=ref,
        withdrawal_id=withdrawal_id,
        pending=move.pending,
        available=move.available,
        held=move.held,
        withdrawn=move.withdrawn,
        created_at=now,
    )
    query = Agent.filter(id=agent_id)
    if need_available is not None:
        query = query.filter(available_minor__gte=need_available)
    rows = await query.update(
        pending_minor=F("pending_minor") + move.pending,
        available_minor=F("available_minor") + move.available,
        held_minor=F("held_minor") + move.held,
        withdrawn_minor=F("withdrawn_minor") + move.withdrawn,
    )
    if rows == 0:
        raise InsufficientBalance()


async def ledger_sums(agent_id: int) -> Balances:
    """The agent's balances summed from the ledger itself (audits, tests)."""
    row = (
        await LedgerEntry.filter(agent_id=agent_id)
        .annotate(p=Sum("pending"), a=Sum("available"), h=Sum("held"), w=Sum("withdrawn"))
        .first()
        .values("p", "a", "h", "w")
    )
    row = row or {}
    return Balances(*(int(row.get(k) or 0) for k in ("p", "a", "h", "w")))


def balances(agent: Agent) -> Balances:
    return Balances(
        agent.pending_minor, agent.available_minor, agent.held_minor, agent.withdrawn_minor
    )


class Ledger:
    """Subscribes to the store's order events."""

    def __init__(self, program: ProgramService, clock: Clock, bus: EventBus) -> None:
        self.program = program
        self.clock = clock
        self.bus = bus

    async def on_paid(self, event: OrderPaid) -> None:
        """Pending commission for every level, once however often the event arrives."""
        now = self.clock()
        earned: list[CommissionEarned] = []
        async with transaction():
            referral = await _locked(event.order_id)
            if referral is None:
                return
            if not await OrderReferral.filter(id=referral.id, paid_at=None).update(paid_at=now):
                return  # replayed
            for c in await _commissions(referral):
                if c.amount_minor > 0:
                    earned.append(
                        CommissionEarned(
                            shop_id=event.shop_id,
                            agent_person_id=c.agent.person_id,  # type: ignore[attr-defined]
                            order_no=event.order_no,
                            level=c.level,
                            amount_minor=c.amount_minor,
                            currency=event.currency,
                        )
                    )
                    await post(
                        c.agent_id,  # type: ignore[attr-defined]
                        referral.shop_id,  # type: ignore[attr-defined]
                        EntryKind.COMMISSION,
                        Move(pending=c.amount_minor),
                        now,
                        referral=referral,
                        level=c.level,
                    )
        await self.bus.publish(earned)

    async def on_cancelled(self, event: OrderCancelled) -> None:
        await OrderReferral.filter(order_id=event.order_id, paid_at=None, cancelled_at=None).update(
            cancelled_at=self.clock()
        )

    async def on_completed(self, event: OrderCompleted) -> None:
        """The freeze period starts: the money becomes available when it is over."""
        program = await self.program.get(event.shop_id)
        now = self.clock()
        await OrderReferral.filter(
            order_id=event.order_id, paid_at__not_isnull=True, completed_at=None
        ).update(completed_at=now, release_at=now + timedelta(days=program.freeze_days))

    async def on_refunded(self, event: OrderRefunded) -> None:
        """Reverse commission in proportion to what was refunded, from pending or, once
        released, from available (claw-back: the balance may go negative)."""
        key = f"refund:{event.refund_key}"  # one per refund, partial ones included
        now = self.clock()
        try:
            async with transaction():
                referral = await _locked(event.order_id)
                if referral is None or referral.paid_at is None:
                    return
                await ProcessedEvent.create(key=key[:120])
                before = referral.refunded_minor
                after = min(before + to_minor(event.refunded, event.currency), referral.total_minor)
                await OrderReferral.filter(id=referral.id, refunded_minor=before).update(
                    refunded_minor=after
                )
                # Commission was earned on goods: it goes back as the goods are refunded.
                # Item refunds never return shipping, and a whole refund returns it last, so
                # the goods refunded so far are the refunded amount up to the goods' total.
                goods = referral.goods_minor
                for c in await _commissions(referral):
                    # Cumulative shares, so several partial refunds never drift by a fen.
                    delta = _share(c.amount_minor, min(after, goods), goods) - _share(
                        c.amount_minor, min(before, goods), goods
                    )
                    if delta == 0:
                        continue
                    released = referral.released_at is not None
                    await post(
                        c.agent_id,  # type: ignore[attr-defined]
                        referral.shop_id,  # type: ignore[attr-defined]
                        EntryKind.REVERSAL,
                        Move(available=-delta) if released else Move(pending=-delta),
                        now,
                        referral=referral,
                        level=c.level,
                        ref=f"{before}-{after}",
                    )
        except IntegrityError:
            pass  # this refund was applied before

    async def release_due(self, now: datetime | None = None, batch: int = 200) -> int:
        """Move what is left of frozen commission to available. Idempotent, restart-safe: the
        snapshot is marked released by a guarded update in the same transaction."""
        now = now or self.clock()
        due = (
            await OrderReferral.filter(released_at=None, release_at__lte=now)
            .order_by("id")
            .limit(batch)
        )
        released = 0
        for referral in due:
            async with transaction():
                locked = await _locked(referral.order_id)  # type: ignore[attr-defined]
                if locked is None or not await OrderReferral.filter(
                    id=referral.id, released_at=None
                ).update(released_at=now):
                    continue
                for c in await _commissions(locked):
                    left = await _pending_of(locked, c)
                    if left:
                        await post(
                            c.agent_id,  # type: ignore[attr-defined]
                            locked.shop_id,  # type: ignore[attr-defined]
                            EntryKind.RELEASE,
                            Move(pending=-left, available=left),
                            now,
                            referral=locked,
                            level=c.level,
                        )
                released += 1
        return released


def _share(amount: int, refunded: int, total: int) -> int:
    return amount * refunded // total if total else amount


async def _locked(order_id: int) -> OrderReferral | None:
    """The order's snapshot, row-locked on PostgreSQL so refund and release never interleave
    (SQLite runs one write transaction at a time anyway)."""
    return await OrderReferral.select_for_update().get_or_none(order_id=order_id)


async def _commissions(referral: OrderReferral) -> list[OrderCommission]:
    # agent pk order: balance rows are locked in one order everywhere
    return (
        await OrderCommission.filter(referral_id=referral.id)
        .order_by("agent_id", "level")
        .prefetch_related("agent")
    )


async def _pending_of(referral: OrderReferral, commission: OrderCommission) -> int:
    row = (
        await LedgerEntry.filter(
            order_id=referral.order_id,  # type: ignore[attr-defined]
            agent_id=commission.agent_id,  # type: ignore[attr-defined]
            level=commission.level,
        )
        .annotate(p=Sum("pending"))
        .first()
        .values("p")
    )
    return int(row["p"] or 0) if row else 0
