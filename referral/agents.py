"""Agents of a shop: joining by the shop's rule, the merchant's decision, lookups."""

from __future__ import annotations

import secrets
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum

from referral.errors import AgentNotFound, CannotJoin, NotAnAgent
from referral.models import Agent, AgentStatus, JoinMode
from referral.program import ProgramService
from store.clock import Clock
from store.models import Order, OrderStatus, Shop
from store.money import Money, from_minor

# Codes travel in deep links and QR scenes: letters a person can read aloud, no 0/O, 1/I/L.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 8
SPENT_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def normalise_code(text: str) -> str:
    return text.strip().removeprefix("ref_").upper()


class AgentService:
    def __init__(self, program: ProgramService, clock: Clock) -> None:
        self.program = program
        self.clock = clock

    async def of_person(self, shop_id: int, person_id: int) -> Agent | None:
        return await Agent.get_or_none(shop_id=shop_id, person_id=person_id)

    async def require_agent(self, shop_id: int, person_id: int) -> Agent:
        """An agent, or a stopped one: what was earned stays theirs to see and withdraw."""
        agent = await self.of_person(shop_id, person_id)
        if agent is None or agent.status == AgentStatus.PENDING:
            raise NotAnAgent()
        return agent

    async def by_code(self, code: str) -> Agent | None:
        return await Agent.get_or_none(code=normalise_code(code))

    async def list(self, shop_id: int) -> list[Agent]:
        return await Agent.filter(shop_id=shop_id).prefetch_related("person").order_by("id")

    async def spent(self, shop_id: int, person_id: int) -> Decimal:
        """What the person has paid in the shop and kept: orders paid, less what was refunded
        of them (a refunded order in full is not counted at all)."""
        row = (
            await Order.filter(shop_id=shop_id, person_id=person_id, status__in=SPENT_STATUSES)
            .annotate(s=Sum("total"), r=Sum("refunded_amount"))
            .first()
            .values("s", "r")
        )
        return Decimal(row["s"] or 0) - Decimal(row["r"] or 0) if row else Decimal(0)

    async def enrol(self, shop_id: int, person_id: int) -> Agent:
        """/ref: an agent at once where the shop lets anyone (or big enough spenders) join."""
        existing = await self.of_person(shop_id, person_id)
        if existing is not None:
            return existing
        program = await self.program.get(shop_id)
        if program.join_mode == JoinMode.APPROVAL:
            raise CannotJoin("join_by_apply")
        if program.join_mode == JoinMode.SPEND:
            shop = await Shop.get(id=shop_id)
            missing = from_minor(program.join_spend_minor, shop.currency) - await self.spent(
                shop_id, person_id
            )
            if missing > 0:
                raise CannotJoin("join_by_spending", missing=Money(missing))
        return await self._create(shop_id, person_id, AgentStatus.ACTIVE)

    async def apply(self, shop_id: int, person_id: int) -> Agent:
        """/apply: waits for the merchant where the shop asks for approval, else /ref."""
        program = await self.program.get(shop_id)
        if program.join_mode != JoinMode.APPROVAL:
            return await self.enrol(shop_id, person_id)
        existing = await self.of_person(shop_id, person_id)
        return existing or await self._create(shop_id, person_id, AgentStatus.PENDING)

    async def _create(self, shop_id: int, person_id: int, status: AgentStatus) -> Agent:
        now = self.clock()
        for _ in range(5):
            code = new_code()
            if await Agent.exists(code=code):
                continue
            try:
                return await Agent.create(
                    shop_id=shop_id,
                    person_id=person_id,
                    code=code,
                    status=status,
                    decided_at=now if status == AgentStatus.ACTIVE else None,
                )
            except IntegrityError:  # joined concurrently (or, rarely, the code was taken)
                existing = await self.of_person(shop_id, person_id)
                if existing is not None:
                    return existing
        raise RuntimeError("no free agent code")

    async def decide(self, shop_id: int, person_id: int, approve: bool) -> Agent:
        """/agentok approves an application (or a rejected agent); /agentno rejects an
        application or stops an agent: they earn nothing on orders placed after that."""
        agent = await self.of_person(shop_id, person_id)
        if agent is None:
            raise AgentNotFound()
        new = AgentStatus.ACTIVE if approve else AgentStatus.REJECTED
        await Agent.filter(id=agent.id, status__not=new).update(status=new, decided_at=self.clock())
        return await Agent.get(id=agent.id)
