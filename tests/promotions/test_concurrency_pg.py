"""Coupon use limits and flash-sale caps under truly concurrent placements on PostgreSQL.

The scratch database is built from the models; everything else is the real service code,
with a pool of 20 connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from store.models import Order
from store.promotions.errors import CouponUnusable, FlashUnavailable
from store.promotions.models import (
    Coupon,
    CouponKind,
    CouponRedemption,
    FlashPurchase,
    FlashSale,
)
from store.promotions.service import NewCoupon, NewFlashSale
from store.services import StoreServices
from tests.integration.conftest import FakeClock
from tests.integration.world import CONTACT, make_customers, make_product, make_shop
from tests.support.race_db import models_on_postgres


@pytest.fixture
async def pg() -> AsyncIterator[None]:
    async with models_on_postgres("test_promo"):
        yield


@pytest.fixture
def services() -> StoreServices:
    return StoreServices.build(clock=FakeClock())


def _split(results: list[object]) -> tuple[list[Order], list[BaseException]]:
    orders = [r for r in results if isinstance(r, Order)]
    errors = [r for r in results if isinstance(r, BaseException)]
    return orders, errors


async def test_twenty_placements_for_a_coupon_of_five_uses(
    pg: None, services: StoreServices
) -> None:
    shop, _ = await make_shop(services)
    product = await make_product(services, shop, stock=100)
    people = await make_customers(services, shop, product, 20)
    coupon = await services.promotions.create_coupon(
        shop.id, NewCoupon("FIVE", CouponKind.AMOUNT, Decimal("5"), uses=5)
    )
    for person_id in people:
        await services.orders.pricing.apply_coupon(person_id, shop.id, "FIVE")

    results = await asyncio.gather(
        *(services.orders.place(p, shop.id, CONTACT) for p in people), return_exceptions=True
    )

    orders, errors = _split(results)
    assert len(orders) == 5, errors
    assert all(isinstance(e, CouponUnusable) and e.code == "coupon_used_up" for e in errors)
    assert (await Coupon.get(id=coupon.id)).used == 5
    assert await CouponRedemption.filter(released_at=None).count() == 5
    assert await Order.all().count() == 5  # the losers' orders rolled back whole
    assert {o.total for o in orders} == {product.price - 5}
    # Cancelling gives every use back, exactly once however often asked.
    for order in orders:
        await services.orders.cancel(order, "customer")
    assert (await Coupon.get(id=coupon.id)).used == 0


async def test_one_customer_five_concurrent_uses_of_a_once_per_customer_coupon(
    pg: None, services: StoreServices
) -> None:
    """Five orders of one person racing for a per=1 coupon (a person has one cart per shop,
    so the race is run at the redemption inside five placing transactions)."""
    shop, _ = await make_shop(services)
    coupon = await services.promotions.create_coupon(
        shop.id, NewCoupon("ONCE", CouponKind.AMOUNT, Decimal("5"), per_customer=1)
    )
    product = await make_product(services, shop, stock=10)
    (person,) = await make_customers(services, shop, product, 1)
    orders = [await services.orders.place(person, shop.id, CONTACT)]
    for _ in range(4):
        await services.carts.add(person, shop.id, product.id, 1)
        orders.append(await services.orders.place(person, shop.id, CONTACT))

    async def redeem(order: Order) -> None:
        async with in_transaction():
            await services.promotions.redeem(coupon, person, order.id)

    results = await asyncio.gather(*(redeem(o) for o in orders), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 4 and all(e.code == "coupon_per_customer" for e in errors), errors
    assert await CouponRedemption.filter(coupon_id=coupon.id).count() == 1
    assert (await Coupon.get(id=coupon.id)).used == 1


async def test_many_buyers_never_exceed_the_flash_cap(pg: None, services: StoreServices) -> None:
    shop, _ = await make_shop(services)
    product = await make_product(services, shop, stock=100)
    people = await make_customers(services, shop, product, 30)
    now = services.clock()
    sale = await services.promotions.create_flash(
        shop.id,
        NewFlashSale(product.id, Decimal("9.90"), now, now + timedelta(hours=1), 7, 1),
    )

    results = await asyncio.gather(
        *(services.orders.place(p, shop.id, CONTACT) for p in people), return_exceptions=True
    )

    orders, errors = _split(results)
    # Racing past the cap is refused (the customer sees the new price); a placement that
    # started after the sale ran out is priced normally.
    assert all(isinstance(e, FlashUnavailable) for e in errors), errors
    flash = [o for o in orders if o.total == Decimal("9.90")]
    assert len(flash) == 7
    assert all(o.total == product.price for o in orders if o not in flash)
    assert (await FlashSale.get(id=sale.id)).sold == 7
    assert await FlashPurchase.all().count() == 7
    for order in flash[:3]:
        await services.orders.cancel(order, "customer")
    assert (await FlashSale.get(id=sale.id)).sold == 4


async def test_one_buyer_limit_holds_under_concurrency(pg: None, services: StoreServices) -> None:
    """Five orders of one person racing for a limit=2 sale (one cart per person and shop, so
    the race is run at the hold inside five placing transactions)."""
    shop, _ = await make_shop(services)
    product = await make_product(services, shop, stock=100)
    (person,) = await make_customers(services, shop, product, 1)
    orders = [await services.orders.place(person, shop.id, CONTACT)]
    for _ in range(4):
        await services.carts.add(person, shop.id, product.id, 1)
        orders.append(await services.orders.place(person, shop.id, CONTACT))
    now = services.clock()
    sale = await services.promotions.create_flash(
        shop.id,
        NewFlashSale(product.id, Decimal("9.90"), now, now + timedelta(hours=1), 50, 2),
    )

    async def hold(order: Order) -> None:
        async with in_transaction():
            await services.promotions.hold_flash(sale, person, order.id, 1)

    results = await asyncio.gather(*(hold(o) for o in orders), return_exceptions=True)
    assert sum(1 for r in results if r is None) == 2
    assert all(isinstance(r, FlashUnavailable) for r in results if r is not None)
    assert await services.promotions.flash_bought(sale.id, person) == 2
    assert (await FlashSale.get(id=sale.id)).sold == 2
