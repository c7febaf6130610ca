"""The payment port: methods plug in here; confirmation is idempotent by provider payment id."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError

from store.clock import Clock
from store.db import transaction
from store.errors import AlreadyPaid, AmountMismatch, IllegalTransition, OrderNotFound
from store.events import EventBus, OrderPaid
from store.models import Order, OrderItem, OrderStatus, Payment, Product
from store.orders import normalise_order_no, order_event

MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class PaymentResult:
    order: Order
    duplicate: bool  # this provider payment id was confirmed before: nothing changed


class PaymentService:
    def __init__(self, bus: EventBus, clock: Clock) -> None:
        self.bus = bus
        self.clock = clock

    async def check_payable(self, order_no: str, amount: Decimal) -> Order:
        """For pre-checkout questions: still pending, in time, same amount, stock held."""
        order = await Order.get_or_none(order_no=normalise_order_no(order_no))
        if order is None:
            raise OrderNotFound(no=order_no)
        if order.status != OrderStatus.PENDING_PAYMENT or order.pay_deadline <= self.clock():
            raise IllegalTransition(no=order.order_no, status=order.status)
        if amount != order.total:
            raise AmountMismatch(no=order.order_no)
        # Stock is reserved when the order is placed and only released by cancelling it, so a
        # pending order holds its stock; check the lines still point at live products.
        items = await OrderItem.filter(order_id=order.id)
        product_ids = {i.product_id for i in items}  # type: ignore[attr-defined]
        if None in product_ids or await Product.filter(id__in=product_ids).count() != len(
            product_ids
        ):
            raise IllegalTransition(no=order.order_no, status="product_gone")
        return order

    async def confirm(
        self, order_no: str, method: str, provider_payment_id: str, amount: Decimal
    ) -> PaymentResult:
        """Mark an order paid. The same (method, provider id) any number of times: paid once."""
        order_no = normalise_order_no(order_no)
        try:
            async with transaction():
                order = await Order.get_or_none(order_no=order_no)
                if order is None:
                    raise OrderNotFound(no=order_no)
                if await Payment.exists(method=method, provider_payment_id=provider_payment_id):
                    return PaymentResult(order=order, duplicate=True)
                if amount != order.total:
                    raise AmountMismatch(no=order_no)
                rows = await Order.filter(id=order.id, status=OrderStatus.PENDING_PAYMENT).update(
                    status=OrderStatus.PAID, paid_at=self.clock(), payment_method=method
                )
                if rows == 0:
                    raise _NotPending(order)
                await Payment.create(
                    order=order,
                    method=method,
                    provider_payment_id=provider_payment_id,
                    amount=amount,
                )
        except IntegrityError:
            # A concurrent delivery of the same payment committed first.
            return PaymentResult(order=await Order.get(order_no=order_no), duplicate=True)
        except _NotPending as e:
            if await Payment.exists(method=method, provider_payment_id=provider_payment_id):
                return PaymentResult(order=e.order, duplicate=True)
            status = await Order.filter(id=e.order.id).first().values_list("status", flat=True)
            if status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED):
                raise AlreadyPaid(no=order_no) from None
            raise IllegalTransition(no=order_no, status=status) from None
        order = await Order.get(id=order.id)
        await self.bus.publish(
            [
                order_event(
                    OrderPaid, order, payment_method=method, provider_payment_id=provider_payment_id
                )
            ]
        )
        return PaymentResult(order=order, duplicate=False)

    async def confirm_manual(self, order: Order) -> PaymentResult:
        """The merchant saw the transfer arrive."""
        return await self.confirm(order.order_no, MANUAL, f"manual:{order.order_no}", order.total)


class _NotPending(Exception):
    def __init__(self, order: Order) -> None:
        self.order = order
