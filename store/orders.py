"""Orders: placing them from a cart, and every state change as one guarded update."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.expressions import F

from store.cart import CART_LINES
from store.clock import Clock
from store.db import transaction
from store.errors import (
    EmptyCart,
    IllegalTransition,
    InvalidInput,
    OrderNotFound,
    OutOfStock,
    ProductNotFound,
    RefundConflict,
    ShopOrderNotFound,
)
from store.events import (
    NO_STOCK_MOVED,
    EventBus,
    OrderCancelled,
    OrderCompleted,
    OrderEvent,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    RefundRejected,
    RefundRequested,
    StockMoved,
)
from store.keyed_locks import KeyedLocks
from store.models import CartItem, Order, OrderItem, OrderStatus, Payment, Product, Shop
from store.money import Money
from store.paging import clamp_page
from store.prepared import Prepared, PreparedUpdate
from store.pricing import Pricing, Quote, refund_share
from store.promotions.errors import PriceChanged
from store.refunds import RefundOutbox
from store.shops import ShopService

S = OrderStatus
# Where a merchant may refund part of an order: after completion too (after-sales, 售后);
# points earned and commission released then are taken back in proportion.
PARTLY_REFUNDABLE = (S.PAID, S.SHIPPED, S.REFUND_REQUESTED, S.COMPLETED)
SALES_PAGE_SIZE = 20  # /sales: one chat message
MAX_CARRIER, MAX_TRACKING = 40, 64  # the order's columns


@dataclass(frozen=True, slots=True)
class SalesPage:
    orders: list[Order]
    page: int
    pages: int


# Order numbers: 8 characters a person can read aloud (no 0/O, 1/I/L).
_NO_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_NO_LENGTH = 8
NOTE_MAX = Order._meta.fields_map["note"].max_length  # type: ignore[attr-defined]
# Every order asks whether its new random number is taken: SQL built once, like CART_LINES.
_ORDER_NO_TAKEN = Prepared(Order, lambda no: Order.filter(order_no=no).limit(1))
# What checkout offers to fill in again: read at every checkout's start.
_LAST_CONTACT = Prepared(
    Order,
    lambda person_id: Order.filter(person_id=person_id).exclude(phone="").order_by("-id").limit(1),
)
# The hottest write there is (a flash sale's one product, a group buy's seats): conditional,
# its SQL built once. Both return the stock left, so an order knows whether it sold a
# product out or brought it back (what catalog pages show): store/listings.py.
TAKE_STOCK = PreparedUpdate(
    Product,
    lambda product_id, quantity: Product.filter(
        id=product_id, active=True, stock__gte=quantity
    ).update(stock=F("stock") - quantity),
    returning="stock",
)
_GIVE_STOCK = PreparedUpdate(
    Product,
    lambda product_id, quantity: Product.filter(id=product_id).update(stock=F("stock") + quantity),
    returning="stock",
)
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,23}$")
# E.164 numbers have at most 15 digits; 7 is the shortest local number a parcel reaches.
_PHONE_DIGITS = range(7, 16)


def check_name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 64:
        raise InvalidInput("bad_name")
    return value


def check_phone(value: str) -> str:
    value = value.strip()
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) not in _PHONE_DIGITS:
        raise InvalidInput("bad_phone")
    return value


def check_address(value: str) -> str:
    value = value.strip()
    if not 5 <= len(value) <= 300:
        raise InvalidInput("bad_address")
    return value


def check_note(value: str) -> str:
    """The customer's note for the shop, as typed: refused when too long, never cut."""
    value = value.strip()
    if len(value) > NOTE_MAX:
        raise InvalidInput("note_too_long", high=NOTE_MAX)
    return value


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str
    address: str
    note: str = ""

    def validated(self) -> Contact:
        return Contact(
            check_name(self.name),
            check_phone(self.phone),
            check_address(self.address),
            check_note(self.note),
        )


def new_order_no() -> str:
    return "".join(secrets.choice(_NO_ALPHABET) for _ in range(_NO_LENGTH))


def normalise_order_no(text: str) -> str:
    return text.strip().lstrip("#").upper()


