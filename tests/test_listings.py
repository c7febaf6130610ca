"""The per-process copies of catalog pages and product cards (CatalogService.listings):
shared by every reader, dropped by every change to a shop's products; an order that moves
stock counts its cards down or drops them, and drops the pages where it sold one out or
brought one back, here and (through Redis) in the other processes."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from redis.asyncio import Redis

from store.catalog import PAGE_SIZE, NewProduct
from store.errors import OutOfStock, ProductNotFound
from store.listings import LISTINGS_MAX_AGE, Listings
from store.models import Product
from store.product_admin import ProductAdmin
from store.services import StoreServices
from tests.copies_processes import REDIS, eventually, needs_redis, process
from tests.integration.world import CONTACT, make_customers, make_product, make_shop
from tests.writers import files_writing


def kept(services: StoreServices) -> Listings:
    """What this file's processes keep and hear about."""
    return services.catalog.listings


async def card(s: StoreServices, shop_id: int, product_id: int) -> tuple[str, Decimal, int]:
    p = await s.catalog.product(shop_id, product_id)
    return p.title, p.price, p.stock


async def titles(s: StoreServices, shop_id: int, page: int = 1) -> list[str]:
    return [p.title for p in (await s.catalog.browse(shop_id, page=page)).products]


async def test_pages_and_cards_are_read_once(database: None) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=5)
    assert await titles(s, shop.id) == ["Longjing tea"]
    assert (await card(s, shop.id, tea.id))[2] == 5
    await Product.filter(id=tea.id).update(title="Renamed", stock=1)  # behind their back
    assert await titles(s, shop.id) == ["Longjing tea"]
    assert (await card(s, shop.id, tea.id))[2] == 5


async def test_every_product_change_is_seen_at_once(database: None) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=5)
    await titles(s, shop.id), await card(s, shop.id, tea.id)

    await make_product(s, shop, stock=1, title="Mooncake")
    assert await titles(s, shop.id) == ["Longjing tea", "Mooncake"]
    await s.catalog.set_price(shop.id, tea.id, Decimal("30.00"))
    assert (await card(s, shop.id, tea.id))[1] == Decimal("30.00")
    await s.catalog.set_stock(shop.id, tea.id, 7)
    assert (await card(s, shop.id, tea.id))[2] == 7
    await s.catalog.set_active(shop.id, tea.id, False)
    assert await titles(s, shop.id) == ["Mooncake"]
    await s.catalog.set_active(shop.id, tea.id, True)

    admin = ProductAdmin(s.catalog)
    await admin.update(shop.id, tea.id, NewProduct(title="Longjing", price=Decimal(9), stock=2))
    assert await card(s, shop.id, tea.id) == ("Longjing", Decimal(9), 2)
    await admin.import_csv(shop.id, f"id,title,price,stock\n{tea.id},Longjing AAA,9,3\n".encode())
    assert await card(s, shop.id, tea.id) == ("Longjing AAA", Decimal(9), 3)


async def test_orders_move_the_stock_readers_see(database: None) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=1)
    (buyer,) = await make_customers(s, shop, tea, 1)
    assert (await card(s, shop.id, tea.id))[2] == 1
    page = await s.catalog.browse(shop.id)

    order = await s.orders.place(buyer, shop.id, CONTACT)
    assert (await card(s, shop.id, tea.id))[2] == 0
    assert (await s.catalog.browse(shop.id)).products[0].stock == 0  # "sold out"
    assert page.products[0].stock == 1  # a reader's page stays as it was read

    await s.orders.cancel(order, "changed my mind")
    assert (await card(s, shop.id, tea.id))[2] == 1
    assert (await s.catalog.browse(shop.id)).products[0].stock == 1  # back: no "sold out"


