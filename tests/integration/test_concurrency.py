"""Many requests at once against a real database: stock, payments and transitions hold.

Each test runs on SQLite and on PostgreSQL (the latter only when MICROSTORE_TEST_POSTGRES
is set). On PostgreSQL the pool has 20 connections, so the transactions truly overlap.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from store.errors import AlreadyPaid, EmptyCart, IllegalTransition, OutOfStock
from store.events import OrderCancelled, OrderPaid, OrderPlaced, OrderShipped
from store.models import CartItem, Order, OrderItem, OrderStatus, Payment
from store.payments import PaymentResult
from store.services import StoreServices

from .conftest import Db, EventLog, FakeClock
from .world import (
    CONTACT,
    make_customers,
    make_product,
    make_shop,
    make_world,
    outcomes,
    place_one,
    stock_of,
    watch_stock,
)


# -- 1. fifty customers, ten units --------------------------------------------------------
async def test_fifty_customers_race_for_the_last_ten_units(
    any_db: Db, services: StoreServices, events: EventLog
) -> None:
    world = await make_world(services, stock=10, customers=50)

    async with watch_stock(world.product.id) as watch:
        results = await asyncio.gather(
            *(place_one(services, world.shop.id, pid) for pid in world.customers),
            return_exceptions=True,
        )

    orders, errors = outcomes(results)
    assert len(orders) == 10
    assert len(errors) == 40 and all(isinstance(e, OutOfStock) for e in errors), errors
    assert await stock_of(world.product.id) == 0
    assert watch.lowest >= 0, f"stock went negative: {sorted(set(watch.seen))}"
    # What the database holds agrees with what the callers were told.
    assert await Order.all().count() == 10
    assert sum(await OrderItem.all().values_list("quantity", flat=True)) == 10
    assert {o.person_id for o in orders} == set(  # type: ignore[attr-defined]
        await Order.all().values_list("person_id", flat=True)
    )
    assert len({o.order_no for o in orders}) == 10
    # Winners' carts are emptied; the losers' carts survive their rolled-back attempt.
    winners = {o.person_id for o in orders}  # type: ignore[attr-defined]
    assert set(await CartItem.all().values_list("person_id", flat=True)) == (
        set(world.customers) - winners
    )
    assert len(events.of(OrderPlaced)) == 10


async def test_one_customer_pressing_place_twice_gets_one_order(
    any_db: Db, services: StoreServices, events: EventLog
) -> None:
    """A double tap on "place order" (5 requests, one cart) -> one order, stock taken once."""
    shop, _ = await make_shop(services)
    product = await make_product(services, shop, stock=10)
    [person_id] = await make_customers(services, shop, product, 1, quantity=2)

    results = await asyncio.gather(
        *(place_one(services, shop.id, person_id) for _ in range(5)), return_exceptions=True
    )

    orders, errors = outcomes(results)
    assert await Order.filter(person_id=person_id).count() == 1, (
        f"one cart became {len(orders)} orders: {[o.order_no for o in orders]}"
    )
    assert len(orders) == 1
    assert all(isinstance(e, EmptyCart) for e in errors), errors
    assert await stock_of(product.id) == 8
    assert len(events.of(OrderPlaced)) == 1


# -- 3. payment confirmations -------------------------------------------------------------
async def _placed_order(services: StoreServices, stock: int = 5) -> Order:
    world = await make_world(services, stock=stock, customers=1)
    return await place_one(services, world.shop.id, world.customers[0])


async def test_same_payment_confirmed_ten_times_at_once_pays_once(
    any_db: Db, services: StoreServices, events: EventLog
) -> None:
    order = await _placed_order(services)

    results = await asyncio.gather(
        *(
            services.payments.confirm(order.order_no, "telegram", "charge-1", order.total)
            for _ in range(10)
        ),
        return_exceptions=True,
    )

    assert all(isinstance(r, PaymentResult) for r in results), results
    assert sorted(r.duplicate for r in results) == [False] + [True] * 9  # type: ignore[union-attr]
    assert all(r.order.id == order.id for r in results)  # type: ignore[union-attr]
    fresh = await Order.get(id=order.id)
    assert fresh.status == OrderStatus.PAID and fresh.paid_at is not None
    payments = await Payment.filter(order_id=order.id)
    assert [(p.method, p.provider_payment_id, p.amount) for p in payments] == [
        ("telegram", "charge-1", order.total)
    ]
    paid = events.of(OrderPaid)
    assert len(paid) == 1 and paid[0].order_id == order.id


async def test_ten_different_payments_for_one_order_only_one_lands(
    any_db: Db, services: StoreServices, events: EventLog
) -> None:
    order = await _placed_order(services)

    results = await asyncio.gather(
        *(
            services.payments.confirm(order.order_no, "telegram", f"charge-{i}", order.total)
            for i in range(10)
        ),
        return_exceptions=True,
    )

    wins = [r for r in results if isinstance(r, PaymentResult)]
    assert len(wins) == 1 and not wins[0].duplicate, results
    losers = [r for r in results if not isinstance(r, PaymentResult)]
    assert len(losers) == 9 and all(isinstance(e, AlreadyPaid) for e in losers), losers
    assert (await Order.get(id=order.id)).status == OrderStatus.PAID
    payments = await Payment.filter(order_id=order.id)
    assert len(payments) == 1
    assert len(events.of(OrderPaid)) == 1
    assert events.of(OrderPaid)[0].provider_payment_id == payments[0].provider_payment_id


# -- 5. concurrent transitions ------------------------------------------------------------
async def test_ten_cancels_of_one_order_release_stock_once(
    any_db: Db, services: StoreServices, events: EventLog
) -> None:
    world = await make_world(services, stock=5, customers=1)
    await services.carts.add(world.customers[0], world.shop.id, world.product.id, 2)
    order = await place_one(services, world.shop.id, world.customers[0])
    assert await stock_of(world.product.id) == 2  # 1 + 2 of 5 reserved

    results = await asyncio.gather(
        *(services.orders.cancel(order, "customer") for _ in range(10)), return_exceptions=True
    )

    done, errors = outcomes(results)
    assert len(done) == 1, results
    assert len(errors) == 9 and all(isinstance(e, IllegalTransition) for e in errors), errors
    assert await stock_of(world.product.id) == 5
    fresh = await Order.get(id=order.id)
    assert fresh.status == OrderStatus.CANCELLED and fresh.cancel_reason == "customer"
    assert len(events.of(OrderCancelled)) == 1


async def test_ten_ship_calls_ship_once(
    any_db: Db, services: StoreServices, events: EventLog
) -> None:
    order = await _placed_order(services)
    await services.payments.confirm_manual(order)
    order = await services.orders.get(order.order_no)

    results = await asyncio.gather(
        *(services.orders.ship(order, "SF Express", f"SF{i:06d}") for i in range(10)),
        return_exceptions=True,
    )

    done, errors = outcomes(results)
    assert len(done) == 1, results
    assert all(isinstance(e, IllegalTransition) for e in errors), errors
    fresh = await Order.get(id=order.id)
    assert fresh.status == OrderStatus.SHIPPED
    shipped = events.of(OrderShipped)
    assert len(shipped) == 1
    assert shipped[0].tracking_no == fresh.tracking_no == done[0].tracking_no  # type: ignore[attr-defined]


async def test_cancel_and_pay_racing_end_consistent(
    any_db: Db, services: StoreServices, events: EventLog
) -> None:
    """Customer cancels while the payment arrives: exactly one wins, and the books agree."""
    world = await make_world(services, stock=3, customers=1)
    order = await place_one(services, world.shop.id, world.customers[0])

    calls = []
    for i in range(10):
        calls.append(services.orders.cancel(order, "customer"))
        calls.append(services.payments.confirm(order.order_no, "telegram", f"ch-{i}", order.total))
    results = await asyncio.gather(*calls, return_exceptions=True)

    fresh = await Order.get(id=order.id)
    payments = await Payment.filter(order_id=order.id).count()
    wins = Counter(type(r).__name__ for r in results if not isinstance(r, BaseException))
    losses = [r for r in results if isinstance(r, BaseException)]
    assert sum(wins.values()) == 1, results
    assert all(isinstance(e, IllegalTransition) for e in losses), [
        repr(e) for e in losses if not isinstance(e, IllegalTransition)
    ]  # AlreadyPaid too
    if fresh.status == OrderStatus.PAID:
        assert payments == 1 and await stock_of(world.product.id) == 2
        assert (len(events.of(OrderPaid)), len(events.of(OrderCancelled))) == (1, 0)
    else:
        assert fresh.status == OrderStatus.CANCELLED
        assert payments == 0 and await stock_of(world.product.id) == 3
        assert (len(events.of(OrderPaid)), len(events.of(OrderCancelled))) == (0, 1)


# -- 4. the unpaid-order sweep (both backends; the brief asks PostgreSQL) --------------------
async def test_five_sweeps_at_once_cancel_each_overdue_order_once(
    any_db: Db, services: StoreServices, events: EventLog, clock: FakeClock
) -> None:
    shop, _ = await make_shop(services)
    tea = await make_product(services, shop, stock=30, title="Tea")
    cups = await make_product(services, shop, stock=30, title="Cup", price=Decimal("5.00"))
    people = await make_customers(services, shop, tea, 20, quantity=1)
    for pid in people[::2]:
        await services.carts.add(pid, shop.id, cups.id, 2)
    orders = [await place_one(services, shop.id, pid) for pid in people]
    # One order still in time, one paid: neither may be touched.
    late_pid = (await make_customers(services, shop, tea, 1, prefix="late"))[0]
    paid_pid = (await make_customers(services, shop, tea, 1, prefix="paid"))[0]
    paid = await place_one(services, shop.id, paid_pid)
    await services.payments.confirm_manual(paid)
    clock.now += timedelta(minutes=25)
    in_time = await place_one(services, shop.id, late_pid)
    assert (await stock_of(tea.id), await stock_of(cups.id)) == (8, 10)

    sweep_at = clock.now + timedelta(minutes=10)  # 35 / 10 minutes old
    results = await asyncio.gather(*(services.orders.sweep(now=sweep_at) for _ in range(5)))

    assert sum(cancelled for cancelled, _ in results) == 20, results
    assert all(completed == 0 for _, completed in results)
    cancelled = events.of(OrderCancelled)
    assert Counter(e.order_id for e in cancelled) == Counter(o.id for o in orders)
    assert all(e.reason == "timeout" for e in cancelled)
    statuses = dict(await Order.all().values_list("id", "status"))
    assert all(statuses[o.id] == OrderStatus.CANCELLED for o in orders)
    assert statuses[in_time.id] == OrderStatus.PENDING_PAYMENT
    assert statuses[paid.id] == OrderStatus.PAID
    # Only the paid and the in-time order still hold stock; the rest came back exactly once.
    assert (await stock_of(tea.id), await stock_of(cups.id)) == (28, 30)
    # A second round finds nothing left to do.
    assert await services.orders.sweep(now=sweep_at) == (0, 0)
    assert (await stock_of(tea.id), await stock_of(cups.id)) == (28, 30)


def test_contact_is_valid() -> None:
    """The shared contact passes the core's own validation (else every test fails oddly)."""
    assert CONTACT.validated() == CONTACT
