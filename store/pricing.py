"""The pricing pipeline: a cart becomes a Quote, and placing an order records it.

Order of application (docs/promotions.md): flash-sale unit prices -> member level % off ->
the best 满减 rule met -> one coupon -> points. Each step works on what is left after the
ones before it, never takes the goods below MIN_PAYABLE, and is spread over the lines in
exact cents (largest remainder), so any partial refund returns exactly a line's net share.

Shipping is no discount's business: the shop's flat fee is added to the total, unless the
goods after the promotions (flash, member, 满减, coupon; before points, which pay like money)
reach the shop's free-shipping threshold (满 X 包邮). Discounts, coupon minimums and points
only ever see the goods, so nothing takes anything off shipping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from store.cart import Cart, CartLine, read_cart
from store.clock import Clock
from store.errors import EmptyCart, InvalidInput, StoreError
from store.loyalty.rules import InsufficientPoints
from store.loyalty.service import Loyalty
from store.models import CartItem, Order, OrderItem, Shop
from store.money import CENT, Money, quantize
from store.promotions.errors import CouponUnusable, PriceChanged
from store.promotions.models import (
    CheckoutChoice,
    Coupon,
    CouponKind,
    FlashSale,
    FullReduction,
    OrderDiscount,
)
from store.promotions.service import Promotions
from store.shops import ShopService

MIN_PAYABLE = CENT  # an order always costs something: payment providers refuse zero
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def _cents(value: Decimal) -> int:
    return int((value / CENT).to_integral_value())


def allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `amount` over `weights` in proportion, in whole cents, by largest remainder:
    the parts always sum to exactly `amount`, and no part exceeds its weight."""
    cents, units = _cents(amount), [_cents(w) for w in weights]
    whole = sum(units)
    if whole <= 0:
        return [ZERO for _ in weights]
    floors = [cents * u // whole for u in units]
    order = sorted(range(len(units)), key=lambda i: (-(cents * units[i] % whole), i))
    for i in order[: cents - sum(floors)]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def shipping_for(shop: Shop, goods: Decimal) -> Decimal:
    """The shop's flat fee, or nothing when `goods` (after discounts) reaches its threshold."""
    fee = Decimal(shop.shipping_fee)
    over = shop.free_shipping_over
    if fee <= 0 or (over is not None and goods >= over):
        return ZERO
    return fee.quantize(CENT)


def refund_share(net: Decimal, quantity: int, units: int) -> Decimal:
    """What the first `units` of a line of `quantity` are worth out of its `net`: cumulative,
    so refunding a line in any number of steps sums to exactly its net."""
    return Decimal(_cents(net) * units // quantity) * CENT


@dataclass(frozen=True, slots=True)
class Discount:
    kind: str  # flash | member | full_reduction | coupon | points
    ref: str
    amount: Decimal
    detail: dict[str, Any]
    shares: tuple[Decimal, ...] = ()  # per quote line, summing to amount


@dataclass(frozen=True, slots=True)
class FlashHold:
    sale: FlashSale
    units: int  # bought at the flash price


@dataclass(frozen=True, slots=True)
class Quote:
    lines: tuple[CartLine, ...]
    subtotal: Decimal
    discounts: tuple[Discount, ...]
    total: Decimal  # what is paid: the goods after discounts, plus shipping
    points: int = 0  # points this quote spends
    coupon: Coupon | None = None
    # A chosen coupon or point amount that does not apply any more, and why.
    problems: tuple[StoreError, ...] = ()
    flash: tuple[FlashHold, ...] = ()
    chosen: bool = False  # the customer had chosen a coupon or points: cleared once ordered
    shipping: Decimal = ZERO  # the shop's fee, or 0 (free, or the threshold is met)
    free_shipping_over: Decimal | None = None  # the threshold of a shop that charges a fee
    # How much more goods would ship the order free (None: it does, or there's no threshold).
    free_shipping_gap: Decimal | None = None

    @property
    def discount_total(self) -> Decimal:
        return sum((d.amount for d in self.discounts), ZERO)

    @property
    def goods(self) -> Decimal:
        """What the goods cost after every discount, points included (the total less
        shipping). The free-shipping threshold looks at them before points."""
        return self.total - self.shipping

    @property
    def room(self) -> Decimal:
        """How much more could be taken off the goods while they still cost MIN_PAYABLE
        (shipping is never discounted: points cannot pay it)."""
        return max(self.goods - MIN_PAYABLE, ZERO)

    def line_discount(self, index: int) -> Decimal:
        return sum((d.shares[index] for d in self.discounts), ZERO)


class _Builder:
    """One quote being built: the running net of every line."""

    def __init__(self, lines: list[CartLine]) -> None:
        self.lines = lines
        self.nets = [line.line_total for line in lines]
        self.discounts: list[Discount] = []

    @property
    def total(self) -> Decimal:
        return sum(self.nets, ZERO)

    @property
    def room(self) -> Decimal:
        return max(self.total - MIN_PAYABLE, ZERO)

    def take(self, kind: str, ref: str, amount: Decimal, detail: dict[str, Any]) -> Discount | None:
        amount = min(amount, self.room)
        if amount <= 0:
            return None
        return self.add(Discount(kind, ref, amount, detail, tuple(allocate(amount, self.nets))))

    def add(self, discount: Discount) -> Discount:
        self.nets = [n - s for n, s in zip(self.nets, discount.shares, strict=True)]
        self.discounts.append(discount)
        return discount


class Pricing:
    def __init__(
        self, promotions: Promotions, loyalty: Loyalty, clock: Clock, shops: ShopService
    ) -> None:
        self.promotions = promotions
        self.loyalty = loyalty
        self.clock = clock
        self.shops = shops

    async def quote_cart(self, person_id: int, shop_id: int, cart: Cart | None = None) -> Quote:
        """The cart as it would be ordered now, with the customer's coupon and points; `cart`
        when the caller holds it as it is now (just changed it)."""
        if cart is None:
            cart = await read_cart(person_id, shop_id)
        choice = await self.promotions.choice(person_id, shop_id)
        return await self.quote(person_id, shop_id, cart.lines, choice)

    async def quote_items(self, person_id: int, shop_id: int, items: list[CartItem]) -> Quote:
        """quote_cart for cart rows already read (with their products) by the caller."""
        lines = [CartLine(i.product, i.quantity) for i in items]
        choice = await self.promotions.choice(person_id, shop_id)
        return await self.quote(person_id, shop_id, lines, choice)

    async def quote(
        self,
        person_id: int,
        shop_id: int,
        lines: list[CartLine],
        choice: CheckoutChoice | None,
    ) -> Quote:
        """Price `lines` for this person now, with the coupon and points of `choice`."""
        now = self.clock()
        b = _Builder(lines)
        flash = await self._flash(b, shop_id, person_id, now)
        await self._member(b, shop_id, person_id)
        await self._full_reduction(b, shop_id)
        problems: list[StoreError] = []
        coupon = await self._coupon(b, choice, person_id, now, problems)
        # The threshold sees the goods after the promotions, before points: points pay for
        # goods like money, so using them never makes an order lose its free shipping.
        shop = await self.shops.get(shop_id)
        shipping = shipping_for(shop, b.total) if lines else ZERO
        over = shop.free_shipping_over if shop.shipping_fee > 0 else None
        gap = over - b.total if shipping and over is not None else None
        points = await self._points(b, choice, shop_id, person_id)
        return Quote(
            lines=tuple(lines),
            subtotal=sum((ln.line_total for ln in lines), ZERO),
            discounts=tuple(b.discounts),
            total=b.total + shipping,
            points=points,
            coupon=coupon,
            problems=tuple(problems),
            flash=flash,
            chosen=choice is not None and choice.pk is not None,
            shipping=shipping,
            free_shipping_over=over,
            free_shipping_gap=gap,
        )

    async def _flash(
        self, b: _Builder, shop_id: int, person_id: int, now: datetime
    ) -> tuple[FlashHold, ...]:
        sales = await self.promotions.running_flash(shop_id, [ln.product.id for ln in b.lines], now)
        if not sales:
            return ()
        ids = [sale.id for sale in sales.values()]
        bought = await self.promotions.flash_bought_each(ids, person_id)
        held: list[FlashHold] = []
        for index, line in enumerate(b.lines):
            sale = sales.get(line.product.id)
            if sale is None:
                continue
            left = sale.per_customer - bought.get(sale.id, 0)
            # Flash price for what the cap and the customer's limit allow; the rest at list price.
            units = max(min(line.quantity, left, sale.cap - sale.sold), 0)
            off = (line.product.price - sale.price) * units
            if units == 0 or off <= 0:
                continue
            shares = tuple(off if i == index else ZERO for i in range(len(b.lines)))
            detail = {
                "product_id": line.product.id,
                "title": line.product.title,
                "units": units,
                "list_price": str(line.product.price),
                "flash_price": str(sale.price),
            }
            b.add(Discount("flash", str(sale.id), off, detail, shares))
            held.append(FlashHold(sale, units))
        return tuple(held)

    async def _member(self, b: _Builder, shop_id: int, person_id: int) -> None:
        level = await self.loyalty.member_level(shop_id, person_id)
        if level is None or level.discount_percent <= 0:
            return
        base = b.total
        amount = quantize(base * level.discount_percent / HUNDRED)
        percent = f"{level.discount_percent.normalize():f}"  # 5, not 5.00
        detail = {"level": level.name, "percent": percent, "base": str(base)}
        b.take("member", level.name, amount, detail)

    async def _full_reduction(self, b: _Builder, shop_id: int) -> None:
        base = b.total
        met = [r for r in await self.promotions.rules(shop_id) if r.threshold <= base]
        if met:
            best: FullReduction = max(met, key=lambda r: (r.amount, r.threshold))
            detail = {"threshold": str(best.threshold), "off": str(best.amount), "base": str(base)}
            b.take("full_reduction", str(best.id), best.amount, detail)

    async def _coupon(
        self,
        b: _Builder,
        choice: CheckoutChoice | None,
        person_id: int,
        now: datetime,
        problems: list[StoreError],
    ) -> Coupon | None:
        if choice is None or choice.coupon_id is None:  # type: ignore[attr-defined]
            return None
        coupon = await Coupon.get(id=choice.coupon_id)  # type: ignore[attr-defined]
        base = b.total
        try:
            await self.promotions.check_coupon(coupon, person_id, base, now)
        except CouponUnusable as err:
            problems.append(err)
            return None
        if coupon.kind == CouponKind.PERCENT:
            amount = quantize(base * coupon.value / HUNDRED)
        else:
            amount = coupon.value
        detail = {"kind": coupon.kind.value, "value": str(coupon.value), "base": str(base)}
        return coupon if b.take("coupon", coupon.code, amount, detail) else None

    async def _points(
        self, b: _Builder, choice: CheckoutChoice | None, shop_id: int, person_id: int
    ) -> int:
        if choice is None or not (choice.points or choice.points_max):
            return 0
        wanted = None if choice.points_max else choice.points
        offer = await self.loyalty.points_offer(shop_id, person_id, b.room, wanted)
        points = offer.usable
        if points <= 0:
            return 0
        value = offer.value.quantize(CENT, ROUND_DOWN)
        detail = {"points": points, "value": str(value)}
        taken = b.take("points", str(points), value, detail)
        return points if taken else 0

    # -- the customer's choices -----------------------------------------------------------------
    async def apply_coupon(
        self, person_id: int, shop_id: int, code: str
    ) -> tuple[Coupon, Coupon | None]:
        """Check `code` against the cart now and choose it; one coupon per order, so it
        replaces the one chosen before (returned second). Raises and changes nothing when
        it can't be used."""
        coupon = await self.promotions.coupon(shop_id, code)
        cart = await read_cart(person_id, shop_id)
        if not cart.lines:
            raise EmptyCart()
        quote = await self.quote(person_id, shop_id, cart.lines, None)
        await self.promotions.check_coupon(coupon, person_id, quote.goods, self.clock())
        choice = await self.promotions.choice(person_id, shop_id)
        before = choice.coupon_id if choice else None  # type: ignore[attr-defined]
        await self.promotions.choose(person_id, shop_id, coupon_id=coupon.id)
        replaced = await Coupon.get(id=before) if before and before != coupon.id else None
        return coupon, replaced

    async def drop_coupon(self, person_id: int, shop_id: int) -> None:
        await self.promotions.choose(person_id, shop_id, coupon_id=None)

    async def use_points(self, person_id: int, shop_id: int, points: int | None) -> None:
        """Choose how many points the next order spends: a number, None for as many as the
        order allows, 0 for none. More than the balance or than this cart allows is refused."""
        if points != 0:
            if not (await self.loyalty.rule(shop_id)).enabled:
                raise InvalidInput("points_off")
            choice = await self.promotions.choice(person_id, shop_id)
            cart = await read_cart(person_id, shop_id)
            coupon_id = choice.coupon_id if choice else None  # type: ignore[attr-defined]
            without = CheckoutChoice(coupon_id=coupon_id)  # the coupon, and no points yet
            quote = await self.quote(person_id, shop_id, cart.lines, without)
            offer = await self.loyalty.points_offer(shop_id, person_id, quote.room)
            if points is None:
                if offer.balance <= 0:  # a negative balance is owed, not spendable
                    raise InsufficientPoints("points_none")
            elif points > offer.balance:
                raise InsufficientPoints(balance=offer.balance, wanted=points)
            elif points > offer.usable:
                raise InvalidInput("points_over_usable", usable=offer.usable, wanted=points)
        await self.promotions.choose(
            person_id, shop_id, points=points or 0, points_max=points is None
        )

    # -- placing ---------------------------------------------------------------------------------
    async def commit(
        self, order: Order, quote: Quote, items: list[OrderItem]
    ) -> list[OrderDiscount]:
        """Inside the placing transaction, after the order and its items exist: take every
        limited thing the quote used (coupon use, flash units, points) with guarded updates,
        and record each discount (returned). Raises (rolling the order back) when one is gone."""
        person_id: int = order.person_id  # type: ignore[attr-defined]
        shop_id: int = order.shop_id  # type: ignore[attr-defined]
        if quote.coupon is not None:
            await self.promotions.redeem(quote.coupon, person_id, order.id)
        for hold in sorted(quote.flash, key=lambda h: h.sale.id):  # one lock order everywhere
            await self.promotions.hold_flash(hold.sale, person_id, order.id, hold.units)
        if quote.points:
            spent = await self.loyalty.spend_for_order(shop_id, person_id, order.id, quote.points)
            points_value = next(d.amount for d in quote.discounts if d.kind == "points")
            if spent.quantize(CENT, ROUND_DOWN) != points_value:
                raise PriceChanged(total=Money(quote.total))
        rows = [
            OrderDiscount(
                order_id=order.id,
                kind=d.kind,
                ref=d.ref[:40],
                amount=d.amount,
                detail=d.detail | {"items": _by_item(items, d.shares)},
            )
            for d in quote.discounts
        ]
        if rows:
            await OrderDiscount.bulk_create(rows)
        if quote.chosen:
            await self.promotions.clear_choice(person_id, shop_id)
        return rows

    async def committed(self, person_id: int, quote: Quote) -> None:
        """After the commit of the transaction `commit` ran in."""
        if quote.chosen:  # cleared by `commit`
            await self.promotions.choice_cleared(person_id)

    async def release(self, order: Order) -> None:
        await self.promotions.release(order.id)


def _by_item(items: list[OrderItem], shares: tuple[Decimal, ...]) -> dict[str, str]:
    return {str(item.id): str(share) for item, share in zip(items, shares, strict=True)}
