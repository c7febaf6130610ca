"""Points under real concurrency on PostgreSQL: racing spends never overdraw, and an event
delivered several times at the same moment still lands once. Runs only when
MICROSTORE_TEST_POSTGRES is set (fixtures in tests/loyalty/conftest.py)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tortoise.transactions import in_transaction

from store.events import OrderCompleted, OrderRefunded
from store.loyalty.models import EntryKind, Member, PointsEntry
from store.loyalty.rules import InsufficientPoints
from store.models import Order
from store.orders import order_event
from store.services import StoreServices
from tests.integration.conftest import Db
from tests.integration.world import make_world, place_one

from .helpers import assert_balances_match_ledger


async def orders_with_points(
    services: StoreServices, count: int, points: int
) -> tuple[list[Order], int]:
    """`count` unpaid orders of one customer, who holds `points` points."""
    world = await make_world(services, stock=count, customers=1)
    person_id = world.customers[0]
    await services.loyalty.set_rule(world.shop.id, earn=Decimal("1"))
    orders = [await place_one(services, world.shop.id, person_id)]
    for _ in range(count - 1):
        await services.carts.add(person_id, world.shop.id, world.product.id, 1)
        orders.append(await place_one(services, world.shop.id, person_id))
    await services.loyalty.adjust(world.shop.id, person_id, points, "")
    return orders, person_id


async def spend_in_placing_transaction(
    services: StoreServices, order: Order, points: int
) -> Decimal:
    async with in_transaction():
        spent = await services.loyalty.spend_for_order(
            order.shop_id,  # type: ignore[attr-defined]
            order.person_id,  # type: ignore[attr-defined]
            order.id,
            points,
        )
        await asyncio.sleep(0.05)  # the rest of placing: keep the transactions overlapping
        return spent


async def test_two_orders_racing_for_the_same_points_only_one_gets_them(
    pg_db: Db, pg_services: StoreServices
) -> None:
    services = pg_services
    orders, person_id = await orders_with_points(services, 2, 500)

    results = await asyncio.gather(
        *(spend_in_placing_transaction(services, o, 500) for o in orders),
        return_exceptions=True,
    )

    spent = [r for r in results if isinstance(r, Decimal)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert (spent, len(refused)) == ([Decimal("5.00")], 1), results
    member = await Member.get(person_id=person_id)
    assert member.balance == 0
    assert await PointsEntry.filter(kind=EntryKind.SPEND).count() == 1
    await assert_balances_match_ledger()


async def test_many_spends_take_exactly_what_the_balance_covers(
    pg_db: Db, pg_services: StoreServices
) -> None:
    services = pg_services
    orders, person_id = await orders_with_points(services, 10, 350)

    results = await asyncio.gather(
        *(spend_in_placing_transaction(services, o, 100) for o in orders),
        return_exceptions=True,
    )

    assert sum(isinstance(r, Decimal) for r in results) == 3
    assert all(isinstance(r, (Decimal, InsufficientPoints)) for r in results), results
    assert (await Member.get(person_id=person_id)).balance == 50
    await assert_balances_match_ledger()


async def test_events_delivered_twice_at_once_land_once(
    pg_db: Db, pg_services: StoreServices
) -> None:
    services = pg_services
    [order], person_id = await orders_with_points(services, 1, 1000)
    await spend_in_placing_transaction(services, order, 1000)
    await Order.filter(id=order.id).update(refunded_amount=Decimal("9.95"))  # as refunds do
    refund = order_event(
        OrderRefunded,
        order,
        refunded=Decimal("9.95"),
        payment_method="manual",
        provider_payment_id="",
        refund_key=f"order:{order.order_no}:1",
        final=False,
    )
    await asyncio.gather(*(services.bus.publish([refund]) for _ in range(5)))
    assert (await Member.get(person_id=person_id)).balance == 500  # half of 19.90 back

    completed = order_event(OrderCompleted, order)
    await asyncio.gather(*(services.bus.publish([completed]) for _ in range(5)))
    [earn] = await PointsEntry.filter(kind=EntryKind.EARN)
    assert earn.points == 9  # on the 9.95 kept
    member = await Member.get(person_id=person_id)
    assert (member.balance, member.total_spend_minor) == (509, 995)
    await assert_balances_match_ledger()