def looks_like_order_no(text: str) -> bool:
    """Could `text` be an order number (typed in any case, with or without "#")?"""
    no = normalise_order_no(text)
    return len(no) == _NO_LENGTH and all(c in _NO_ALPHABET for c in no)


# A longer number is unknown without asking (the ORM refuses to even look it up).
ORDER_NO_MAX = Order._meta.fields_map["order_no"].max_length  # type: ignore[attr-defined]


def order_event(cls: type[OrderEvent], order: Order, **extra: object) -> OrderEvent:
    return cls(
        order_id=order.id,
        order_no=order.order_no,
        shop_id=order.shop_id,  # type: ignore[attr-defined]
        person_id=order.person_id,
        total=order.total,
        currency=order.currency,  # type: ignore[attr-defined]
        shipping=order.shipping_fee,
        **extra,
    )


async def _new_order(
    shop: Shop,
    person_id: int,
    subtotal: Decimal,
    contact: Contact,
    payment_method: str,
    pay_deadline: datetime,
    discount_total: Decimal = Decimal("0.00"),
    shipping_fee: Decimal = Decimal("0.00"),
) -> Order:
    order_no = new_order_no()
    while await _ORDER_NO_TAKEN.first(order_no) is not None:  # 31^8 numbers: all but never
        order_no = new_order_no()
    return await Order.create(
        order_no=order_no,
        shop_id=shop.id,
        person_id=person_id,
        subtotal=subtotal,
        shipping_fee=shipping_fee,
        discount_total=discount_total,
        total=subtotal - discount_total + shipping_fee,
        currency=shop.currency,
        contact_name=contact.name,
        phone=contact.phone,
        address=contact.address,
        note=contact.note,
        payment_method=payment_method,
        pay_deadline=pay_deadline,
    )


