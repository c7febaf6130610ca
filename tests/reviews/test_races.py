"""Many requests at once: one review per item, one reply per review (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from store.errors import StoreError
from store.models import Order, OrderItem, OrderStatus
from store.reviews.models import Review
from store.services import StoreServices
from tests.integration.world import make_product, make_shop


async def completed_order(services: StoreServices) -> tuple[Order, int, int]:
    """A completed one-item order; returns it with the shop's owner and the buyer."""
    shop, owner_id = await make_shop(services)
    product = await make_product(services, shop, stock=5)
    buyer = await services.people.identify("sim", "buyer", "Buyer")
    order = await Order.create(
        order_no="RACE2345",
        shop=shop,
        person_id=buyer.person_id,  # type: ignore[attr-defined]
        status=OrderStatus.COMPLETED,
        subtotal=product.price,
        total=product.price,
        currency="CNY",
        contact_name="Li Lei",
        phone="13800138000",
        address="88 Nanjing Road, Shanghai",
        pay_deadline=datetime(2026, 1, 1, tzinfo=UTC),
    )
    await OrderItem.create(
        order=order, product=product, title=product.title, unit_price=Decimal("1"), quantity=1
    )
    return order, owner_id, buyer.person_id  # type: ignore[attr-defined]


async def test_ten_reviews_of_one_item_at_once_store_one(race_db: str) -> None:
    services = StoreServices.build()
    order, _, buyer = await completed_order(services)
    results = await asyncio.gather(
        *(services.reviews.write(order.order_no, buyer, None, 4, f"try {n}") for n in range(10)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 9 and all(
        isinstance(e, StoreError) and e.code == "review_twice" for e in errors
    ), errors
    assert await Review.all().count() == 1


async def test_ten_replies_at_once_keep_one(race_db: str) -> None:
    services = StoreServices.build()
    order, _, buyer = await completed_order(services)
    review, _ = await services.reviews.write(order.order_no, buyer, None, 2, "slow")
    results = await asyncio.gather(
        *(services.reviews.reply(order.shop_id, review.id, f"reply {n}") for n in range(10)),  # type: ignore[attr-defined]
        return_exceptions=True,
    )
    kept = [r for r in results if not isinstance(r, BaseException)]
    assert len(kept) == 1
    assert (await Review.get(id=review.id)).reply == kept[0].reply