async def test_search_results_are_kept_and_dropped_like_pages(database: None) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    green = await make_product(s, shop, stock=2, title="Green tea")
    await make_product(s, shop, stock=2, title="Black tea")
    first, last = await make_customers(s, shop, green, 2)

    async def found(text: str) -> list[tuple[str, int]]:
        return [(p.title, p.stock) for p in (await s.catalog.search(shop.id, text)).products]

    assert await found("GREEN  Tea") == [("Green tea", 2)]
    assert await found("black") == [("Black tea", 2)]
    await Product.filter(shop_id=shop.id).update(title="Renamed")  # behind their back
    assert await found("green tea") == [("Green tea", 2)]  # the same words, kept

    await s.orders.place(first, shop.id, CONTACT)  # 1 left: a page shows no count
    assert await found("green tea") == [("Green tea", 2)]
    await s.orders.place(last, shop.id, CONTACT)  # sold out: what shows it is dropped
    assert await found("green tea") == [("Renamed", 0)]
    assert await found("black") == [("Black tea", 2)]  # kept: the order is not on it
    await make_product(s, shop, stock=1, title="Black tea, smoked")
    assert [t for t, _ in await found("black")] == ["Renamed", "Black tea, smoked"]


async def test_the_cart_adds_from_the_kept_card_and_sees_every_change(database: None) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=3)
    (buyer,) = await make_customers(s, shop, tea, 1, quantity=2)
    ann = (await s.people.identify("sim", "ann", "Ann")).person_id  # type: ignore[attr-defined]
    await card(s, shop.id, tea.id)
    await Product.filter(id=tea.id).update(title="Renamed")  # behind their back
    assert (await s.carts.add(ann, shop.id, tea.id, 1)).product.title == "Longjing tea"

    await s.orders.place(buyer, shop.id, CONTACT)  # 1 left: the kept card shows it
    with pytest.raises(OutOfStock) as left:
        await s.carts.add(ann, shop.id, tea.id, 1)  # a second unit for Ann
    assert left.value.params == {"title": "Longjing tea", "left": 1}
    await s.catalog.set_active(shop.id, tea.id, False)
    with pytest.raises(ProductNotFound):
        await s.carts.add(ann, shop.id, tea.id, 1)


async def test_an_order_counts_down_its_cards_and_drops_the_pages_where_it_sold_one_out(
    database: None,
) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    products = [await make_product(s, shop, stock=2, title=f"Tea {n}") for n in range(7)]
    sold, other = products[0], products[-1]  # on page 1 and page 2
    first, last = await make_customers(s, shop, sold, 2)
    assert len(await titles(s, shop.id, 1)) == PAGE_SIZE
    assert await titles(s, shop.id, 2) == ["Tea 5", "Tea 6"]
    await card(s, shop.id, sold.id), await card(s, shop.id, other.id)
    # behind the copies' back: only what is read again shows it
    await Product.filter(shop_id=shop.id).update(title="Renamed")

    await s.orders.place(first, shop.id, CONTACT)
    assert (await card(s, shop.id, sold.id)) == ("Tea 0", sold.price, 1)  # kept, counted down
    assert (await titles(s, shop.id, 1))[0] == "Tea 0"  # kept: its page shows no count
    await s.orders.place(last, shop.id, CONTACT)  # sold out now: read again, card and page
    assert (await card(s, shop.id, sold.id)) == ("Renamed", sold.price, 0)
    assert (await titles(s, shop.id, 1))[0] == "Renamed"
    assert await titles(s, shop.id, 2) == ["Tea 5", "Tea 6"]  # kept: the order is not on it
    assert (await card(s, shop.id, other.id))[0] == "Tea 6"


async def test_units_given_back_drop_the_card_and_a_take_never_raises_a_count(
    database: None,
) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=5)
    (buyer,) = await make_customers(s, shop, tea, 1)
    held = await s.catalog.product(shop.id, tea.id)
    order = await s.orders.place(buyer, shop.id, CONTACT)
    assert (await card(s, shop.id, tea.id))[2] == 4
    assert held.stock == 5  # a reader's card stays as it was read: the kept one is a copy
    await Product.filter(id=tea.id).update(title="Renamed")  # behind the copies' back
    await s.orders.cancel(order, "changed my mind")  # given back: read again
    assert await card(s, shop.id, tea.id) == ("Renamed", tea.price, 5)

    # Two processes' takes announced out of order (3 left, then 4 left): the lowest stays.
    listings = kept(s)
    listings.heard(f"{shop.id}:{tea.id}::{tea.id}=3")
    listings.heard(f"{shop.id}:{tea.id}::{tea.id}=4")
    assert (await card(s, shop.id, tea.id))[2] == 3
    listings.heard(f"{shop.id}:{tea.id}:")  # a process of the version before: no counts
    assert (await card(s, shop.id, tea.id))[2] == 5  # dropped, read again
    with pytest.raises(ValueError):
        listings.heard(f"{shop.id}:{tea.id}::{tea.id}")