class OrderService:
    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        refunds: RefundOutbox,
        pricing: Pricing,
        shops: ShopService,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.refunds = refunds
        self.pricing = pricing
        self.shops = shops
        self._stock_rows = KeyedLocks()
        # Asked before an order ships; one raises a StoreError to hold it (a group-buy seat
        # ships only once its group is complete).
        self.ship_checks: list[Callable[[Order], Awaitable[None]]] = []

    # -- reading ---------------------------------------------------------------------------
    async def get(self, order_no: str) -> Order:
        no = normalise_order_no(order_no)
        order = (
            None
            if len(no) > ORDER_NO_MAX
            else await Order.get_or_none(order_no=no).prefetch_related("items", "discounts")
        )
        if order is None:
            raise OrderNotFound(no=order_no[:20])
        return order

    async def for_person(self, order_no: str, person_id: int) -> Order:
        """Someone else's order number answers exactly like an unknown one."""
        order = await self.get(order_no)
        if order.person_id != person_id:  # type: ignore[attr-defined]
            raise OrderNotFound(no=order_no)
        return order

    async def for_shop(self, order_no: str, shop_id: int) -> Order:
        try:
            order = await self.get(order_no)
        except OrderNotFound:
            raise ShopOrderNotFound(no=order_no[:20]) from None
        if order.shop_id != shop_id:  # type: ignore[attr-defined]
            raise ShopOrderNotFound(no=order_no)
        return order

    async def list_for_person(self, person_id: int, shop_id: int, limit: int = 10) -> list[Order]:
        return (
            await Order.filter(person_id=person_id, shop_id=shop_id)
            .order_by("-id")
            .limit(limit)
            .prefetch_related("items")
        )

    async def last_for_person(self, person_id: int) -> Order | None:
        """The newest order, whose contact details checkout can offer again (not one whose
        details were erased by /deleteme)."""
        return await _LAST_CONTACT.first(person_id)

    async def list_for_shop(
        self, shop_id: int, status: OrderStatus | None = None, page: int = 1
    ) -> SalesPage:
        """One page of the shop's orders, newest first; past the end is the last page."""
        qs = Order.filter(shop_id=shop_id)
        if status is not None:
            qs = qs.filter(status=status)
        page, pages = clamp_page(page, await qs.count(), SALES_PAGE_SIZE)
        found = (
            await qs.order_by("-id")
            .offset((page - 1) * SALES_PAGE_SIZE)
            .limit(SALES_PAGE_SIZE)
            .prefetch_related("items", "person")
        )
        return SalesPage(orders=list(found), page=page, pages=pages)

    # -- placing ---------------------------------------------------------------------------
    async def place(
        self,
        person_id: int,
        shop_id: int,
        contact: Contact,
        payment_method: str = "manual",
        expected_total: Decimal | None = None,
    ) -> Order:
        """Turn the cart into an order priced by the pipeline (store/pricing.py), reserving
        coupon use, flash-sale units and stock with conditional updates. With
        `expected_total` (what the customer confirmed) a different price raises
        PriceChanged and changes nothing."""
        contact = contact.validated()
        now = self.clock()
        shop = await self.shops.get(shop_id)
        async with transaction():
            lines = await CART_LINES.all(person_id, shop_id)  # product order: no deadlocks
            if not lines:
                raise EmptyCart()
            quote = await self.pricing.quote_items(person_id, shop_id, lines)
            if expected_total is not None and quote.total != expected_total:
                raise PriceChanged(total=Money(quote.total))
            order = await _new_order(
                shop,
                person_id,
                quote.subtotal,
                contact,
                payment_method,
                now + timedelta(minutes=shop.unpaid_timeout_minutes),
                quote.discount_total,
                quote.shipping,
            )
            items = await self._create_items(order, quote)
            # A second press of "confirm" racing this one finds the cart already gone.
            if await CartItem.filter(id__in=[ln.id for ln in lines]).delete() != len(lines):
                raise EmptyCart()
            # Coupon and flash-sale counters before stock: one lock order everywhere.
            discounts = await self.pricing.commit(order, quote, items)
            # Stock last: the hot product rows stay locked only until the commit right after.
            # One order of this process at a time takes them: the others wait here, not in
            # the database, whose lock queue on a hot row costs CPU per waiter (BENCHMARKS.md).
            async with self._stock_rows.hold(line.product.id for line in lines):
                taken = NO_STOCK_MOVED
                for line in lines:
                    taken += await _take(line.product, line.quantity)
        # As get() would read it back, from what was just written: three queries fewer on
        # the busiest write there is. Tortoise's own setter for prefetched relations.
        order.items._set_result_for_query(items)
        order.discounts._set_result_for_query(discounts)
        await self.pricing.committed(person_id, quote)
        await self.bus.publish([order_event(OrderPlaced, order, stock_moved=taken)])
        return order

    async def _create_items(self, order: Order, quote: Quote) -> list[OrderItem]:
        items = [
            OrderItem(
                order=order,
                product_id=line.product.id,
                title=line.product.title,
                unit_price=line.product.price,
                quantity=line.quantity,
                discount=quote.line_discount(index),
            )
            for index, line in enumerate(quote.lines)
        ]
        await OrderItem.bulk_create(items)
        if not quote.discounts:  # their ids only serve to attribute discounts to items
            return items
        return await OrderItem.filter(order_id=order.id).order_by("id")

    async def reserve_single(
        self,
        person_id: int,
        shop_id: int,
        product_id: int,
        unit_price: Decimal,
        contact: Contact,
        pay_deadline: datetime,
        payment_method: str = "manual",
    ) -> tuple[Order, OrderEvent]:
        """One unit of one product at a given price and pay deadline, without the cart (a
        group-buy seat: its price is the offer's, so no coupon, points or other promotion,
        and it ships free: the group price is all the customer pays).

        Call it in the caller's own transaction, which does more (the seat), and publish the
        returned event after its commit."""
        contact = contact.validated()
        shop = await self.shops.get(shop_id)
        product = await Product.get_or_none(id=product_id, shop_id=shop_id)
        if product is None:
            raise ProductNotFound(id=product_id)
        taken = await _take(product, 1)
        order = await _new_order(shop, person_id, unit_price, contact, payment_method, pay_deadline)
        await OrderItem.create(
            order=order,
            product_id=product.id,
            title=product.title,
            unit_price=unit_price,
            quantity=1,
        )
        return order, order_event(OrderPlaced, order, stock_moved=taken)

    # -- transitions -----------------------------------------------------------------------
    async def _move(
        self, order: Order, expected: OrderStatus, new: OrderStatus, **changes: object
    ) -> bool:
        """The one way an order changes state: UPDATE ... WHERE status = expected."""
        rows = await Order.filter(id=order.id, status=expected).update(status=new, **changes)
        return rows == 1

    async def _release(self, order: Order, restock: bool = True) -> StockMoved:
        """Give back what the order still holds: its coupon use and flash-sale units, then
        (unless the customer keeps the goods) the stock of every unit not refunded already,
        in pk order like placing."""
        await self.pricing.release(order)
        restocked = NO_STOCK_MOVED
        if restock:
            for item in await OrderItem.filter(order_id=order.id).order_by("product_id"):
                restocked += await _restock(item, item.quantity - item.refunded_quantity)
        return restocked

    async def cancel(self, order: Order, reason: str) -> Order:
        """Cancel an unpaid order and give its stock back. Exactly once, however often asked."""
        async with transaction():
            if not await self._move(
                order,
                S.PENDING_PAYMENT,
                S.CANCELLED,
                cancelled_at=self.clock(),
                cancel_reason=reason,
            ):
                raise await self._cancel_refused(order)
            restocked = await self._release(order)
        await self.bus.publish(
            [order_event(OrderCancelled, order, reason=reason, stock_moved=restocked)]
        )
        return await self.get(order.order_no)

    async def ship(self, order: Order, carrier: str, tracking_no: str) -> Order:
        carrier, tracking_no = carrier.strip(), tracking_no.strip()
        if not carrier or not tracking_no:
            raise InvalidInput("bad_tracking")
        # Refused, not cut: the customer would be sent a tracking number that finds nothing.
        for field, value, high in (
            ("carrier", carrier, MAX_CARRIER),
            ("tracking_no", tracking_no, MAX_TRACKING),
        ):
            if len(value) > high:
                raise InvalidInput(
                    "tracking_too_long", field=field, carrier=MAX_CARRIER, tracking=MAX_TRACKING
                )
        for check in self.ship_checks:
            await check(order)
        if not await self._move(
            order,
            S.PAID,
            S.SHIPPED,
            shipped_at=self.clock(),
            carrier=carrier,
            tracking_no=tracking_no,
        ):
            raise IllegalTransition(no=order.order_no, status=await self._status(order))
        await self.bus.publish(
            [order_event(OrderShipped, order, carrier=carrier, tracking_no=tracking_no)]
        )
        return await self.get(order.order_no)

    async def complete(self, order: Order) -> Order:
        if not await self._move(order, S.SHIPPED, S.COMPLETED, completed_at=self.clock()):
            raise await self._refused(order)
        await self.bus.publish([order_event(OrderCompleted, order)])
        return await self.get(order.order_no)

    async def request_refund(self, order: Order, reason: str) -> Order:
        reason = reason.strip()[:300]
        current = OrderStatus(order.status)
        if current == S.COMPLETED:  # the customer confirmed delivery: the shop decides now
            raise IllegalTransition("refund_after_completion", no=order.order_no)
        if current not in (S.PAID, S.SHIPPED) or not await self._move(
            order,
            current,
            S.REFUND_REQUESTED,
            refund_reason=reason,
            status_before_refund=current.value,
        ):
            raise await self._refused(order)
        await self.bus.publish([order_event(RefundRequested, order, reason=reason)])
        return await self.get(order.order_no)

    async def reject_refund(self, order: Order, reason: str) -> Order:
        reason = reason.strip()[:300]
        if not reason:
            raise InvalidInput("reason_required")
        back = OrderStatus(order.status_before_refund or S.PAID)
        if not await self._move(order, S.REFUND_REQUESTED, back, refund_rejection=reason):
            raise IllegalTransition(no=order.order_no, status=await self._status(order))
        await self.bus.publish([order_event(RefundRejected, order, reason=reason)])
        return await self.get(order.order_no)

    async def approve_refund(self, order: Order, note: str = "", *, restock: bool = True) -> Order:
        """Refund in full, and restock unless the customer keeps the goods (`restock` False);
        the refund outbox returns the money after commit."""
        async with transaction():
            if not await self._move(
                order,
                S.REFUND_REQUESTED,
                S.REFUNDED,
                refunded_at=self.clock(),
                refund_note=note[:300],
            ):
                raise IllegalTransition(no=order.order_no, status=await self._status(order))
            refunded = await self._return_money(order, order.refund_reason, restock)
        await self.bus.publish([refunded])
        return await self.get(order.order_no)

    async def refund_in_full(self, order: Order, reason: str) -> Order:
        """Refund a paid order the shop will not fulfil (a failed group buy): no request and no
        decision needed, and a pending refund request is settled by it too."""
        async with transaction():
            rows = await Order.filter(id=order.id, status__in=[S.PAID, S.REFUND_REQUESTED]).update(
                status=S.REFUNDED, refunded_at=self.clock(), refund_reason=reason[:300]
            )
            if rows == 0:
                raise IllegalTransition(no=order.order_no, status=await self._status(order))
            refunded = await self._return_money(order, reason)
        await self.bus.publish([refunded])
        return await self.get(order.order_no)

    async def _return_money(self, order: Order, reason: str, restock: bool = True) -> OrderEvent:
        """Restock and queue the refund of what is not refunded yet (shipping included: item
        refunds never return it), inside the transaction
        that moved the order to refunded; the caller publishes the returned event after
        commit. The row is read again under the move's lock: a partial refund may have
        committed just before."""
        fresh = await Order.get(id=order.id)
        rest = fresh.total - fresh.refunded_amount
        await Order.filter(id=order.id).update(refunded_amount=fresh.total)
        restocked = await self._release(order, restock)
        await OrderItem.filter(order_id=order.id).update(refunded_quantity=F("quantity"))
        return await self._refund_event(
            order, rest, reason, f"order:{order.order_no}", True, restocked
        )

    async def _refund_event(
        self,
        order: Order,
        amount: Decimal,
        reason: str,
        key: str,
        final: bool,
        restocked: StockMoved,
    ) -> OrderEvent:
        method, payment_id = await _payment_of(order)
        if amount > 0:
            await self.refunds.enqueue(order, amount, reason, method, payment_id, key)
        return order_event(
            OrderRefunded,
            order,
            refunded=amount,
            payment_method=method,
            provider_payment_id=payment_id,
            refund_key=key,
            final=final,
            stock_moved=restocked,
        )

    async def refund_items(
        self,
        order: Order,
        line: int,
        quantity: int | None = None,
        reason: str = "",
        *,
        restock: bool = True,
    ) -> tuple[Order, Decimal]:
        """The merchant refunds `quantity` units (default: all left) of the order's `line`-th
        item (1-based): exactly those units' net share, back in stock unless `restock` is
        False (the customer keeps them: a refund without a return, 仅退款). The refund that
        leaves nothing makes the order refunded and gives its coupon and flash units back;
        it returns the shipping as well if the order never shipped (never otherwise)."""
        reason = reason.strip()[:300]
        async with transaction():
            current = await Order.get(id=order.id)
            if current.status not in PARTLY_REFUNDABLE:
                raise IllegalTransition(no=order.order_no, status=current.status)
            method, _ = await _payment_of(current)
            if not self.refunds.can_refund_part(method):
                raise InvalidInput("refund_whole_only", no=order.order_no)
            items = await OrderItem.filter(order_id=order.id).order_by("id")
            if not 1 <= line <= len(items):
                raise InvalidInput("refund_bad_line", line=line, high=len(items))
            item = items[line - 1]
            left = item.quantity - item.refunded_quantity
            if left == 0:
                raise InvalidInput("refund_line_done", line=line)
            units = left if quantity is None else quantity
            if not 1 <= units <= left:
                raise InvalidInput("refund_bad_units", low=1, high=left)
            before = item.refunded_quantity
            net = item.unit_price * item.quantity - item.discount
            amount = refund_share(net, item.quantity, before + units) - refund_share(
                net, item.quantity, before
            )
            final = all(i.refunded_quantity == i.quantity for i in items if i.id != item.id) and (
                units == left
            )
            if final and current.shipped_at is None:
                # Nothing was sent: the refund that leaves nothing returns the shipping too.
                # Once shipped, the shipping was spent and item refunds keep it.
                amount += current.shipping_fee
            seq = current.refunds_made + 1
            changes: dict[str, object] = {
                "refunds_made": seq,
                "refunded_amount": current.refunded_amount + amount,
            }
            if final:
                changes |= {"status": S.REFUNDED, "refunded_at": self.clock()}
            # One guarded update serialises refunds of one order: a racing one finds
            # refunds_made moved and changes nothing.
            if not await Order.filter(
                id=order.id, status=current.status, refunds_made=current.refunds_made
            ).update(**changes):
                raise RefundConflict(no=order.order_no)
            await OrderItem.filter(id=item.id).update(refunded_quantity=before + units)
            if final:
                await self.pricing.release(order)
            restocked = await _restock(item, units) if restock else NO_STOCK_MOVED
            event = await self._refund_event(
                current, amount, reason, f"order:{order.order_no}:{seq}", final, restocked
            )
        await self.bus.publish([event])
        return await self.get(order.order_no), amount

    async def _status(self, order: Order) -> str:
        return await Order.filter(id=order.id).first().values_list("status", flat=True) or ""

    async def _cancel_refused(self, order: Order) -> IllegalTransition:
        """Why an order can't be cancelled: a paid one has its own code, so the customer
        hears that the way back is a refund."""
        status = await self._status(order)
        if status in (S.PAID, S.SHIPPED):
            return IllegalTransition("cancel_paid", no=order.order_no, status=status)
        return IllegalTransition(no=order.order_no, status=status)

    async def _refused(self, order: Order) -> IllegalTransition:
        """Why a refund or a confirmed delivery can't be: an unpaid order has its own code,
        so the customer hears what they can do instead (pay it, or cancel it)."""
        status = await self._status(order)
        if status == S.PENDING_PAYMENT:
            return IllegalTransition("order_unpaid", no=order.order_no)
        return IllegalTransition(no=order.order_no, status=status)

    # -- deadlines -------------------------------------------------------------------------
    async def sweep(self, now: datetime | None = None, batch: int = 200) -> tuple[int, int]:
        """Cancel unpaid orders past their deadline and complete long-shipped ones.

        Safe to run anywhere, any number of times, in several processes: every change is a
        guarded update, so an order another sweep already moved is skipped.
        """
        now = now or self.clock()
        cancelled = completed = 0
        overdue = (
            await Order.filter(status=S.PENDING_PAYMENT, pay_deadline__lt=now)
            .order_by("id")
            .limit(batch)
        )
        for order in overdue:
            try:
                await self.cancel(order, "timeout")
                cancelled += 1
            except IllegalTransition:
                pass  # paid or cancelled meanwhile
        for shop in await Shop.all().only("id", "autocomplete_days"):
            due = (
                await Order.filter(
                    shop_id=shop.id,
                    status=S.SHIPPED,
                    shipped_at__lte=now - timedelta(days=shop.autocomplete_days),
                )
                .order_by("id")
                .limit(batch)
            )
            for order in due:
                try:
                    await self.complete(order)
                    completed += 1
                except IllegalTransition:
                    pass
        return cancelled, completed


async def _take(product: Product, units: int) -> StockMoved:
    """Take units of a product's stock, or raise OutOfStock and take nothing."""
    left = await TAKE_STOCK.returned(product.id, units)
    if not left:
        raise OutOfStock(title=product.title, left=max(product.stock, 0))
    if left[0] == 0:
        return StockMoved((product.id,), (product.id,))
    return StockMoved((product.id,), left=((product.id, left[0]),))


async def _restock(item: OrderItem, units: int) -> StockMoved:
    """Put units back (nothing when there are none, or the product is gone)."""
    product_id: int | None = item.product_id  # type: ignore[attr-defined]
    if not units or product_id is None:
        return NO_STOCK_MOVED
    left = await _GIVE_STOCK.returned(product_id, units)
    if not left:
        return NO_STOCK_MOVED
    came_back = left[0] > 0 >= left[0] - units
    return StockMoved((product_id,), (product_id,) if came_back else ())


async def _payment_of(order: Order) -> tuple[str, str]:
    """How the order was paid: the method and the provider's payment id."""
    payment = await Payment.filter(order_id=order.id).order_by("id").first()
    if payment is None:
        return order.payment_method, ""
    return payment.method, payment.provider_payment_id
