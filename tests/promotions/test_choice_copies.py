"""A customer's checkout choice (coupon, points), which every priced cart reads, is kept
with the other copies about the person: read once, dropped by every change, including the
order that uses it up, once that order has committed."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest

from store.errors import OutOfStock
from store.promotions.models import CheckoutChoice, CouponKind
from store.promotions.service import NewCoupon
from store.services import StoreServices
from tests.copies_processes import eventually, needs_redis, process
from tests.integration.world import CONTACT, make_product, make_shop
from tests.writers import files_writing


async def shop_with_coupon(s: StoreServices) -> tuple[int, int, int]:
    """(shop id, product id, customer's person id), the shop's coupon TEN: 10 off, once each."""
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=3, price=Decimal("50.00"))
    await s.promotions.create_coupon(shop.id, NewCoupon("TEN", CouponKind.AMOUNT, Decimal(10)))
    ann = await s.people.identify("sim", "ann", "Ann", private=True)
    return shop.id, tea.id, ann.person_id  # type: ignore[attr-defined]


async def coupon_in_quote(s: StoreServices, person_id: int, shop_id: int) -> str | None:
    quote = await s.orders.pricing.quote_cart(person_id, shop_id)
    return quote.coupon.code if quote.coupon else None


async def test_a_choice_is_read_once_and_every_change_is_seen_at_once(database: None) -> None:
    s = StoreServices.build()
    shop_id, tea_id, ann = await shop_with_coupon(s)
    await s.carts.add(ann, shop_id, tea_id, 1)
    assert await coupon_in_quote(s, ann, shop_id) is None
    await s.orders.pricing.apply_coupon(ann, shop_id, "TEN")
    assert await coupon_in_quote(s, ann, shop_id) == "TEN"
    await CheckoutChoice.filter(person_id=ann).delete()  # behind its back
    assert await coupon_in_quote(s, ann, shop_id) == "TEN"  # the copy
    await s.orders.pricing.drop_coupon(ann, shop_id)
    assert await coupon_in_quote(s, ann, shop_id) is None


async def test_the_order_that_uses_a_choice_drops_it_once_committed(database: None) -> None:
    s = StoreServices.build()
    shop_id, tea_id, ann = await shop_with_coupon(s)
    await s.carts.add(ann, shop_id, tea_id, 1)
    await s.orders.pricing.apply_coupon(ann, shop_id, "TEN")

    await s.catalog.set_stock(shop_id, tea_id, 0)  # sold out meanwhile: rolled back
    with pytest.raises(OutOfStock):
        await s.orders.place(ann, shop_id, CONTACT)
    assert await coupon_in_quote(s, ann, shop_id) == "TEN"  # so the choice stands

    await s.catalog.set_stock(shop_id, tea_id, 3)
    order = await s.orders.place(ann, shop_id, CONTACT)
    assert order.total == Decimal("40.00")
    await s.carts.add(ann, shop_id, tea_id, 1)
    quote = await s.orders.pricing.quote_cart(ann, shop_id)
    assert quote.coupon is None and not quote.chosen and not quote.problems
    assert quote.total == Decimal("50.00")


@needs_redis
async def test_a_choice_made_in_one_process_reaches_the_copies_of_another(
    database: None,
) -> None:
    channel = f"test-person-changed-{secrets.token_hex(4)}"

    def kept(services: StoreServices):  # type: ignore[no-untyped-def]
        return services.people.copies

    async with process(channel, kept) as a, process(channel, kept) as b:
        shop_id, tea_id, ann = await shop_with_coupon(a)
        await a.carts.add(ann, shop_id, tea_id, 1)
        assert await coupon_in_quote(b, ann, shop_id) is None  # b keeps "no choice"
        await a.orders.pricing.apply_coupon(ann, shop_id, "TEN")

        async def seen_by_b() -> bool:
            return await coupon_in_quote(b, ann, shop_id) == "TEN"

        await eventually(seen_by_b)


def test_only_the_announcing_services_write_choices() -> None:
    assert files_writing({"CheckoutChoice"}) == {
        "store/promotions/service.py",
        "store/accounts/merge.py",  # inside a link's transaction; Accounts announces both people
    }
