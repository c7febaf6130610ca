"""The loyalty service: points and member levels per shop.

Pricing calls member_level / points_offer / points_value / spend_for_order (the contract in
docs/loyalty.md); the order events earn, return and reverse points (store/loyalty/reactions.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from store.clock import Clock
from store.db import transaction
from store.errors import InvalidInput, NotFound
from store.events import EventBus, OrderCancelled, OrderCompleted, OrderRefunded
from store.loyalty import ledger
from store.loyalty.models import (
    EntryKind,
    LevelRule,
    Member,
    OrderPoints,
    PointsEntry,
    PointsProgram,
)
from store.loyalty.reactions import Reactions
from store.loyalty.rules import (
    DEFAULT_RULE,
    MAX_LEVEL_NAME,
    MAX_LEVELS,
    MAX_POINTS,
    OFF,
    InsufficientPoints,
    MemberLevel,
    PointsOffer,
    Rule,
    check_level,
    check_rule,
)
from store.models import Person
from store.money import from_minor
from store.shop_cache import ShopCache
from store.shops import cached_shop

HISTORY = 10  # entries /points shows


@dataclass(frozen=True, slots=True)
class PointsReport:
    rule: Rule
    balance: int
    value: Decimal  # what the balance pays, ignoring the cap
    total_spend: Decimal
    level: LevelRule | None
    next_level: LevelRule | None
    to_next: Decimal  # spend still missing for next_level
    entries: list[PointsEntry]  # newest first, with their orders


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member in the shop's list: who, points, spend and the level it reached."""

    person: Person
    balance: int
    total_spend: Decimal
    level: LevelRule | None


