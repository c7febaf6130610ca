"""Binding customers to agents by the shop's policy; every touch is logged with its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from referral.models import (
    MAX_LEVELS,
    Agent,
    AgentStatus,
    Binding,
    BindPolicy,
    ReferralProgram,
    Touch,
)
from referral.program import ProgramService
from store.clock import Clock
from store.db import transaction
from store.prepared import Prepared

MAX_WALK = 64  # an upline longer than this is treated as a cycle
# Every order asks it (who earns on it?), mostly to find nobody.
_BINDING = Prepared(
    Binding,
    lambda shop_id, customer_id: Binding.filter(shop_id=shop_id, customer_id=customer_id).limit(1),
)


class Outcome(StrEnum):
    BOUND = "bound"  # first binding
    REBOUND = "rebound"  # moved from another agent (last touch), or an expired binding renewed
    KEPT = "kept"  # an earlier binding stays in force
    SELF = "self"  # an agent's own link: no self-referral
    CYCLE = "cycle"  # the customer is above this agent already
    INACTIVE = "inactive"  # the agent is not (or no longer) active


@dataclass(frozen=True, slots=True)
class TouchResult:
    outcome: Outcome
    agent: Agent
    binding: Binding | None  # the binding in force afterwards


class AttributionService:
    def __init__(self, program: ProgramService, clock: Clock) -> None:
        self.program = program
        self.clock = clock

    async def binding(self, shop_id: int, customer_id: int) -> Binding | None:
        return await _BINDING.first(shop_id, customer_id)

    async def upline(self, shop_id: int, agent: Agent, levels: int = MAX_LEVELS) -> list[Agent]:
        """The agent and the active agents above it, nearest first, without repeats; the walk
        stops at a binding no longer in force (`days <n>`: past its end)."""
        program = await self.program.get(shop_id)
        now = self.clock()
        chain = [agent]
        while len(chain) < levels:
            binding = await self.binding(shop_id, chain[-1].person_id)  # type: ignore[attr-defined]
            if binding is None or not in_force(binding, program, now):
                break
            parent = await Agent.get(id=binding.agent_id)  # type: ignore[attr-defined]
            if parent.status != AgentStatus.ACTIVE or any(a.id == parent.id for a in chain):
                break
            chain.append(parent)
        return chain

    async def chain(self, shop_id: int, customer_id: int, levels: int) -> list[Agent]:
        """Who earns on this customer's order, level 1 first (empty: nobody, also when the
        customer's binding has ended)."""
        binding = await self.binding(shop_id, customer_id)
        if binding is None or not in_force(binding, await self.program.get(shop_id), self.clock()):
            return []
        agent = await Agent.get(id=binding.agent_id)  # type: ignore[attr-defined]
        if agent.status != AgentStatus.ACTIVE or agent.person_id == customer_id:  # type: ignore[attr-defined]
            return []
        return [
            a
            for a in await self.upline(shop_id, agent, levels)
            if a.person_id != customer_id  # type: ignore[attr-defined]
        ]

    async def _would_cycle(self, shop_id: int, customer_id: int, agent: Agent) -> bool:
        """Binding the customer under `agent` makes a loop if the customer is `agent`'s
        upline already (A -> B -> A)."""
        seen: set[int] = set()
        current: Agent | None = agent
        while current is not None and current.id not in seen and len(seen) < MAX_WALK:
            if current.person_id == customer_id:  # type: ignore[attr-defined]
                return True
            seen.add(current.id)
            binding = await self.binding(shop_id, current.person_id)  # type: ignore[attr-defined]
            current = await Agent.get(id=binding.agent_id) if binding else None  # type: ignore[attr-defined]
        return len(seen) >= MAX_WALK

    async def touch(
        self, shop_id: int, customer_id: int, agent: Agent, channel: str
    ) -> TouchResult:
        """A customer arrived through an agent's link, QR code or poster."""
        now = self.clock()
        async with transaction():
            result = await self._decide(shop_id, customer_id, agent, channel[:16], now)
            await Touch.create(
                shop_id=shop_id,
                agent_id=agent.id,
                customer_id=customer_id,
                channel=channel[:16],
                at=now,
                outcome=result.outcome,
            )
        return result

    async def _decide(
        self, shop_id: int, customer_id: int, agent: Agent, channel: str, now: datetime
    ) -> TouchResult:
        current = await self.binding(shop_id, customer_id)
        if agent.person_id == customer_id:  # type: ignore[attr-defined]
            return TouchResult(Outcome.SELF, agent, current)
        if agent.status != AgentStatus.ACTIVE:
            return TouchResult(Outcome.INACTIVE, agent, current)
        if await self._would_cycle(shop_id, customer_id, agent):
            return TouchResult(Outcome.CYCLE, agent, current)
        program = await self.program.get(shop_id)
        expires = (
            now + timedelta(days=program.policy_days) if program.policy == BindPolicy.DAYS else None
        )
        values = {"agent_id": agent.id, "channel": channel, "bound_at": now, "expires_at": expires}
        if current is None:
            try:
                binding = await Binding.create(shop_id=shop_id, customer_id=customer_id, **values)
            except IntegrityError:  # bound concurrently: that one was first
                return TouchResult(Outcome.KEPT, agent, await self.binding(shop_id, customer_id))
            return TouchResult(Outcome.BOUND, agent, binding)
        if not _rebindable(current, program, now):
            return TouchResult(Outcome.KEPT, agent, current)
        if current.agent_id == agent.id and program.policy != BindPolicy.DAYS:  # type: ignore[attr-defined]
            return TouchResult(Outcome.KEPT, agent, current)
        # Another agent takes it over, or (`days <n>`) the same agent's ended binding starts
        # its n days again: after its end a binding earns nothing, so the touch is a new first.
        rows = await Binding.filter(id=current.id, agent_id=current.agent_id).update(**values)  # type: ignore[attr-defined]
        outcome = Outcome.REBOUND if rows == 1 else Outcome.KEPT
        return TouchResult(outcome, agent, await self.binding(shop_id, customer_id))


def _ends(binding: Binding, program: ReferralProgram) -> datetime:
    # A binding made under another policy counts its days from when it was made.
    return binding.expires_at or binding.bound_at + timedelta(days=program.policy_days)


def in_force(binding: Binding, program: ReferralProgram, now: datetime) -> bool:
    """Whether the binding earns: under `days <n>` until it ends; under `first` and `last`
    always (a shop that goes back to `first` makes its bindings permanent again)."""
    return program.policy != BindPolicy.DAYS or _ends(binding, program) > now


def in_force_q(program: ReferralProgram, now: datetime) -> Q:
    """`in_force` as a filter on bindings."""
    if program.policy != BindPolicy.DAYS:
        return Q()
    return Q(expires_at__gt=now) | Q(
        expires_at__isnull=True, bound_at__gt=now - timedelta(days=program.policy_days)
    )


def _rebindable(binding: Binding, program: ReferralProgram, now: datetime) -> bool:
    if program.policy == BindPolicy.LAST:
        return True
    return not in_force(binding, program, now)
