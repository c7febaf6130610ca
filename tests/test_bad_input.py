"""Bad input gets a clear reply, changes nothing, and never a traceback or a generic failure."""

from __future__ import annotations

import pytest

from handlers.errors import MESSAGES
from store.models import CartItem, Order, Product, Shop, ShopMember
from tests.conftest import MERCHANT, Chat
from tests.test_chat_flow import place_order

GENERIC_FAILURE = MESSAGES["error"]


async def snapshot() -> tuple:
    products = await Product.all().order_by("id").values_list("price", "stock", "active", "title")
    orders = await Order.all().order_by("id").values_list("order_no", "status")
    cart = await CartItem.all().order_by("id").values_list("product_id", "quantity")
    shops = await Shop.all().order_by("id").values_list("slug", "unpaid_timeout_minutes")
    members = await ShopMember.all().order_by("id").values_list("person_id", "role")
    return tuple(map(tuple, (products, orders, cart, shops, members)))


CUSTOMER_BAD = [
    ("/add 0", "not a valid number"),
    ("/add 1 0", "quantity"),
    ("/add 1 -3", "quantity"),
    ("/add 1 100", "quantity"),
    ("/add 1 99999999999999999999", "quantity"),
    ("/add 1 two", "quantity"),
    ("/add 1 1.5", "quantity"),
    ("/add -1", "not a valid number"),
    ("/add abc", "not a valid number"),
    ("/add 99999999999", "not a valid number"),
    ("/add 424242", "no product"),
    ("/add", "Usage"),
    ("/add 9 20", "not enough stock"),
    ("/product ０１", "not a valid number"),
    ("/product 1; DROP TABLE product;--", "not a valid"),
    ("/search ' OR 1=1 --", "Nothing found"),
    ("/search %", "Nothing found"),
    ("/search _", "Nothing found"),
    ("/catalog Robert'); DROP TABLE product;--", "no category"),
    ("/remove 5", "not in your cart"),
    ("/order NOPE1234", "no order"),
    ("/cancel NOPE1234", "no order"),
    ("/refund NOPE1234", "no order"),
    ("/received", "Usage"),
    ("/lang fr", "Usage"),
    ("/shop nowhere", "no such shop"),
    ("🛒🛒🛒", "Welcome"),  # emoji alone: greeted, with the buttons to go on
    ("/😀", "don't know"),
    ("x" * 4000, "too long"),
    ("/catalog 99999999999", "not a valid number"),
]

MERCHANT_ONLY = [
    "/addproduct Tea | 1 | 1",
    "/price 1 1",
    "/stock 1 0",
    "/hide 1",
    "/show 1",
    "/sales",
    "/paid ABCDEFGH",
    "/ship ABCDEFGH SF 1",
    "/refundok ABCDEFGH",
    "/refundno ABCDEFGH no",
    "/staff add mallory",
    "/settings unpaid 5",
    "/sale ABCDEFGH",
]

MERCHANT_BAD = [
    ("/addproduct Tea | 12.345 | 1", "at most 2 decimals"),
    ("/addproduct Tea | -1 | 1", "more than zero"),
    ("/addproduct Tea | free | 1", "is not an amount of money"),
    ("/addproduct Tea | 1 | -1", "Stock must"),
    ("/addproduct Tea | 1000000000000 | 1", "too large"),
    ("/addproduct | 1 | 1", "title"),
    ("/addproduct Tea", "Usage"),
    ("/addproduct Tea | 1 | 1 | d | c | ftp://x", "http"),
    ("/price 1 0.001", "at most 2 decimals"),
    ("/price 1 NaN", "is not an amount of money"),
    ("/price 1 12,50", "is not an amount of money"),  # a decimal comma: not 1,250
    ("/price 1 1e3", "is not an amount of money"),  # not 1,000
    ("/coupon new BIG 150%", "less than 100 (not 150)."),  # as typed, not 150.00
    ("/level add gold 100 150", "below 100 (not “150”)."),
    ("/addproduct Tea |  | 1", "amount of money is missing"),
    (f"/addproduct Tea | 1 | 1 | d | {'c' * 41}", "at most 40 characters"),  # not cut
    ("/addproduct Tea | 1,5 | 1", "is not an amount of money"),
    ("/stock 1 1000001", "Stock must"),
    ("/price 4242 10", "no product"),
    ("/settings unpaid 1", "between"),
    ("/settings unpaid 99999999", "between"),
    ("/settings colour red", "Usage"),
    ("/ship ABCDEFGH", "Usage"),
    ("/paid NOPE1234", "no order NOPE1234 in this shop"),
    ("/sale NOPE1234", "/sales"),
    ("/refunditem NOPE1234 1", "/sales"),
    ("/sales blue", "Usage"),
    ("/staff add nobody", "don't know the user"),
]


@pytest.mark.parametrize("text,expected", CUSTOMER_BAD)
async def test_customer_bad_input(chat: Chat, text: str, expected: str) -> None:
    await chat.say("alice", "/add 1 1")
    before = await snapshot()
    reply = await chat.text("alice", text)
    assert expected.lower() in reply.lower(), reply
    assert GENERIC_FAILURE not in reply
    assert "Traceback" not in reply
    assert await snapshot() == before


