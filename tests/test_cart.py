"""The cart's limits, alone and with messages of the same person at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from store.cart import MAX_CART_LINES, MAX_LINE_QUANTITY, Cart
from store.errors import InvalidInput, OutOfStock, ProductNotFound
from store.models import CartItem, Product, Shop
from store.services import StoreServices
from tests.conftest import Chat
from tests.integration.world import make_product, make_shop
from tests.support.race_db import race_db  # noqa: F401 - fixture used here


async def lines(person_id: int) -> list[tuple[int, int]]:
    return [
        tuple(row)  # type: ignore[misc]
        for row in await CartItem.filter(person_id=person_id)
        .order_by("product_id")
        .values_list("product_id", "quantity")
    ]


async def buyer(services: StoreServices) -> int:
    return (await services.people.identify("sim", "buyer", "Buyer")).person_id  # type: ignore[attr-defined]


async def tea_and_buyer(stock: int) -> tuple[StoreServices, Shop, Product, int]:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    return s, shop, await make_product(s, shop, stock=stock), await buyer(s)


@pytest.mark.usefixtures("race_db")
async def test_adding_again_adds_up_within_the_limits() -> None:
    s, shop, tea, person = await tea_and_buyer(stock=200)
    few = await make_product(s, shop, stock=3, title="Rare cake")
    assert (await s.carts.add(person, shop.id, tea.id, 2)).product.id == tea.id
    await s.carts.add(person, shop.id, tea.id, 3)
    assert await lines(person) == [(tea.id, 5)]

    with pytest.raises(InvalidInput) as refused:
        await s.carts.add(person, shop.id, tea.id, MAX_LINE_QUANTITY - 4)
    assert refused.value.code == "bad_quantity"
    with pytest.raises(OutOfStock):
        await s.carts.add(person, shop.id, few.id, 4)
    await s.catalog.set_active(shop.id, few.id, False)
    with pytest.raises(ProductNotFound):
        await s.carts.add(person, shop.id, few.id, 1)
    assert await lines(person) == [(tea.id, 5)]  # nothing refused changed the cart


@pytest.mark.usefixtures("race_db")
async def test_the_cart_an_add_returns_is_the_cart_as_stored() -> None:
    s, shop, tea, person = await tea_and_buyer(stock=200)
    cake = await make_product(s, shop, stock=9, title="Mooncake")

    def shown(cart: Cart) -> list[tuple[int, str, int]]:
        return [(ln.product.id, ln.product.title, ln.quantity) for ln in cart.lines]

    for product, quantity in ((cake, 1), (tea, 2), (cake, 3)):  # new lines, then more of one
        added = await s.carts.add(person, shop.id, product.id, quantity)
        assert shown(added.cart) == shown(await s.carts.get(person, shop.id))
    assert shown(added.cart) == [(tea.id, tea.title, 2), (cake.id, "Mooncake", 4)]


@pytest.mark.usefixtures("race_db")
async def test_a_full_cart_takes_more_of_what_it_has_but_no_new_line() -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    products = [
        await make_product(s, shop, stock=5, title=f"Item {n}") for n in range(MAX_CART_LINES + 1)
    ]
    person = await buyer(s)
    for product in products[:MAX_CART_LINES]:
        await s.carts.add(person, shop.id, product.id, 1)
    with pytest.raises(InvalidInput) as refused:
        await s.carts.add(person, shop.id, products[-1].id, 1)
    assert refused.value.code == "cart_full"
    await s.carts.add(person, shop.id, products[0].id, 1)
    assert len(await lines(person)) == MAX_CART_LINES
    assert (await lines(person))[0] == (products[0].id, 2)


@pytest.mark.usefixtures("race_db")
async def test_the_same_product_added_ten_times_at_once_is_one_line_of_ten() -> None:
    s, shop, tea, person = await tea_and_buyer(stock=50)
    await asyncio.gather(*(s.carts.add(person, shop.id, tea.id, 1) for _ in range(10)))
    assert await lines(person) == [(tea.id, 10)]


@pytest.mark.usefixtures("race_db")
async def test_two_adds_at_once_cannot_take_a_line_past_its_limit() -> None:
    s, shop, tea, person = await tea_and_buyer(stock=500)
    await s.carts.add(person, shop.id, tea.id, 1)
    half = MAX_LINE_QUANTITY // 2 + 1  # each fits alone, both do not
    results = await asyncio.gather(
        *(s.carts.add(person, shop.id, tea.id, half) for _ in range(2)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], InvalidInput), results
    assert await lines(person) == [(tea.id, 1 + half)]


@pytest.mark.usefixtures("race_db")
async def test_removing_some_units_keeps_the_rest_even_two_at_once() -> None:
    s, shop, tea, person = await tea_and_buyer(stock=200)
    await s.carts.add(person, shop.id, tea.id, 5)
    await s.carts.remove(person, shop.id, tea.id, 2)
    assert await lines(person) == [(tea.id, 3)]
    # Two messages taking 2 each from 3 at once: one takes 2, the other the last one's line.
    await asyncio.gather(*(s.carts.remove(person, shop.id, tea.id, 2) for _ in range(2)))
    assert await lines(person) == []
    with pytest.raises(InvalidInput) as refused:
        await s.carts.remove(person, shop.id, tea.id, 1)
    assert refused.value.code == "not_in_cart"


async def test_remove_in_chat_takes_some_units_or_the_whole_line(chat: Chat) -> None:
    await chat.say("alice", "/add 1 3")
    assert "× 2" in await chat.text("alice", "/remove 1 1")
    assert "× 2" not in await chat.text("alice", "/remove 1 5")  # more than there are: all
    assert await CartItem.all().count() == 0
    assert "from 1 to 99" in await chat.text("alice", "/remove 1 0")
