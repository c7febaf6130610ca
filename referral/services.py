"""Referral's services, built once in the composition root and fed by store's events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from referral.agents import AgentService
from referral.attribution import AttributionService
from referral.commissions import CommissionPlanner
from referral.ledger import Ledger
from referral.program import ProgramService
from referral.reports import ReportService
from referral.withdrawals import WithdrawalService
from store.clock import Clock, utcnow
from store.events import (
    EventBus,
    OrderCancelled,
    OrderCompleted,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
)

# (platform account, start payload) -> the link a QR code should open, or None.
LinkMaker = Callable[[str, str], Awaitable[str | None]]


async def telegram_link(account: str, payload: str) -> str | None:
    return f"https://t.me/{account}?start={payload}" if account else None


@dataclass
class ReferralServices:
    program: ProgramService
    agents: AgentService
    attribution: AttributionService
    planner: CommissionPlanner
    ledger: Ledger
    withdrawals: WithdrawalService
    reports: ReportService
    bus: EventBus
    public_url: str = "http://127.0.0.1:8080"
    clock: Clock = utcnow
    # Platforms that can make a share link; adapters add theirs (WeChat: a parametric QR).
    links: dict[str, LinkMaker] = field(default_factory=lambda: {"telegram": telegram_link})

    @classmethod
    def build(
        cls, bus: EventBus, *, clock: Clock = utcnow, public_url: str = "http://127.0.0.1:8080"
    ) -> ReferralServices:
        """`bus` is the store's: referral's own events (referral/events.py) go there too."""
        program = ProgramService()
        attribution = AttributionService(program, clock)
        return cls(
            program=program,
            agents=AgentService(program, clock),
            attribution=attribution,
            planner=CommissionPlanner(program, attribution, clock),
            ledger=Ledger(program, clock, bus),
            withdrawals=WithdrawalService(program, clock, bus),
            reports=ReportService(),
            bus=bus,
            public_url=public_url.rstrip("/"),
            clock=clock,
        )

    def subscribe(self) -> None:
        """Referral learns about orders only from these events."""
        bus = self.bus
        bus.subscribe(OrderPlaced, self.planner.on_placed)
        bus.subscribe(OrderPaid, self.ledger.on_paid)
        bus.subscribe(OrderCancelled, self.ledger.on_cancelled)
        bus.subscribe(OrderCompleted, self.ledger.on_completed)
        bus.subscribe(OrderRefunded, self.ledger.on_refunded)

    async def share_link(self, platform: str, account: str, code: str) -> str | None:
        maker = self.links.get(platform)
        return await maker(account, f"ref_{code}") if maker else None

    def poster_path(self, code: str) -> str:
        return f"/referral/poster/{code}.png"
