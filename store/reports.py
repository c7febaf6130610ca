"""What a merchant looks at: sales figures, best sellers and the order list, per shop.

Sums are taken in Python over Decimal values (a micro-merchant's month is a few thousand
orders at most), so SQLite and PostgreSQL give the same exact figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from store.clock import Clock
from store.groupbuy.models import GroupBuy, GroupSeat, GroupStatus
from store.models import Order, OrderItem, OrderStatus, Shop
from store.orders import ORDER_NO_MAX, normalise_order_no
from store.paging import clamp_page
from store.pricing import refund_share

S = OrderStatus
# Orders whose money the shop holds: what "sales" means on the dashboard.
REVENUE_STATUSES = (S.PAID, S.SHIPPED, S.COMPLETED, S.REFUND_REQUESTED)
CHART_DAYS = 30
BEST_SELLERS = 5
ORDERS_PER_PAGE = 25
EXPORT_LIMIT = 10_000
QUERY_MAX = 40


@dataclass(frozen=True, slots=True)
class DaySales:
    day: date
    total: Decimal
    orders: int


@dataclass(frozen=True, slots=True)
class BestSeller:
    title: str
    product_id: int | None
    quantity: int
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class Overview:
    today: DaySales
    month_total: Decimal
    month_orders: int
    status_counts: dict[str, int]
    daily: list[DaySales]  # oldest first, CHART_DAYS days ending today
    best_sellers: list[BestSeller]
    # Paid orders that are seats of a group still open: counted as paid, not yet to ship.
    awaiting_group: int = 0

    @property
    def to_ship(self) -> int:
        return self.status_counts[OrderStatus.PAID.value] - self.awaiting_group


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: OrderStatus | None = None
    since: date | None = None  # inclusive, in the shop's time zone
    until: date | None = None  # inclusive
    query: str = ""  # an order number, part of the buyer's name, or 4+ digits of the phone


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: list[Order]
    page: int
    pages: int
    total: int


def shop_zone(shop: Shop) -> ZoneInfo:
    return ZoneInfo(shop.timezone or "Asia/Shanghai")


class ShopReports:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def overview(self, shop: Shop) -> Overview:
        zone = shop_zone(shop)
        today = self.clock().astimezone(zone).date()
        first_day = min(today - timedelta(days=CHART_DAYS - 1), today.replace(day=1))
        since = datetime.combine(first_day, time(), zone)
        paid = await Order.filter(
            shop_id=shop.id, status__in=REVENUE_STATUSES, paid_at__gte=since
        ).values_list("id", "paid_at", "total", "refunded_amount")
        per_day: dict[date, list[Decimal]] = {}
        for _id, paid_at, total, refunded in paid:  # what the shop keeps, after part refunds
            per_day.setdefault(paid_at.astimezone(zone).date(), []).append(total - refunded)

        def day_sales(day: date) -> DaySales:
            totals = per_day.get(day, [])
            return DaySales(day, sum(totals, Decimal("0.00")), len(totals))

        month = [t for d, ts in per_day.items() if d >= today.replace(day=1) for t in ts]
        chart_start = today - timedelta(days=CHART_DAYS - 1)
        recent_ids = [
            oid for oid, paid_at, *_ in paid if paid_at.astimezone(zone).date() >= chart_start
        ]
        return Overview(
            today=day_sales(today),
            month_total=sum(month, Decimal("0.00")),
            month_orders=len(month),
            status_counts=await self.status_counts(shop.id),
            daily=[day_sales(chart_start + timedelta(days=i)) for i in range(CHART_DAYS)],
            best_sellers=await self._best_sellers(recent_ids),
            awaiting_group=await GroupSeat.filter(
                order__shop_id=shop.id,
                order__status=OrderStatus.PAID,
                group__status=GroupStatus.OPEN,
            ).count(),
        )

    async def status_counts(self, shop_id: int) -> dict[str, int]:
        return await _counts(Order.filter(shop_id=shop_id))

    async def filtered_status_counts(self, shop: Shop, flt: OrderFilter) -> dict[str, int]:
        """How many orders of each status the search and dates find (whatever status the
        list shows): the counts on the list's status tabs."""
        return await _counts(self._filtered(shop, replace(flt, status=None)))

    async def _best_sellers(self, order_ids: list[int]) -> list[BestSeller]:
        if not order_ids:
            return []
        items = await OrderItem.filter(order_id__in=order_ids).values_list(
            "product_id", "title", "unit_price", "quantity", "discount", "refunded_quantity"
        )
        quantity: Counter[int | str] = Counter()
        revenue: dict[int | str, Decimal] = {}
        titles: dict[int | str, str] = {}
        for product_id, title, unit_price, qty, discount, refunded in items:
            if refunded >= qty:
                continue  # every unit of the line given back: not sold
            key = product_id if product_id is not None else title  # a deleted product
            quantity[key] += qty - refunded
            # What the kept units were paid, after discounts (as a part refund counts them).
            net = unit_price * qty - discount
            kept = net - refund_share(net, qty, refunded)
            revenue[key] = revenue.get(key, Decimal("0.00")) + kept
            titles.setdefault(key, title)
        return [
            BestSeller(titles[k], k if isinstance(k, int) else None, q, revenue[k])
            for k, q in sorted(quantity.items(), key=lambda kq: (-kq[1], -revenue[kq[0]]))[
                :BEST_SELLERS
            ]
        ]

    # -- the order list --------------------------------------------------------------------
    def _filtered(self, shop: Shop, flt: OrderFilter):  # type: ignore[no-untyped-def]
        zone = shop_zone(shop)
        qs = Order.filter(shop_id=shop.id)
        if flt.status is not None:
            qs = qs.filter(status=flt.status)
        if flt.since is not None:
            qs = qs.filter(created_at__gte=datetime.combine(flt.since, time(), zone))
        if flt.until is not None:
            end = datetime.combine(flt.until + timedelta(days=1), time(), zone)
            qs = qs.filter(created_at__lt=end)
        if flt.query:
            qs = qs.filter(_matching(flt.query))
        return qs

    async def orders(self, shop: Shop, flt: OrderFilter, page: int = 1) -> OrderPage:
        qs = self._filtered(shop, flt)
        total = await qs.count()
        page, pages = clamp_page(page, total, ORDERS_PER_PAGE)
        found = (
            await qs.order_by("-id")
            .offset((page - 1) * ORDERS_PER_PAGE)
            .limit(ORDERS_PER_PAGE)
            .prefetch_related("items")
        )
        return OrderPage(list(found), page, pages, total)

    async def orders_for_export(self, shop: Shop, flt: OrderFilter) -> list[Order]:
        return list(
            await self._filtered(shop, flt)
            .order_by("-id")
            .limit(EXPORT_LIMIT)
            .prefetch_related("items")
        )


async def _counts(orders: QuerySet[Order]) -> dict[str, int]:
    rows = await orders.annotate(n=Count("id")).group_by("status").values_list("status", "n")
    counts = {s.value: 0 for s in OrderStatus}
    counts.update({str(status): n for status, n in rows})
    return counts


def _matching(query: str) -> Q:
    """The merchant's search box: who phoned, what they were called, which number it was."""
    text = query.strip()[:QUERY_MAX]
    found = Q(contact_name__icontains=text)
    number = normalise_order_no(text)
    if 0 < len(number) <= ORDER_NO_MAX:
        found |= Q(order_no=number)
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) >= 4:
        found |= Q(phone__contains=digits)
    return found


async def open_group_buys(shop_id: int, now: datetime, limit: int = 50) -> list[GroupBuy]:
    """The shop's groups still filling, those closing soonest first."""
    return list(
        await GroupBuy.filter(shop_id=shop_id, status=GroupStatus.OPEN, expires_at__gt=now)
        .order_by("expires_at")
        .limit(limit)
        .prefetch_related("campaign__product")
    )