@pytest.mark.parametrize("text", MERCHANT_ONLY)
async def test_merchant_commands_refused_for_customers(chat: Chat, text: str) -> None:
    before = await snapshot()
    reply = await chat.text("mallory", text)
    assert "only the shop's owner" in reply
    assert await snapshot() == before


@pytest.mark.parametrize("text,expected", MERCHANT_BAD)
async def test_merchant_bad_input(chat: Chat, text: str, expected: str) -> None:
    before = await snapshot()
    reply = await chat.text(MERCHANT, text)
    assert expected.lower() in reply.lower(), reply
    assert GENERIC_FAILURE not in reply
    assert await snapshot() == before


async def test_checkout_with_an_empty_cart(chat: Chat) -> None:
    assert "cart is empty" in await chat.text("alice", "/checkout")
    assert "cart is empty" in await chat.text("alice", "/checkout confirm")
    assert await Order.all().count() == 0


async def test_other_customers_order_is_unknown(chat: Chat) -> None:
    no = await place_order(chat, "alice")
    before = await snapshot()
    for text in (f"/order {no}", f"/cancel {no}", f"/refund {no}", f"/received {no}"):
        reply = await chat.text("eve", text)
        assert f"There is no order {no} of yours" in reply
        assert "Zhang San" not in reply and "13800138000" not in reply
    assert await snapshot() == before


async def test_other_shops_order_is_unknown_to_merchant(chat: Chat) -> None:
    no = await place_order(chat, "alice")
    await chat.say("carol", "/newshop Carol")
    before = await snapshot()
    for text in (f"/paid {no}", f"/ship {no} SF 1", f"/sale {no}"):
        assert f"There is no order {no} in this shop" in await chat.text("carol", text)
    assert await snapshot() == before


async def test_repeated_and_illegal_transitions(chat: Chat) -> None:
    no = await place_order(chat)
    assert "can't" in await chat.text(MERCHANT, f"/ship {no} SF 1")  # not paid yet
    await chat.say(MERCHANT, f"/paid {no}")
    before = await snapshot()
    assert "already paid" in await chat.text(MERCHANT, f"/paid {no}")
    assert "can't" in await chat.text("alice", f"/cancel {no}")
    assert "can't" in await chat.text("alice", f"/received {no}")
    assert await snapshot() == before


async def test_an_unpaid_order_points_to_paying_or_cancelling(chat: Chat) -> None:
    no = await place_order(chat)
    before = await snapshot()
    for line in (f"/refund {no} changed my mind", f"/received {no}"):
        reply = await chat.text("alice", line)
        assert f"Order {no} is not paid yet" in reply and f"/cancel {no}" in reply, reply
    await chat.say("alice", "/lang zh")
    assert f"/cancel {no} 取消订单" in await chat.text("alice", f"/退款 {no}")
    assert await snapshot() == before


async def test_a_completed_order_is_refunded_by_the_shop_not_in_chat(chat: Chat) -> None:
    no = await place_order(chat)
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/ship {no} SF 1")
    await chat.say("alice", f"/received {no}")
    before = await snapshot()
    reply = await chat.text("alice", f"/refund {no} it broke")
    assert f"Order {no} is completed" in reply and "/ask" in reply
    assert await snapshot() == before
    assert "refunded" in await chat.text(MERCHANT, f"/refunditem {no} 1")  # the shop still can


async def test_checkout_validates_each_step(chat: Chat) -> None:
    await chat.say("alice", "/add 1")
    await chat.say("alice", "/checkout")
    assert "1 to 64" in await chat.text("alice", "n" * 65)
    await chat.say("alice", "Zhang")
    assert "phone number" in await chat.text("alice", "call me maybe")
    assert "phone number" in await chat.text("alice", "'; DROP TABLE order; --")
    assert "phone number" in await chat.text("alice", "12345")  # too short to reach anyone
    assert "phone number" in await chat.text("alice", "+86 138 0013 8000 1234")  # over 15 digits
    await chat.say("alice", "13800138000")
    assert "full delivery address" in await chat.text("alice", "x")
    await chat.say("alice", "1 Wensan Road")
    assert "placed" in await chat.text("alice", "/checkout confirm")
    # confirming again without a new checkout starts a new one instead of a second order
    assert "cart is empty" in await chat.text("alice", "/checkout confirm")
    assert await Order.all().count() == 1


async def test_a_tracking_number_too_long_is_refused_not_cut(chat: Chat) -> None:
    # Cut to the column's 64 characters, it was sent to the customer as a wrong number.
    no = await place_order(chat, "alice")
    await chat.say(MERCHANT, f"/paid {no}")
    chat.pushed("alice")
    before = await snapshot()
    reply = await chat.text(MERCHANT, f"/ship {no} SF {'SF1234567890' * 6}")
    assert "a tracking number 64" in reply
    reply = await chat.text(MERCHANT, f"/ship {no} {'X' * 41} SF123")
    assert "A carrier has at most 40 characters" in reply
    assert await snapshot() == before and "shipped" not in chat.pushed("alice")
    assert "shipped" in await chat.text(MERCHANT, f"/ship {no} SF {'9' * 64}")
