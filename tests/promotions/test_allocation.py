"""Exact cents: discounts spread over lines, and partial refunds of any order and size."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.catalog import NewProduct
from store.db import close_db, init_db
from store.errors import InvalidInput
from store.models import Order, OrderItem, OrderStatus, RefundJob
from store.orders import Contact
from store.pricing import allocate, refund_share
from store.promotions.models import CouponKind
from store.promotions.service import NewCoupon
from store.services import StoreServices
from tests.integration.conftest import FakeClock

cents = st.integers(1, 500_000).map(lambda c: Decimal(c) / 100)


@given(st.lists(cents, min_size=1, max_size=8), st.data())
def test_allocate_is_exact_and_never_exceeds_a_weight(weights: list[Decimal], data) -> None:  # type: ignore[no-untyped-def]
    amount = data.draw(st.integers(0, int(sum(weights) * 100)).map(lambda c: Decimal(c) / 100))
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    assert all(Decimal(0) <= p <= w for p, w in zip(parts, weights, strict=True))


@given(cents, st.integers(1, 99), st.data())
def test_refunding_a_line_in_steps_sums_to_its_net(net: Decimal, quantity: int, data) -> None:  # type: ignore[no-untyped-def]
    done, paid = 0, Decimal(0)
    while done < quantity:
        step = data.draw(st.integers(1, quantity - done))
        paid += refund_share(net, quantity, done + step) - refund_share(net, quantity, done)
        done += step
        assert paid <= net
    assert paid == net


CONTACT = Contact("Li Lei", "13800138000", "88 Nanjing Road, Shanghai")
lines = st.lists(
    st.tuples(st.integers(1, 99_999).map(lambda c: Decimal(c) / 100), st.integers(1, 5)),
    min_size=1,
    max_size=4,
)
rules = st.lists(st.tuples(st.integers(1, 3000), st.integers(1, 2999)), max_size=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, rules, st.integers(0, 90), st.lists(st.tuples(st.integers(0, 3), st.integers(1, 5))))
def test_any_partial_refunds_sum_to_the_order_total(
    items: list[tuple[Decimal, int]],
    reductions: list[tuple[int, int]],
    coupon_percent: int,
    steps: list[tuple[int, int]],
) -> None:
    """Real placement (满减 + a % coupon), then any sequence of partial refunds: never more
    than the total, and once every unit is refunded exactly the total, in refund jobs too."""
    asyncio.run(_scenario(items, reductions, coupon_percent, steps))


async def _scenario(
    items: list[tuple[Decimal, int]],
    reductions: list[tuple[int, int]],
    coupon_percent: int,
    steps: list[tuple[int, int]],
) -> None:
    await init_db("sqlite://:memory:", create_schema=True)
    try:
        services = StoreServices.build(clock=FakeClock())
        owner = await services.people.identify("sim", "owner", "Owner")
        shop = await services.shops.create("Tea", await services.people.person(owner.person_id))  # type: ignore[attr-defined]
        buyer = (await services.people.identify("sim", "buyer", "Buyer")).person_id  # type: ignore[attr-defined]
        for price, qty in items:
            product = await services.catalog.add_product(
                shop.id, NewProduct(title=f"p{price}", price=price, stock=99)
            )
            await services.carts.add(buyer, shop.id, product.id, qty)
        for threshold, off in reductions:
            if off < threshold:
                try:
                    await services.promotions.add_rule(shop.id, Decimal(threshold), Decimal(off))
                except InvalidInput:
                    pass  # the same threshold twice
        if coupon_percent:
            await services.promotions.create_coupon(
                shop.id, NewCoupon("PCT", CouponKind.PERCENT, Decimal(coupon_percent))
            )
            await services.orders.pricing.apply_coupon(buyer, shop.id, "PCT")
        order = await services.orders.place(buyer, shop.id, CONTACT)
        await services.payments.confirm_manual(order)
        rows = await OrderItem.filter(order_id=order.id).order_by("id")
        assert sum(r.discount for r in rows) == order.discount_total
        assert order.total >= Decimal("0.01")
        for line, units in [*steps, *((i, 99) for i in range(len(rows)))]:
            if line >= len(rows):
                continue
            row = await OrderItem.get(id=rows[line].id)
            left = row.quantity - row.refunded_quantity
            if left:
                await services.orders.refund_items(order, line + 1, min(units, left))
            refunded = (await Order.get(id=order.id)).refunded_amount
            assert refunded <= order.total
        final = await Order.get(id=order.id)
        assert final.status == OrderStatus.REFUNDED
        assert final.refunded_amount == order.total
        jobs = await RefundJob.filter(order_id=order.id)
        assert sum(j.amount for j in jobs) == order.total
    finally:
        await close_db()