async def test_listings_expire_even_without_an_announcement(database: None) -> None:
    s = StoreServices.build()
    now = [100.0]
    s.catalog.listings._monotonic = lambda: now[0]
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=5)
    await card(s, shop.id, tea.id)
    await Product.filter(id=tea.id).update(stock=4)  # an order whose event was never heard
    now[0] += LISTINGS_MAX_AGE - 1
    assert (await card(s, shop.id, tea.id))[2] == 5
    now[0] += 2
    assert (await card(s, shop.id, tea.id))[2] == 4


@needs_redis
async def test_an_order_in_one_process_reaches_the_listings_of_another(database: None) -> None:
    channel = f"test-listing-changed-{secrets.token_hex(4)}"
    async with process(channel, kept) as a, process(channel, kept) as b:
        shop, _ = await make_shop(a)
        tea = await make_product(a, shop, stock=2)
        (buyer,) = await make_customers(a, shop, tea, 1)
        assert (await card(b, shop.id, tea.id))[2] == 2  # b keeps a copy now

        async def stock_seen_by_b(expected: int) -> bool:
            return (await card(b, shop.id, tea.id))[2] == expected

        await a.orders.place(buyer, shop.id, CONTACT)
        await eventually(lambda: stock_seen_by_b(1))
        await a.catalog.set_stock(shop.id, tea.id, 9)
        await eventually(lambda: stock_seen_by_b(9))


@needs_redis
async def test_another_process_drops_only_what_shows_the_ordered_products(
    database: None,
) -> None:
    channel = f"test-listing-changed-{secrets.token_hex(4)}"
    async with process(channel, kept) as a, process(channel, kept) as b:
        shop, _ = await make_shop(a)
        tea = await make_product(a, shop, stock=2)
        cake = await make_product(a, shop, stock=2, title="Mooncake")
        first, last = await make_customers(a, shop, tea, 2)
        await card(b, shop.id, tea.id), await card(b, shop.id, cake.id)
        await b.catalog.browse(shop.id)
        await Product.filter(id=cake.id).update(title="Renamed")  # behind b's back

        async def page_seen_by_b() -> list[tuple[str, int]]:
            return [(p.title, p.stock) for p in (await b.catalog.browse(shop.id)).products]

        await a.orders.place(first, shop.id, CONTACT)
        await eventually(lambda: stock_is(b, shop.id, tea.id, 1))
        assert (await card(b, shop.id, cake.id))[0] == "Mooncake"  # still b's copy
        assert (await page_seen_by_b())[0] == ("Longjing tea", 2)  # no count on a page

        await a.orders.place(last, shop.id, CONTACT)  # sold out: b drops the page

        async def sold_out_for_b() -> bool:
            return await page_seen_by_b() == [("Longjing tea", 0), ("Renamed", 2)]

        await eventually(sold_out_for_b)

        # Something on the channel that no process of ours sent: b drops everything.
        redis = Redis.from_url(str(REDIS))
        try:
            await redis.publish(channel, "not a change")

            async def cake_renamed_for_b() -> bool:
                return (await card(b, shop.id, cake.id))[0] == "Renamed"

            await eventually(cake_renamed_for_b)
            await a.catalog.set_stock(shop.id, tea.id, 9)  # and still hears what follows
            await eventually(lambda: stock_is(b, shop.id, tea.id, 9))
        finally:
            await redis.aclose()


async def stock_is(s: StoreServices, shop_id: int, product_id: int, stock: int) -> bool:
    return (await card(s, shop_id, product_id))[2] == stock


def test_only_the_announcing_services_write_products() -> None:
    writing = files_writing({"Product"})
    # catalog and product_admin call products_changed; orders' stock moves are announced by
    # their events (OrderPlaced, OrderCancelled, OrderRefunded), which the catalog hears.
    assert writing == {"store/catalog.py", "store/product_admin.py", "store/orders.py"}


def test_only_the_reviews_service_writes_what_the_cards_stars_count() -> None:
    # Erasure blanks a review's text and merging moves it to another person, through generic
    # updates this does not see: neither changes the stars a card shows.
    assert files_writing({"Review"}) == {"store/reviews/service.py"}
