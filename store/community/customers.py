"""The shop's customers for the dashboard (私域): everyone who talked to the shop or ordered
from it, one row per person however many accounts they linked, most recently seen first,
with their orders, what they spent and their tags. The owner and staff are not listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.functions import Count, Max

from store.community.models import CustomerTag, Subscription, SubscriptionStatus
from store.models import Order, OrderStatus, Person, ShopMember
from store.paging import clamp_page

PAGE_SIZE = 20
NOT_SPENT = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class CustomerRow:
    person: Person
    platforms: list[str]
    subscribed: bool  # on at least one of their accounts
    last_seen_at: datetime
    orders: int  # placed, cancelled ones left out
    spent: Decimal  # paid, net of refunds
    tags: list[str]


@dataclass(frozen=True, slots=True)
class CustomerPage:
    rows: list[CustomerRow]
    page: int
    pages: int
    total: int


async def customers(shop_id: int, query: str = "", tag: str = "", page: int = 1) -> CustomerPage:
    """`query` matches a name (any of the person's accounts), `tag` one of their tags. The
    people are grouped, counted and paged by the database; only a page's rows are read."""
    team = ShopMember.filter(shop_id=shop_id).values("person_id")  # the shop, not its customers
    subs = Subscription.filter(shop_id=shop_id).exclude(identity__person_id__in=Subquery(team))
    if query:
        subs = subs.filter(identity__display_name__icontains=query[:40])
    if tag:
        tagged = CustomerTag.filter(shop_id=shop_id, tag=tag.strip().casefold()[:32])
        subs = subs.filter(identity__person_id__in=Subquery(tagged.values("person_id")))
    counted = (
        await subs.annotate(n=Count("identity__person_id", distinct=True))
        .group_by("shop_id")
        .values_list("n", flat=True)
    )
    total = int(counted[0]) if counted else 0
    page, pages = clamp_page(page, total, PAGE_SIZE)
    ids = list(
        await subs.annotate(seen=Max("last_seen_at"))
        .group_by("identity__person_id")
        .order_by("-seen", "identity__person_id")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .values_list("identity__person_id", flat=True)
    )
    return CustomerPage(await _rows(shop_id, ids), page, pages, total)


async def _rows(shop_id: int, ids: list[int]) -> list[CustomerRow]:
    """The page's people with their accounts in the shop, orders and tags, in `ids` order."""
    seen: dict[int, tuple[list[str], bool, datetime | None]] = {i: ([], False, None) for i in ids}
    for person_id, platform, status, last_seen in await Subscription.filter(
        shop_id=shop_id, identity__person_id__in=ids
    ).values_list("identity__person_id", "identity__platform", "status", "last_seen_at"):
        platforms, subscribed, latest = seen[person_id]
        if platform not in platforms:
            platforms.append(platform)
        latest = last_seen if latest is None else max(latest, last_seen)
        seen[person_id] = (platforms, subscribed or status == SubscriptionStatus.SUBSCRIBED, latest)
    people = {p.id: p for p in await Person.filter(id__in=ids)}
    orders: dict[int, list[tuple[Decimal, Decimal, str]]] = {i: [] for i in ids}
    for person_id, total_amount, refunded, status in await Order.filter(
        shop_id=shop_id, person_id__in=ids
    ).values_list("person_id", "total", "refunded_amount", "status"):
        orders[person_id].append((total_amount, refunded, status))
    tags: dict[int, list[str]] = {i: [] for i in ids}
    for person_id, name in (
        await CustomerTag.filter(shop_id=shop_id, person_id__in=ids)
        .order_by("tag")
        .values_list("person_id", "tag")
    ):
        tags[person_id].append(name)
    rows = []
    for person_id in ids:
        platforms, subscribed, last_seen = seen[person_id]
        placed = [o for o in orders[person_id] if o[2] != OrderStatus.CANCELLED]
        spent = sum((t - r for t, r, s in placed if s not in NOT_SPENT), Decimal("0.00"))
        rows.append(
            CustomerRow(
                people[person_id],
                sorted(platforms),
                subscribed,
                last_seen,  # type: ignore[arg-type]
                len(placed),
                spent,
                tags[person_id],
            )
        )
    return rows


async def is_customer(shop_id: int, person_id: int) -> bool:
    return await Subscription.exists(shop_id=shop_id, identity__person_id=person_id)