class Loyalty:
    def __init__(self, bus: EventBus, clock: Clock, cache: ShopCache | None = None) -> None:
        self.bus = bus
        self.clock = clock
        self.cache = cache or ShopCache()
        self.reactions = Reactions(self.rule, clock)

    def subscribe(self) -> None:
        self.bus.subscribe(OrderCancelled, self.reactions.on_cancelled)
        self.bus.subscribe(OrderRefunded, self.reactions.on_refunded)
        self.bus.subscribe(OrderCompleted, self.reactions.on_completed)

    # -- the contract pricing uses ---------------------------------------------------------
    async def member_level(self, shop_id: int, person_id: int) -> MemberLevel | None:
        levels = await self.levels(shop_id)
        if not levels:  # most shops: no spend to look up on every order placed
            return None
        level, _ = _placed(levels, await self._total_spend(shop_id, person_id))
        return MemberLevel(level.name, level.discount_percent) if level else None

    async def points_offer(
        self, shop_id: int, person_id: int, payable: Decimal, wanted: int | None = None
    ) -> PointsOffer:
        """What the balance may pay for `payable`; `wanted`: at most that many points (still
        a multiple of the points worth a whole fen, so none is spent for nothing)."""
        rule = await self.rule(shop_id)
        balance = await self._balance(shop_id, person_id)
        currency = await self._currency(shop_id)
        most = balance if wanted is None else min(balance, wanted)
        usable = rule.usable(most, payable, currency)
        return PointsOffer(balance=balance, usable=usable, value=rule.value(usable, currency))

    async def points_value(self, shop_id: int, points: int) -> Decimal:
        return (await self.rule(shop_id)).value(points, await self._currency(shop_id))

    async def spend_for_order(
        self, shop_id: int, person_id: int, order_id: int, points: int
    ) -> Decimal:
        """Pay part of an order with points. Call inside the transaction placing the order:
        one conditional UPDATE takes them, so two orders racing for the same points can
        never both have them (InsufficientPoints), and the caller's rollback undoes it."""
        if points <= 0:
            raise InvalidInput("points_bad_number", value=str(points))
        rule = await self.rule(shop_id)
        if not rule.enabled:
            raise InvalidInput("points_off")
        await ledger.post(
            shop_id,
            person_id,
            EntryKind.SPEND,
            -points,
            self.clock(),
            order_id=order_id,
            guard=True,
        )
        await OrderPoints.create(
            order_id=order_id, shop_id=shop_id, person_id=person_id, spent=points
        )
        return rule.value(points, await self._currency(shop_id))

    # -- the shop's rules ------------------------------------------------------------------
    async def rule(self, shop_id: int) -> Rule:
        """Read at every checkout, changed rarely: one copy per process."""
        return await self.cache.get(shop_id, "points", lambda: self._load_rule(shop_id))

    @staticmethod
    async def _load_rule(shop_id: int) -> Rule:
        program = await PointsProgram.get_or_none(shop_id=shop_id)
        return OFF if program is None else _rule_of(program)

    async def _currency(self, shop_id: int) -> str:
        return (await cached_shop(self.cache, shop_id)).currency

    async def set_rule(
        self,
        shop_id: int,
        *,
        earn: Decimal | None = None,
        redeem: int | None = None,
        cap: int | None = None,
    ) -> Rule:
        """Change the given parts and switch points on; the first time, the others take the
        defaults (earn 1, value 100, cap 20)."""
        async with transaction():
            program = await PointsProgram.select_for_update().get_or_none(shop_id=shop_id)
            base = _rule_of(program) if program is not None else DEFAULT_RULE
            new = Rule(
                enabled=True,
                earn_rate=base.earn_rate if earn is None else earn,
                redeem_points=base.redeem_points if redeem is None else redeem,
                cap_percent=base.cap_percent if cap is None else cap,
            )
            check_rule(new)
            await PointsProgram.update_or_create(
                defaults={
                    "enabled": True,
                    "earn_rate": new.earn_rate,
                    "redeem_points": new.redeem_points,
                    "cap_percent": new.cap_percent,
                    "updated_at": self.clock(),
                },
                shop_id=shop_id,
            )
        await self.cache.changed(shop_id)
        return new

    async def switch_off(self, shop_id: int) -> Rule:
        """Stop earning and spending; balances stay, and refunds still return and reverse."""
        await PointsProgram.filter(shop_id=shop_id).update(enabled=False, updated_at=self.clock())
        await self.cache.changed(shop_id)
        return await self.rule(shop_id)

    async def levels(self, shop_id: int) -> list[LevelRule]:
        """Read on every order placed, changed rarely: one copy per process (read only)."""
        return await self.cache.get(
            shop_id,
            "levels",
            lambda: LevelRule.filter(shop_id=shop_id).order_by("min_spend"),
        )

    async def set_level(
        self, shop_id: int, name: str, min_spend: Decimal, discount: Decimal
    ) -> LevelRule:
        """Add a level, or change the one of that name."""
        level = await self._save_level(shop_id, name, min_spend, discount)
        await self.cache.changed(shop_id)
        return level

    async def _save_level(
        self, shop_id: int, name: str, min_spend: Decimal, discount: Decimal
    ) -> LevelRule:
        name = check_level(name, min_spend, discount)
        try:
            async with transaction():
                level = await _level_named(shop_id, name)
                if level is not None and level.name != name:
                    # `gold` beside `Gold` would be two levels nobody can tell apart.
                    raise InvalidInput("level_name_taken", name=level.name)
                if level is None:
                    if await LevelRule.filter(shop_id=shop_id).count() >= MAX_LEVELS:
                        raise InvalidInput("level_too_many", high=MAX_LEVELS)
                    return await LevelRule.create(
                        shop_id=shop_id, name=name, min_spend=min_spend, discount_percent=discount
                    )
                await LevelRule.filter(id=level.id).update(
                    min_spend=min_spend, discount_percent=discount
                )
                return await LevelRule.get(id=level.id)
        except IntegrityError:  # another level starts at that spend
            raise InvalidInput("level_spend_taken", spend=str(min_spend)) from None

    async def remove_level(self, shop_id: int, name: str) -> None:
        level = await _level_named(shop_id, name.strip())
        if level is None or not await LevelRule.filter(id=level.id).delete():
            raise NotFound("level_not_found", name=name[:MAX_LEVEL_NAME])
        await self.cache.changed(shop_id)

    # -- members ---------------------------------------------------------------------------
    async def report(self, shop_id: int, person_id: int) -> PointsReport:
        balance = await self._balance(shop_id, person_id)
        spend = await self._total_spend(shop_id, person_id)
        level, next_level = _placed(await self.levels(shop_id), spend)
        rule = await self.rule(shop_id)
        entries = (
            await PointsEntry.filter(shop_id=shop_id, person_id=person_id)
            .exclude(points=0)
            .order_by("-id")
            .limit(HISTORY)
            .prefetch_related("order")
        )
        return PointsReport(
            rule=rule,
            balance=balance,
            value=rule.value(balance, await self._currency(shop_id)),
            total_spend=spend,
            level=level,
            next_level=next_level,
            to_next=next_level.min_spend - spend if next_level else Decimal("0.00"),
            entries=entries,
        )

    async def top_members(self, shop_id: int, limit: int = 50) -> list[MemberRow]:
        """The biggest spenders first (then the largest balances)."""
        members = (
            await Member.filter(shop_id=shop_id)
            .order_by("-total_spend_minor", "-balance", "id")
            .limit(limit)
            .prefetch_related("person")
        )
        levels, currency = await self.levels(shop_id), await self._currency(shop_id)
        rows = []
        for m in members:
            spend = from_minor(m.total_spend_minor, currency)
            rows.append(MemberRow(m.person, m.balance, spend, _placed(levels, spend)[0]))
        return rows

    async def adjust(self, shop_id: int, person_id: int, points: int, note: str) -> int:
        """The owner corrects a balance by hand; a debit never takes it below zero. Returns
        the new balance."""
        if points == 0 or abs(points) > MAX_POINTS:
            raise InvalidInput("points_bad_adjust", value=str(points), high=MAX_POINTS)
        try:
            async with transaction():
                await ledger.post(
                    shop_id,
                    person_id,
                    EntryKind.ADJUST,
                    points,
                    self.clock(),
                    ref=secrets.token_hex(8),
                    note=note.strip(),
                    guard=points < 0,
                )
        except InsufficientPoints as e:  # said to the owner, not to the customer
            raise InsufficientPoints("points_adjust_too_low", **e.params) from None
        return await self._balance(shop_id, person_id)

    async def merge_person(self, from_id: int, into_id: int) -> None:
        """Accounts merge participant: `from_id` becomes `into_id`. Balances and total spend
        are summed per shop and the ledger rows follow, so each balance still equals its
        entries. Runs inside the accounts merge transaction."""
        for row in await Member.filter(person_id=from_id).order_by("shop_id"):
            into = await Member.filter(shop_id=row.shop_id, person_id=into_id).update(  # type: ignore[attr-defined]
                balance=F("balance") + row.balance,
                total_spend_minor=F("total_spend_minor") + row.total_spend_minor,
            )
            if into:
                await Member.filter(id=row.id).delete()
            else:
                await Member.filter(id=row.id).update(person_id=into_id)
        await PointsEntry.filter(person_id=from_id).update(person_id=into_id)
        await OrderPoints.filter(person_id=from_id).update(person_id=into_id)

    async def _balance(self, shop_id: int, person_id: int) -> int:
        member = await Member.get_or_none(shop_id=shop_id, person_id=person_id)
        return member.balance if member else 0

    async def _total_spend(self, shop_id: int, person_id: int) -> Decimal:
        member = await Member.get_or_none(shop_id=shop_id, person_id=person_id)
        minor = member.total_spend_minor if member else 0
        return from_minor(minor, await self._currency(shop_id))


async def _level_named(shop_id: int, name: str) -> LevelRule | None:
    """The shop's level of that name, whatever its case (`gold` finds `Gold`); the one spelled
    exactly so first, for shops that made both before names ignored case."""
    key = name.casefold()
    levels = await LevelRule.filter(shop_id=shop_id).order_by("id")  # a handful at most
    same = [lv for lv in levels if lv.name.casefold() == key]
    return next((lv for lv in same if lv.name == name), same[0] if same else None)


def _placed(levels: list[LevelRule], spend: Decimal) -> tuple[LevelRule | None, LevelRule | None]:
    """The level `spend` has reached and the next one (levels sorted by min_spend)."""
    reached = [lv for lv in levels if lv.min_spend <= spend]
    ahead = [lv for lv in levels if lv.min_spend > spend]
    return (reached[-1] if reached else None), (ahead[0] if ahead else None)


def _rule_of(program: PointsProgram) -> Rule:
    return Rule(
        enabled=program.enabled,
        earn_rate=program.earn_rate,
        redeem_points=program.redeem_points,
        cap_percent=program.cap_percent,
    )
