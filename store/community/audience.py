"""Segments of a shop's community, read in keyset pages so any size keeps memory flat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from store.community.models import CustomerTag, Subscription, SubscriptionStatus
from store.errors import InvalidInput
from store.models import GroupBinding, Order, OrderStatus

# Orders that count as a purchase.
BOUGHT = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
MAX_IDLE_DAYS = 3650
# Segment words, English and Chinese -> kind.
KINDS = {
    "all": "all", "全部": "all",
    "tag": "tag", "标签": "tag",
    "product": "product", "商品": "product",
    "category": "category", "分类": "category",
    "idle": "idle", "沉睡": "idle",
    "groups": "groups", "群": "groups",
    "agents": "agents", "代理": "agents",
}  # fmt: skip
NEEDS_VALUE = frozenset({"tag", "product", "category", "idle"})
BUILT_IN = frozenset({"all", "tag", "product", "category", "idle", "groups"})


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str  # all | tag | product | category | idle | groups | a person set's name
    value: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind


@dataclass(frozen=True, slots=True)
class Recipient:
    source_id: int  # the subscription's or group binding's id: the keyset cursor
    platform: str
    chat_id: str
    identity_id: int | None = None  # None for a group
    is_group: bool = False


# shop id -> a queryset whose `person_id` values are the members (e.g. referral's agents).
PersonSet = Callable[[int], QuerySet[Any]]


@dataclass
class Audience:
    """Who a segment reaches. Segments other packages own (`agents`, from referral) are
    person sets added by the composition root, so the store never imports them."""

    person_sets: dict[str, PersonSet] = field(default_factory=dict)

    def parse(self, text: str) -> Segment:
        """`all`, `tag:vip`, `product:12`, `category:tea`, `idle:30`, `groups`, `agents`
        (or 全部, 标签:vip, 商品:12, 分类:茶, 沉睡:30, 群, 代理)."""
        word, _, value = text.strip().replace("：", ":").partition(":")
        kind = KINDS.get(word.strip().casefold())
        value = value.strip()
        bad = InvalidInput("bad_segment", segment=text.strip()[:40])
        if kind is None or (kind in NEEDS_VALUE) != bool(value) or len(value) > 40:
            raise bad
        if kind not in BUILT_IN and kind not in self.person_sets:
            raise bad  # a segment whose package is not wired here
        if kind in ("product", "idle") and not (value.isascii() and value.isdigit()):
            raise bad
        if kind == "idle" and not 1 <= int(value) <= MAX_IDLE_DAYS:
            raise bad
        return Segment(kind, value.casefold() if kind == "tag" else value)

    def _subscribers(self, shop_id: int, segment: Segment, now: datetime) -> QuerySet[Subscription]:
        qs = Subscription.filter(
            shop_id=shop_id, status=SubscriptionStatus.SUBSCRIBED, identity__unreachable=False
        )
        orders = Order.filter(shop_id=shop_id)
        members: QuerySet[Any] | None = None
        if segment.kind == "tag":
            members = CustomerTag.filter(shop_id=shop_id, tag=segment.value)
        elif segment.kind == "product":
            members = orders.filter(status__in=BOUGHT, items__product_id=int(segment.value))
        elif segment.kind == "category":
            members = orders.filter(status__in=BOUGHT, items__product__category__name=segment.value)
        elif segment.kind == "idle":
            recent = orders.filter(created_at__gte=now - timedelta(days=int(segment.value)))
            qs = qs.exclude(identity__person_id__in=Subquery(recent.values("person_id")))
        elif segment.kind in self.person_sets:
            members = self.person_sets[segment.kind](shop_id)
        if members is not None:
            qs = qs.filter(identity__person_id__in=Subquery(members.values("person_id")))
        return qs

    async def size(self, shop_id: int, segment: Segment, now: datetime) -> int:
        if segment.kind == "groups":
            return await GroupBinding.filter(shop_id=shop_id).count()
        return await self._subscribers(shop_id, segment, now).count()

    async def page(
        self, shop_id: int, segment: Segment, now: datetime, *, after: int, limit: int
    ) -> list[Recipient]:
        """The next `limit` recipients whose source id is above `after`, in id order."""
        if segment.kind == "groups":
            groups = (
                await GroupBinding.filter(shop_id=shop_id, id__gt=after).order_by("id").limit(limit)
            )
            return [Recipient(g.id, g.platform, g.chat_id, is_group=True) for g in groups]
        rows = (
            await self._subscribers(shop_id, segment, now)
            .filter(id__gt=after)
            .order_by("id")
            .limit(limit)
            .values("id", "identity_id", "identity__platform", "identity__platform_user_id")
        )
        return [
            Recipient(
                r["id"], r["identity__platform"], r["identity__platform_user_id"], r["identity_id"]
            )
            for r in rows
        ]
