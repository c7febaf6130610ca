"""What agents and merchants read: earnings per order, the team, the leaderboard, CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise.functions import Sum

from referral.attribution import in_force_q
from referral.ledger import Balances, balances
from referral.models import (
    Agent,
    AgentStatus,
    Binding,
    EntryKind,
    LedgerEntry,
    OrderCommission,
    OrderReferral,
    ReferralProgram,
    Withdrawal,
)
from store.csvfile import write_csv
from store.models import Shop
from store.money import from_minor

EARNING_KINDS = (EntryKind.COMMISSION, EntryKind.REVERSAL)


def mask_name(name: str) -> str:
    """Zhang San -> Z*******; 张三 -> 张*: agents see that someone bought, not who."""
    name = name.strip()
    return (name[0] + "*" * max(len(name) - 1, 1)) if name else "*"


@dataclass(frozen=True, slots=True)
class OrderEarning:
    order_no: str
    buyer: str  # masked
    level: int
    amount_minor: int  # what was promised
    reversed_minor: int  # taken back by refunds
    state: str  # "placed" | "pending" | "frozen" | "available" | "refunded" | "cancelled"
    release_at: datetime | None


@dataclass(frozen=True, slots=True)
class Earnings:
    agent: Agent
    balances: Balances
    orders: list[OrderEarning]


@dataclass(frozen=True, slots=True)
class TeamLevel:
    level: int
    customers: list[str]  # masked names, the first few
    agents: list[str]  # masked names of the sub-agents at this level, the first few
    customer_count: int  # all of them, however many are named
    agent_count: int


@dataclass(frozen=True, slots=True)
class Leader:
    name: str  # masked
    earned_minor: int


class ReportService:
    async def earnings(self, agent: Agent, limit: int = 10) -> Earnings:
        commissions = (
            await OrderCommission.filter(agent_id=agent.id)
            .order_by("-id")
            .limit(limit)
            .prefetch_related("referral__customer")
        )
        orders = []
        for c in commissions:
            r = c.referral
            reversed_minor = await _earned(
                LedgerEntry.filter(
                    order_id=r.order_id, agent_id=agent.id, level=c.level, kind=EntryKind.REVERSAL
                )
            )
            orders.append(
                OrderEarning(
                    order_no=r.order_no,
                    buyer=mask_name(r.customer.display_name),
                    level=c.level,
                    amount_minor=c.amount_minor,
                    reversed_minor=-reversed_minor,
                    state=_state(r),
                    release_at=r.release_at,
                )
            )
        fresh = await Agent.get(id=agent.id)
        return Earnings(fresh, balances(fresh), orders)

    async def team(
        self, agent: Agent, program: ReferralProgram, now: datetime, shown: int = 10
    ) -> list[TeamLevel]:
        """Customers bound to the agent (level 1), to its sub-agents (level 2), and so on, to
        the program's levels: only the bindings in force, the ones that earn (`days <n>`)."""
        shop_id = agent.shop_id  # type: ignore[attr-defined]
        levels = program.levels
        earning = in_force_q(program, now)
        result: list[TeamLevel] = []
        frontier = [agent.id]
        seen = {agent.id}
        for level in range(1, levels + 1):
            if not frontier:
                break
            bindings = await Binding.filter(
                earning, shop_id=shop_id, agent_id__in=frontier
            ).prefetch_related("customer")
            customer_ids = [b.customer_id for b in bindings]  # type: ignore[attr-defined]
            subs = await Agent.filter(
                shop_id=shop_id, person_id__in=customer_ids, status=AgentStatus.ACTIVE
            ).prefetch_related("person")
            subs = [a for a in subs if a.id not in seen]
            result.append(
                TeamLevel(
                    level,
                    [mask_name(b.customer.display_name) for b in bindings][:shown],
                    [mask_name(a.person.display_name) for a in subs][:shown],
                    len(bindings),
                    len(subs),
                )
            )
            seen.update(a.id for a in subs)
            frontier = [a.id for a in subs]
        return result

    async def leaderboard(
        self, shop_id: int, period: str, now: datetime, limit: int = 10
    ) -> list[Leader]:
        """Commission earned (less refunds) since the start of this week or month, shop time."""
        shop = await Shop.get(id=shop_id)
        local = now.astimezone(ZoneInfo(shop.timezone)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        since = local.replace(day=1) if period == "month" else local - timedelta(local.weekday())
        rows = (
            await LedgerEntry.filter(shop_id=shop_id, kind__in=EARNING_KINDS, created_at__gte=since)
            .annotate(p=Sum("pending"), a=Sum("available"))
            .group_by("agent_id")
            .values("agent_id", "p", "a")
        )
        totals = ((int(r["p"] or 0) + int(r["a"] or 0), r["agent_id"]) for r in rows)
        ranked = sorted(((s, a) for s, a in totals if s > 0), reverse=True)[:limit]
        agents = {
            a.id: a
            for a in await Agent.filter(id__in=[a for _, a in ranked]).prefetch_related("person")
        }
        return [Leader(mask_name(agents[a].person.display_name), s) for s, a in ranked]

    async def ledger_csv(self, shop_id: int) -> bytes:
        """The commission ledger as a spreadsheet file (store.csvfile: BOM, no formulas)."""
        shop = await Shop.get(id=shop_id)
        entries = await LedgerEntry.filter(shop_id=shop_id).order_by("id")
        codes = await _agent_codes(shop_id)
        header = ["id", "time", "agent", "order", "level", "kind"]
        header += ["pending", "available", "held", "withdrawn", "currency"]
        return write_csv(
            header,
            (
                [
                    e.id,
                    _local(e.created_at, shop),
                    codes[e.agent_id],
                    e.order_no,
                    e.level or "",  # type: ignore[attr-defined]
                    e.kind.value,
                    *(
                        _money(v, shop.currency)
                        for v in (e.pending, e.available, e.held, e.withdrawn)
                    ),
                    shop.currency,
                ]
                for e in entries
            ),
        )

    async def withdrawals_csv(self, shop_id: int) -> bytes:
        shop = await Shop.get(id=shop_id)
        rows = await Withdrawal.filter(shop_id=shop_id).order_by("id")
        codes = await _agent_codes(shop_id)
        header = ["id", "time", "agent", "amount", "fee", "payout"]
        header += ["status", "decided", "reason", "currency"]
        return write_csv(
            header,
            (
                [
                    w.id,
                    _local(w.created_at, shop),
                    codes[w.agent_id],  # type: ignore[attr-defined]
                    _money(w.amount_minor, shop.currency),
                    _money(w.fee_minor, shop.currency),
                    _money(w.amount_minor - w.fee_minor, shop.currency),
                    w.status.value,
                    _local(w.decided_at, shop) if w.decided_at else "",
                    w.reason,  # typed by a person: write_csv keeps it from running as a formula
                    shop.currency,
                ]
                for w in rows
            ),
        )


def _state(r: OrderReferral) -> str:
    if r.cancelled_at is not None:
        return "cancelled"
    if r.paid_at is None:
        return "placed"
    goods = min(r.goods_minor, r.total_minor)  # the base; shipping may stay unrefunded
    if goods and r.refunded_minor >= goods:
        return "refunded"  # goods refunded in full: nothing of it is coming, whatever the freeze
    if r.released_at is not None:
        return "available"
    return "frozen" if r.release_at is not None else "pending"


async def _earned(query: object) -> int:
    """Commission moved by these entries (pending and available together)."""
    row = await query.annotate(p=Sum("pending"), a=Sum("available")).first().values("p", "a")  # type: ignore[attr-defined]
    return int(row["p"] or 0) + int(row["a"] or 0) if row else 0


def _money(minor: int, currency: str) -> Decimal:
    """A number for the spreadsheet (write_csv leaves numbers unescaped, so -6.40 adds up)."""
    return from_minor(minor, currency)


async def _agent_codes(shop_id: int) -> dict[int, str]:
    return dict(await Agent.filter(shop_id=shop_id).values_list("id", "code"))


def _local(moment: datetime, shop: Shop) -> str:
    """A time in the shop's time zone, as the dashboard and its orders export show it."""
    return moment.astimezone(ZoneInfo(shop.timezone or "Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
