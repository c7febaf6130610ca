"""Withdrawals (提现): the amount is held at once, the merchant pays it out or returns it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.functions import Sum

from referral.errors import AlreadyDecided, WithdrawalNotFound, WithdrawalRefused
from referral.events import WithdrawalDecided, WithdrawalRequested
from referral.ledger import Move, post
from referral.models import BP, Agent, EntryKind, Withdrawal, WithdrawalStatus
from referral.program import ProgramService
from store.clock import Clock
from store.db import transaction
from store.errors import InvalidInput
from store.events import EventBus
from store.models import Shop
from store.money import Money, from_minor

W = WithdrawalStatus


class WithdrawalService:
    def __init__(self, program: ProgramService, clock: Clock, bus: EventBus) -> None:
        self.program = program
        self.clock = clock
        self.bus = bus

    async def request(self, agent: Agent, amount_minor: int) -> Withdrawal:
        """Hold `amount_minor` of the available balance for the merchant to pay out.

        The agent's row is locked first (PostgreSQL), so the daily total is read alone; the
        hold itself is one conditional UPDATE (available >= amount), so even without the lock
        two requests can never take more than there is.
        """
        shop_id: int = agent.shop_id  # type: ignore[attr-defined]
        program = await self.program.get(shop_id)
        shop = await Shop.get(id=shop_id)
        if amount_minor < max(program.withdraw_min_minor, 1):
            raise WithdrawalRefused(
                "withdraw_below_minimum",
                min=Money(from_minor(program.withdraw_min_minor, shop.currency)),
            )
        now = self.clock()
        day_start = _local_day_start(shop, now)
        async with transaction():
            await Agent.select_for_update().get(id=agent.id)
            today = await _sum(
                Withdrawal.filter(
                    agent_id=agent.id, created_at__gte=day_start, status__not=W.REJECTED
                )
            )
            if today + amount_minor > program.withdraw_daily_max_minor:
                raise WithdrawalRefused(
                    "withdraw_over_daily_max",
                    left=Money(
                        from_minor(max(program.withdraw_daily_max_minor - today, 0), shop.currency)
                    ),
                )
            withdrawal = await Withdrawal.create(
                shop_id=shop_id,
                agent_id=agent.id,
                amount_minor=amount_minor,
                fee_minor=amount_minor * program.withdraw_fee_bp // BP,
                created_at=now,
            )
            await post(
                agent.id,
                shop_id,
                EntryKind.HOLD,
                Move(available=-amount_minor, held=amount_minor),
                now,
                ref=f"w{withdrawal.id}",
                withdrawal_id=withdrawal.id,
                need_available=amount_minor,
            )
        await self.bus.publish(
            [
                WithdrawalRequested(
                    shop_id=shop_id,
                    withdrawal_id=withdrawal.id,
                    agent_person_id=agent.person_id,  # type: ignore[attr-defined]
                    amount_minor=amount_minor,
                )
            ]
        )
        return withdrawal

    async def approve(self, shop_id: int, withdrawal_id: int) -> Withdrawal:
        """The merchant paid it out: held -> withdrawn."""
        return await self._decide(shop_id, withdrawal_id, W.APPROVED, "")

    async def reject(self, shop_id: int, withdrawal_id: int, reason: str) -> Withdrawal:
        """Refused: the amount returns to the available balance."""
        reason = reason.strip()[:300]
        if not reason:
            raise InvalidInput("reason_required")
        return await self._decide(shop_id, withdrawal_id, W.REJECTED, reason)

    async def _decide(
        self, shop_id: int, withdrawal_id: int, new: WithdrawalStatus, reason: str
    ) -> Withdrawal:
        withdrawal = await Withdrawal.get_or_none(id=withdrawal_id, shop_id=shop_id)
        if withdrawal is None:
            raise WithdrawalNotFound(id=withdrawal_id)
        now = self.clock()
        amount = withdrawal.amount_minor
        move = (
            Move(held=-amount, withdrawn=amount)
            if new == W.APPROVED
            else Move(held=-amount, available=amount)
        )
        async with transaction():
            rows = await Withdrawal.filter(id=withdrawal.id, status=W.PENDING).update(
                status=new, reason=reason, decided_at=now
            )
            if rows == 0:
                raise AlreadyDecided(id=withdrawal_id)
            await post(
                withdrawal.agent_id,  # type: ignore[attr-defined]
                shop_id,
                EntryKind.PAYOUT if new == W.APPROVED else EntryKind.RETURN,
                move,
                now,
                ref=f"w{withdrawal.id}",
                withdrawal_id=withdrawal.id,
            )
        decided = await Withdrawal.get(id=withdrawal.id).prefetch_related("agent__person")
        await self.bus.publish(
            [
                WithdrawalDecided(
                    shop_id=shop_id,
                    withdrawal_id=decided.id,
                    agent_person_id=decided.agent.person_id,  # type: ignore[attr-defined]
                    amount_minor=decided.amount_minor,
                    fee_minor=decided.fee_minor,
                    approved=new == W.APPROVED,
                    reason=reason,
                )
            ]
        )
        return decided

    async def pending(self, shop_id: int, limit: int = 20) -> list[Withdrawal]:
        return (
            await Withdrawal.filter(shop_id=shop_id, status=W.PENDING)
            .order_by("id")
            .limit(limit)
            .prefetch_related("agent__person")
        )

    async def of_agent(self, agent_id: int, limit: int = 5) -> list[Withdrawal]:
        return await Withdrawal.filter(agent_id=agent_id).order_by("-id").limit(limit)


async def _sum(query: object) -> int:
    row = await query.annotate(s=Sum("amount_minor")).first().values("s")  # type: ignore[attr-defined]
    return int(row["s"] or 0) if row else 0


def _local_day_start(shop: Shop, now: datetime) -> datetime:
    """Midnight of today in the shop's time zone: the daily maximum is per local day."""
    local = now.astimezone(ZoneInfo(shop.timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
