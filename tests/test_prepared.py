"""Selects with their SQL built once: the same rows as the queryset they stand for, on
SQLite and PostgreSQL (the plans are per dialect), inside transactions too."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from store.catalog import VISIBLE_PRODUCT
from store.errors import OutOfStock
from store.models import Identity, Order, Product
from store.orders import TAKE_STOCK
from store.people import IDENTITY
from store.prepared import Prepared, PreparedValues
from store.services import StoreServices
from tests.integration.world import CONTACT, make_customers, make_product, make_shop
from tests.support.race_db import race_db  # noqa: F401 - fixture used here


@pytest.mark.usefixtures("race_db")
async def test_the_rows_are_those_of_the_queryset_with_each_call_s_own_values() -> None:
    s = StoreServices.build()
    for n in range(3):
        await s.people.identify("tg", f"user{n}", f"User {n}")
    for n in range(3):
        expected = await Identity.get(platform="tg", platform_user_id=f"user{n}").select_related(
            "person"
        )
        got = await IDENTITY.first("tg", f"user{n}")
        assert got is not None
        assert (got.id, got.platform_user_id, got.person.id, got.person.display_name) == (
            expected.id,
            expected.platform_user_id,
            expected.person.id,
            f"User {n}",
        )
    assert await IDENTITY.first("wechat", "user1") is None
    assert await IDENTITY.all("tg", "nobody") == []


@pytest.mark.usefixtures("race_db")
async def test_int_values_land_in_their_own_places() -> None:
    s = StoreServices.build()
    tea, _ = await make_shop(s, slug="tea")
    cakes, _ = await make_shop(s, slug="cakes")
    longjing = await make_product(s, tea, stock=5)
    mooncake = await make_product(s, cakes, stock=5, title="Mooncake")
    assert (await VISIBLE_PRODUCT.first(tea.id, longjing.id)) == longjing
    assert (await VISIBLE_PRODUCT.first(cakes.id, mooncake.id)) == mooncake
    assert await VISIBLE_PRODUCT.first(tea.id, mooncake.id) is None  # another shop's
    await s.catalog.set_active(tea.id, longjing.id, False)
    assert await VISIBLE_PRODUCT.first(tea.id, longjing.id) is None  # the constant still holds


@pytest.mark.usefixtures("race_db")
async def test_pages_count_and_offset_like_the_queryset() -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    for n in range(12):
        await make_product(s, shop, stock=1, title=f"Item {n:02}")
    pages = [await s.catalog.browse(shop.id, page=n) for n in (1, 2, 3, 9)]
    assert [p.page for p in pages] == [1, 2, 3, 3]  # past the end: the last page
    assert {p.total for p in pages} == {12} and {p.pages for p in pages} == {3}
    assert [p.title for p in pages[1].products] == [f"Item {n:02}" for n in range(5, 10)]
    assert [p.title for p in pages[3].products] == ["Item 10", "Item 11"]


@pytest.mark.usefixtures("race_db")
async def test_inside_a_transaction_it_reads_the_transaction_s_own_rows() -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    async with in_transaction():
        product = await make_product(s, shop, stock=1, title="Not committed yet")
        assert await VISIBLE_PRODUCT.first(shop.id, product.id) == product
        await Product.filter(id=product.id).delete()


async def test_values_that_would_change_the_statement_are_refused() -> None:
    with pytest.raises(TypeError):
        await VISIBLE_PRODUCT.first(1, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await VISIBLE_PRODUCT.first(True, 1)


@pytest.mark.usefixtures("race_db")
async def test_a_parameter_the_select_does_not_bind_is_refused() -> None:
    ignores_its_second = Prepared(Product, lambda shop_id, _unused: Product.filter(shop_id=shop_id))
    with pytest.raises(TypeError, match="not bound"):
        await ignores_its_second.all(1, 2)


def stock_of(shop_id: int):  # type: ignore[no-untyped-def]
    return (
        Product.filter(shop_id=shop_id, active=True)
        .annotate(n=Count("id"), s=Sum("stock"))
        .limit(1)
        .values("n", "s")
    )


STOCK = PreparedValues(Product, stock_of)
PRICES = PreparedValues(
    Product,
    lambda shop_id, title: (
        Product.filter(shop_id=shop_id, title=title).order_by("id").values("id", "price")
    ),
)


@pytest.mark.usefixtures("race_db")
async def test_values_selects_give_the_value_query_s_rows_converted_alike() -> None:
    s = StoreServices.build()
    tea, _ = await make_shop(s, slug="tea")
    cakes, _ = await make_shop(s, slug="cakes")
    await make_product(s, tea, stock=5)
    hidden = await make_product(s, tea, stock=7, title="Hidden")
    await make_product(s, tea, stock=2, title="Oolong", price=Decimal("12.30"))
    await s.catalog.set_active(tea.id, hidden.id, False)
    for shop in (tea, cakes):  # an aggregate, then an empty one: (0, None) as the queryset's
        assert await STOCK.all(shop.id) == await stock_of(shop.id)
    assert await STOCK.first(tea.id) == {"n": 2, "s": 7}
    rows = await PRICES.all(tea.id, "Oolong")
    assert rows == await Product.filter(shop_id=tea.id, title="Oolong").values("id", "price")
    assert rows[0]["price"] == Decimal("12.30") and isinstance(rows[0]["price"], Decimal)
    assert await PRICES.first(cakes.id, "Oolong") is None


@pytest.mark.usefixtures("race_db")
async def test_updates_change_the_rows_their_values_choose_and_count_them() -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=5)
    cake = await make_product(s, shop, stock=5, title="Cake")
    assert await TAKE_STOCK.run(tea.id, 3) == 1
    assert await TAKE_STOCK.run(tea.id, 3) == 0  # 2 left: the condition holds it
    assert await TAKE_STOCK.run(cake.id, 5) == 1
    await s.catalog.set_active(shop.id, tea.id, False)
    assert await TAKE_STOCK.run(tea.id, 1) == 0  # the constant still binds
    stocks = await Product.filter(id__in=[tea.id, cake.id]).order_by("id").values_list("stock")
    assert stocks == [(2,), (0,)]
    await s.catalog.set_active(shop.id, tea.id, True)
    with pytest.raises(OutOfStock):  # inside a transaction it runs on its connection...
        async with in_transaction():
            assert await TAKE_STOCK.run(tea.id, 2) == 1
            raise OutOfStock(title="rolled back", left=0)
    assert (await Product.get(id=tea.id)).stock == 2  # ...so it is rolled back with it


@pytest.mark.usefixtures("race_db")
async def test_updates_return_the_new_values_of_the_rows_they_changed() -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=5)
    assert await TAKE_STOCK.returned(tea.id, 3) == [2]
    assert await TAKE_STOCK.returned(tea.id, 3) == []  # not changed: nothing returned
    assert await TAKE_STOCK.returned(tea.id, 2) == [0]
    assert (await Product.get(id=tea.id)).stock == 0


@pytest.mark.usefixtures("race_db")
async def test_a_constant_in_an_exclude_binds_too() -> None:
    """The last contact checkout offers again: the newest order that still has a phone."""
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    tea = await make_product(s, shop, stock=5)
    (buyer,) = await make_customers(s, shop, tea, 1)
    assert await s.orders.last_for_person(buyer) is None
    first = await s.orders.place(buyer, shop.id, CONTACT)
    await s.carts.add(buyer, shop.id, tea.id, 1)
    second = await s.orders.place(buyer, shop.id, CONTACT)
    assert (await s.orders.last_for_person(buyer)).order_no == second.order_no  # type: ignore[union-attr]
    await Order.filter(id=second.id).update(phone="")  # erased
    assert (await s.orders.last_for_person(buyer)).order_no == first.order_no  # type: ignore[union-attr]
