"""Promotions: the merchant's coupons, 满减 rules and flash sales, and the guarded counters that
hold their limits when orders are placed, cancelled or refunded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum

from store.clock import Clock
from store.errors import ProductNotFound
from store.events import EventBus
from store.identity_cache import IdentityCache
from store.models import Product
from store.money import Money, plain
from store.prepared import Prepared
from store.promotions.errors import (
    BadPromotion,
    CouponNotFound,
    CouponUnusable,
    FlashSaleNotFound,
    FlashUnavailable,
    RuleNotFound,
)
from store.promotions.models import (
    CheckoutChoice,
    Coupon,
    CouponKind,
    CouponRedemption,
    FlashPurchase,
    FlashSale,
    FullReduction,
)
from store.shop_cache import ShopCache

_CODE = re.compile(r"^[A-Z0-9_-]{3,24}$")
MAX_RULES = 10
MAX_LIMIT = 100_000
# Read with every priced cart: its SQL built once.
_CHOICE = Prepared(
    CheckoutChoice,
    lambda person_id, shop_id: CheckoutChoice.filter(person_id=person_id, shop_id=shop_id).limit(1),
)


@dataclass(frozen=True, slots=True)
class NewCoupon:
    code: str
    kind: CouponKind
    value: Decimal
    min_spend: Decimal = Decimal("0")
    ends_at: datetime | None = None
    uses: int | None = None
    per_customer: int = 1


@dataclass(frozen=True, slots=True)
class NewFlashSale:
    product_id: int
    price: Decimal
    starts_at: datetime
    ends_at: datetime
    cap: int
    per_customer: int


def normalise_code(text: str) -> str:
    return text.strip().upper()


def _count(value: int | None, name: str) -> None:
    if value is not None and not 1 <= value <= MAX_LIMIT:
        raise BadPromotion("promo_bad_count", name=name, high=MAX_LIMIT)


async def _flash_windows(shop_id: int, now: datetime) -> list[tuple[int, datetime, datetime]]:
    """When each of the shop's sales not over yet runs; only creating or ending one
    changes this (time passing only makes a window start or end, checked by the reader)."""
    return list(
        await FlashSale.filter(shop_id=shop_id, active=True, ends_at__gt=now).values_list(
            "product_id", "starts_at", "ends_at"
        )
    )


class Promotions:
    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        cache: ShopCache | None = None,
        people: IdentityCache | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.cache = cache or ShopCache()
        # A customer's checkout choice is read with every priced cart: kept with the other
        # copies about them, dropped after every change (tests/promotions/test_choice_copies.py).
        self.people = people or IdentityCache()

    def subscribe(self) -> None:
        """Nothing to hear: orders release their promotions inside their own transactions."""

    # -- coupons: the merchant -----------------------------------------------------------------
    async def create_coupon(self, shop_id: int, new: NewCoupon) -> Coupon:
        code = normalise_code(new.code)
        if not _CODE.match(code):
            raise BadPromotion("coupon_bad_code", name=new.code[:30])
        if new.kind == CouponKind.PERCENT and not Decimal("0") < new.value < Decimal("100"):
            raise BadPromotion("coupon_bad_percent", value=plain(new.value))
        if new.ends_at is not None and new.ends_at <= self.clock():
            raise BadPromotion("promo_in_past")
        _count(new.uses, "uses")
        _count(new.per_customer, "per")
        try:
            return await Coupon.create(
                shop_id=shop_id,
                code=code,
                kind=new.kind,
                value=new.value,
                min_spend=new.min_spend,
                ends_at=new.ends_at,
                uses=new.uses,
                per_customer=new.per_customer,
            )
        except IntegrityError:
            raise BadPromotion("coupon_exists", name=code) from None

    async def coupons(self, shop_id: int) -> list[Coupon]:
        return await Coupon.filter(shop_id=shop_id, active=True).order_by("code").limit(50)

    async def end_coupon(self, shop_id: int, code: str) -> Coupon:
        coupon = await self.coupon(shop_id, code)
        await Coupon.filter(id=coupon.id).update(active=False)
        coupon.active = False
        return coupon

    # -- coupons: the customer ------------------------------------------------------------------
    async def coupon(self, shop_id: int, code: str) -> Coupon:
        found = await Coupon.get_or_none(shop_id=shop_id, code=normalise_code(code)[:24])
        if found is None:
            raise CouponNotFound(name=code[:30])
        return found

    async def check_coupon(
        self, coupon: Coupon, person_id: int, spend: Decimal, now: datetime
    ) -> None:
        """Raise CouponUnusable saying why `coupon` can't be used on `spend` now."""
        code = coupon.code
        if not coupon.active:
            raise CouponUnusable("coupon_ended", name=code)
        if coupon.ends_at is not None and coupon.ends_at <= now:
            raise CouponUnusable("coupon_expired", name=code)
        if coupon.uses is not None and coupon.used >= coupon.uses:
            raise CouponUnusable("coupon_used_up", name=code)
        if await self._redemptions(coupon.id, person_id) >= coupon.per_customer:
            raise CouponUnusable("coupon_per_customer", name=code, limit=coupon.per_customer)
        if spend < coupon.min_spend:
            raise CouponUnusable("coupon_min_spend", name=code, min=Money(coupon.min_spend))

    async def redeem(self, coupon: Coupon, person_id: int, order_id: int) -> None:
        """Count one use, inside the placing transaction. The guarded update locks the coupon
        row (PostgreSQL) so the per-customer count after it sees every committed use."""
        guarded = Coupon.filter(id=coupon.id, active=True)
        if coupon.uses is not None:
            guarded = guarded.filter(used__lt=coupon.uses)
        if not await guarded.update(used=F("used") + 1):
            raise CouponUnusable("coupon_used_up", name=coupon.code)
        if await self._redemptions(coupon.id, person_id) >= coupon.per_customer:
            raise CouponUnusable("coupon_per_customer", name=coupon.code, limit=coupon.per_customer)
        await CouponRedemption.create(coupon_id=coupon.id, person_id=person_id, order_id=order_id)

    async def _redemptions(self, coupon_id: int, person_id: int) -> int:
        return await CouponRedemption.filter(
            coupon_id=coupon_id, person_id=person_id, released_at=None
        ).count()

    # -- checkout choices ---------------------------------------------------------------------
    async def choice(self, person_id: int, shop_id: int) -> CheckoutChoice | None:
        """The coupon and points the customer chose in this shop; callers only read it."""
        return await self.people.get(
            person_id, f"choice {shop_id}", lambda: _CHOICE.first(person_id, shop_id)
        )

    async def choose(self, person_id: int, shop_id: int, **changes: object) -> None:
        choice, created = await CheckoutChoice.get_or_create(
            person_id=person_id, shop_id=shop_id, defaults=changes
        )
        if not created:
            await CheckoutChoice.filter(id=choice.id).update(**changes)
        await self.people.changed(person_id)

    async def clear_choice(self, person_id: int, shop_id: int) -> None:
        """Inside the placing transaction: `choice_cleared` after its commit."""
        await CheckoutChoice.filter(person_id=person_id, shop_id=shop_id).delete()

    async def choice_cleared(self, person_id: int) -> None:
        await self.people.changed(person_id)

    async def merge_person(self, from_id: int, into_id: int) -> None:
        """Accounts merge participant: where both people chose a coupon or points in the
        same shop, the surviving person's choice stands (the rest moves with the generic
        merge; redemptions and flash purchases add up against the limits)."""
        kept = await CheckoutChoice.filter(person_id=into_id).values_list("shop_id", flat=True)
        await CheckoutChoice.filter(person_id=from_id, shop_id__in=list(kept)).delete()

    # -- 满减 rules ----------------------------------------------------------------------------
    async def add_rule(self, shop_id: int, threshold: Decimal, amount: Decimal) -> FullReduction:
        if amount >= threshold:
            raise BadPromotion("fullreduce_too_much")
        if await FullReduction.filter(shop_id=shop_id).count() >= MAX_RULES:
            raise BadPromotion("fullreduce_too_many", high=MAX_RULES)
        try:
            rule = await FullReduction.create(shop_id=shop_id, threshold=threshold, amount=amount)
        except IntegrityError:
            raise BadPromotion("fullreduce_exists", threshold=threshold) from None
        await self.cache.changed(shop_id)
        return rule

    async def rules(self, shop_id: int) -> list[FullReduction]:
        """Read on every order placed, changed rarely: one copy per process (read only)."""
        return await self.cache.get(
            shop_id, "rules", lambda: FullReduction.filter(shop_id=shop_id).order_by("threshold")
        )

    async def remove_rule(self, shop_id: int, rule_id: int) -> None:
        if not await FullReduction.filter(shop_id=shop_id, id=rule_id).delete():
            raise RuleNotFound(id=rule_id)
        await self.cache.changed(shop_id)

    # -- flash sales ----------------------------------------------------------------------------
    async def create_flash(self, shop_id: int, new: NewFlashSale) -> FlashSale:
        product = await Product.get_or_none(id=new.product_id, shop_id=shop_id)
        if product is None:
            raise ProductNotFound(id=new.product_id)
        if new.price >= product.price:
            raise BadPromotion("flash_price_not_lower", price=Money(product.price))
        if new.ends_at <= new.starts_at or new.ends_at <= self.clock():
            raise BadPromotion("promo_in_past")
        _count(new.cap, "cap")
        _count(new.per_customer, "limit")
        if await self._overlapping(new):
            raise BadPromotion("flash_overlaps", id=new.product_id)
        sale = await FlashSale.create(
            shop_id=shop_id,
            product_id=new.product_id,
            price=new.price,
            starts_at=new.starts_at,
            ends_at=new.ends_at,
            cap=new.cap,
            per_customer=new.per_customer,
        )
        await self.cache.changed(shop_id)
        return sale

    async def _overlapping(self, new: NewFlashSale) -> bool:
        """One flash price per product at a time, so a cart line has one price."""
        return await FlashSale.filter(
            product_id=new.product_id,
            active=True,
            starts_at__lt=new.ends_at,
            ends_at__gt=new.starts_at,
        ).exists()

    async def flash_sales(self, shop_id: int) -> list[FlashSale]:
        """Running and coming sales."""
        return (
            await FlashSale.filter(shop_id=shop_id, active=True, ends_at__gt=self.clock())
            .order_by("starts_at")
            .limit(50)
            .prefetch_related("product")
        )

    async def end_flash(self, shop_id: int, sale_id: int) -> FlashSale:
        if not await FlashSale.filter(shop_id=shop_id, id=sale_id, active=True).update(
            active=False
        ):
            raise FlashSaleNotFound(id=sale_id)
        await self.cache.changed(shop_id)
        return await FlashSale.get(id=sale_id).prefetch_related("product")

    async def running_flash(
        self, shop_id: int, product_ids: list[int], now: datetime
    ) -> dict[int, FlashSale]:
        """The sales running now on these products, read fresh (their counters move with
        every order) but only when the shop's sale windows, kept per process, say so."""
        windows = await self.cache.get(shop_id, "flash", lambda: _flash_windows(shop_id, now))
        wanted = set(product_ids)
        if not any(p in wanted and start <= now < end for p, start, end in windows):
            return {}
        sales = await FlashSale.filter(
            product_id__in=product_ids, active=True, starts_at__lte=now, ends_at__gt=now
        )
        return {s.product_id: s for s in sales}  # type: ignore[attr-defined]

    async def flash_bought(self, sale_id: int, person_id: int) -> int:
        return (await self.flash_bought_each([sale_id], person_id)).get(sale_id, 0)

    async def flash_bought_each(self, sale_ids: list[int], person_id: int) -> dict[int, int]:
        """Units of each sale the person holds (not released), in one query."""
        rows = (
            await FlashPurchase.filter(sale_id__in=sale_ids, person_id=person_id, released_at=None)
            .annotate(n=Sum("quantity"))
            .group_by("sale_id")
            .values("sale_id", "n")
        )
        return {row["sale_id"]: int(row["n"] or 0) for row in rows}

    async def hold_flash(self, sale: FlashSale, person_id: int, order_id: int, units: int) -> None:
        """Take `units` off the cap, inside the placing transaction: a guarded update (which
        locks the sale row on PostgreSQL), then the customer's own count under that lock."""
        if not await FlashSale.filter(id=sale.id, active=True, sold__lte=sale.cap - units).update(
            sold=F("sold") + units
        ):
            raise FlashUnavailable(id=sale.id)
        if await self.flash_bought(sale.id, person_id) + units > sale.per_customer:
            raise FlashUnavailable(id=sale.id)
        await FlashPurchase.create(
            sale_id=sale.id, person_id=person_id, order_id=order_id, quantity=units
        )

    # -- giving back -----------------------------------------------------------------------------
    async def release(self, order_id: int) -> None:
        """A cancelled or fully refunded order gives back its coupon use and flash units, once:
        each row is released by a guarded update before its counter moves."""
        now = self.clock()
        redemption = await CouponRedemption.get_or_none(order_id=order_id, released_at=None)
        if redemption is not None and await CouponRedemption.filter(
            id=redemption.id, released_at=None
        ).update(released_at=now):
            await Coupon.filter(id=redemption.coupon_id).update(used=F("used") - 1)  # type: ignore[attr-defined]
        for held in await FlashPurchase.filter(order_id=order_id, released_at=None).order_by(
            "sale_id"
        ):
            if await FlashPurchase.filter(id=held.id, released_at=None).update(released_at=now):
                await FlashSale.filter(id=held.sale_id).update(  # type: ignore[attr-defined]
                    sold=F("sold") - held.quantity
                )
