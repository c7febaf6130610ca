"""Shipping fees (运费) and free shipping over a threshold (满 X 包邮), through the chat engine.

Product 1 of the demo shop costs 128.00, product 4 (nougat) 39.90.
"""

from __future__ import annotations

from decimal import Decimal as D

from referral.models import OrderCommission, OrderReferral
from store.loyalty.models import EntryKind, PointsEntry
from store.models import Order, RefundJob, Shop
from tests.conftest import MERCHANT, Chat
from tests.groupbuy.test_chat import campaign, open_group
from tests.promotions.test_chat import checkout
from tests.test_chat_flow import order_no, place_order


async def order_of(no: str) -> Order:
    return await Order.get(order_no=no)


async def test_settings_set_show_and_refuse_bad_amounts(chat: Chat) -> None:
    text = await chat.text(MERCHANT, "/settings")
    assert "Shipping is free. To charge a fee per order: /settings shipping <fee>." in text

    text = await chat.text(MERCHANT, "/settings shipping 10")
    assert "Saved." in text and "Shipping fee per order: CN¥10.00" in text
    assert "No free shipping threshold" in text
    text = await chat.text(MERCHANT, "/settings freeship 99")
    assert "Free shipping when the goods come to CN¥99.00 or more after discounts" in text
    shop = await Shop.get(slug="demo")
    assert (shop.shipping_fee, shop.free_shipping_over) == (D("10.00"), D("99.00"))

    for bad, said in (
        ("/settings shipping abc", "is not an amount"),
        ("/settings shipping 1.005", "at most 2 decimals"),
        ("/settings shipping -3", "can't be below zero"),
        ("/settings freeship 0", "more than zero"),
        ("/settings freeship 12,5", "is not an amount"),
        ("/settings shipping", "Usage: /settings"),
    ):
        assert said in await chat.text(MERCHANT, bad), bad
    assert "only the shop" in await chat.text("alice", "/settings shipping 0")
    shop = await Shop.get(slug="demo")
    assert (shop.shipping_fee, shop.free_shipping_over) == (D("10.00"), D("99.00"))

    assert "No free shipping threshold" in await chat.text(MERCHANT, "/settings freeship off")
    assert "Shipping is free." in await chat.text(MERCHANT, "/settings 运费 0")
    shop = await Shop.get(slug="demo")
    assert (shop.shipping_fee, shop.free_shipping_over) == (D("0.00"), None)


async def test_a_shop_without_shipping_prices_exactly_as_before(chat: Chat) -> None:
    assert "Shipping is free." in await chat.text(MERCHANT, "/settings")  # the default
    await chat.say("alice", "/add 1 1")
    cart = await chat.text("alice", "/cart")
    assert "Shipping" not in cart and "Subtotal" not in cart and "Total: CN¥128.00" in cart
    confirm = await checkout(chat)
    assert "Shipping" not in confirm and "Total: CN¥128.00" in confirm
    no = order_no(await chat.text("alice", "/checkout confirm"))
    order = await order_of(no)
    assert (order.subtotal, order.shipping_fee, order.total) == (D("128.00"), 0, D("128.00"))
    assert "Shipping" not in await chat.text("alice", f"/order {no}")


async def test_the_fee_is_added_shown_everywhere_and_stored(chat: Chat) -> None:
    await chat.say(MERCHANT, "/settings shipping 8")
    await chat.say("alice", "/add 1 1")
    cart = await chat.text("alice", "/cart")
    assert "Subtotal: CN¥128.00" in cart and "Shipping: CN¥8.00" in cart
    assert "Total: CN¥136.00" in cart and "more for free shipping" not in cart
    confirm = await checkout(chat)
    assert "Shipping: CN¥8.00" in confirm and "Total: CN¥136.00" in confirm
    placed = await chat.text("alice", "/checkout confirm")
    assert "Shipping: CN¥8.00" in placed and "Total: CN¥136.00" in placed
    order = await order_of(order_no(placed))
    assert (order.subtotal, order.discount_total, order.shipping_fee, order.total) == (
        D("128.00"),
        0,
        D("8.00"),
        D("136.00"),
    )
    assert "Shipping: CN¥8.00" in await chat.text("alice", f"/order {order.order_no}")
    assert "Shipping: CN¥8.00" in await chat.text(MERCHANT, f"/sale {order.order_no}")


async def test_the_threshold_makes_it_free_at_it_not_below(chat: Chat) -> None:
    await chat.say(MERCHANT, "/settings shipping 10")
    await chat.say(MERCHANT, "/settings freeship 128.01")
    await chat.say("alice", "/add 1 1")  # 128.00: one fen short
    cart = await chat.text("alice", "/cart")
    assert "Shipping: CN¥10.00" in cart and "Total: CN¥138.00" in cart
    assert "Add CN¥0.01 more for free shipping." in cart

    await chat.say(MERCHANT, "/settings freeship 128")  # exactly the goods total
    cart = await chat.text("alice", "/cart")
    assert "Shipping: free (goods from CN¥128.00)" in cart and "Total: CN¥128.00" in cart
    assert "more for free shipping" not in cart
    await checkout(chat)
    order = await order_of(order_no(await chat.text("alice", "/checkout confirm")))
    assert (order.shipping_fee, order.total) == (0, D("128.00"))


async def test_discounts_never_reduce_shipping_and_the_threshold_sees_them(chat: Chat) -> None:
    await chat.say(MERCHANT, "/settings shipping 10")
    await chat.say(MERCHANT, "/settings freeship 120")
    await chat.say(MERCHANT, "/fullreduce 100 10")
    await chat.say("alice", "/add 1 1")  # 128 - 10 = 118 after 满减: below 120
    cart = await chat.text("alice", "/cart")
    assert "Shipping: CN¥10.00" in cart and "Total: CN¥128.00" in cart
    assert "Add CN¥2.00 more for free shipping." in cart
    # A coupon bigger than the goods: the goods cost the least there is, shipping stays whole.
    await chat.say(MERCHANT, "/coupon new HUGE 500")
    cart = await chat.text("alice", "/coupon HUGE")
    assert "Coupon HUGE  −CN¥117.99" in cart and "Total: CN¥10.01" in cart
    await checkout(chat)
    order = await order_of(order_no(await chat.text("alice", "/checkout confirm")))
    assert (order.shipping_fee, order.discount_total, order.total) == (
        D("10.00"),
        D("127.99"),
        D("10.01"),
    )


async def test_coupon_minimum_spend_counts_goods_not_shipping(chat: Chat) -> None:
    await chat.say(MERCHANT, "/settings shipping 10")
    await chat.say(MERCHANT, "/coupon new MIN130 5 min=130")
    await chat.say("alice", "/add 1 1")  # 128 of goods + 10 shipping = 138 to pay
    assert "Total: CN¥138.00" in await chat.text("alice", "/cart")
    refused = await chat.text("alice", "/coupon MIN130")
    assert "at least CN¥130.00" in refused and "applied" not in refused


async def test_points_pay_goods_only_and_never_cost_free_shipping(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1 value=100 cap=100")
    await chat.say(MERCHANT, "/settings shipping 10")
    await chat.say("alice", "/start")
    await chat.say(MERCHANT, "/pointsadjust alice 100000")
    await chat.say("alice", "/add 1 1")
    offer = await checkout(chat)  # 100000 points could pay 1000.00: the goods less a fen
    assert "You can pay 12799 points towards this order" in offer
    await chat.say("alice", "/usepoints max")
    await checkout(chat)
    order = await order_of(order_no(await chat.text("alice", "/checkout confirm")))
    assert (order.discount_total, order.shipping_fee, order.total) == (
        D("127.99"),
        D("10.00"),
        D("10.01"),
    )
    # Free from 128: points taking the goods below it do not bring shipping back.
    await chat.say(MERCHANT, "/settings freeship 128")
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/usepoints 5000")  # 50.00
    await checkout(chat)
    order = await order_of(order_no(await chat.text("alice", "/checkout confirm")))
    assert (order.shipping_fee, order.total) == (0, D("78.00"))


async def test_a_fee_changed_after_the_confirmation_asks_again(chat: Chat) -> None:
    await chat.say("alice", "/add 1 1")
    assert "Total: CN¥128.00" in await checkout(chat)
    await chat.say(MERCHANT, "/settings shipping 6")
    again = await chat.text("alice", "/checkout confirm")
    assert "placed" not in again and "Total: CN¥134.00" in again
    assert await Order.all().count() == 0
    order = await order_of(order_no(await chat.text("alice", "/checkout confirm")))
    assert (order.shipping_fee, order.total) == (D("6.00"), D("134.00"))


async def _paid_order(chat: Chat, qty: int = 2) -> Order:
    await chat.say(MERCHANT, "/settings shipping 10")
    no = await place_order(chat, qty=qty)  # 2 × 128.00 + 10.00
    await chat.say(MERCHANT, f"/paid {no}")
    return await order_of(no)


async def test_item_refunds_keep_shipping_once_shipped(chat: Chat) -> None:
    order = await _paid_order(chat)
    assert order.total == D("266.00")
    await chat.say(MERCHANT, f"/ship {order.order_no} SF SF1")
    assert "128.00" in await chat.text(MERCHANT, f"/refunditem {order.order_no} 1 1")
    last = await chat.text(MERCHANT, f"/refunditem {order.order_no} 1 1")
    assert "The shipping (CN¥10.00) is not refunded: the order had shipped." in last
    order = await order_of(order.order_no)
    assert order.status == "refunded" and order.refunded_amount == D("256.00")  # not shipping
    # the order says how much came back, not only "refunded" beside its total of 266.00
    assert "Refunded in all: CN¥256.00" in last
    assert "Refunded in all: CN¥256.00" in await chat.text("alice", f"/order {order.order_no}")
    jobs = await RefundJob.filter(order_id=order.id).order_by("id").values_list("amount", flat=True)
    assert jobs == [D("128.00"), D("128.00")]


async def test_the_last_item_refund_of_an_unshipped_order_returns_shipping(chat: Chat) -> None:
    order = await _paid_order(chat)
    await chat.say(MERCHANT, f"/refunditem {order.order_no} 1 1")
    last = await chat.text(MERCHANT, f"/refunditem {order.order_no} 1 1")
    assert "Refunded CN¥138.00 for line 1" in last
    assert "The shipping (CN¥10.00) is included: the order never shipped." in last
    order = await order_of(order.order_no)
    assert order.status == "refunded" and order.refunded_amount == order.total == D("266.00")
    jobs = await RefundJob.filter(order_id=order.id).order_by("id").values_list("amount", flat=True)
    assert jobs == [D("128.00"), D("138.00")]


async def test_a_whole_refund_returns_everything_shipping_included(chat: Chat) -> None:
    order = await _paid_order(chat)
    await chat.say(MERCHANT, f"/ship {order.order_no} SF SF1")
    await chat.say(MERCHANT, f"/refunditem {order.order_no} 1 1")  # 128.00 of goods
    await chat.say("alice", f"/refund {order.order_no} broken")
    await chat.say(MERCHANT, f"/refundok {order.order_no}")
    order = await order_of(order.order_no)
    assert order.status == "refunded" and order.refunded_amount == order.total == D("266.00")
    jobs = await RefundJob.filter(order_id=order.id).order_by("id").values_list("amount", flat=True)
    assert jobs == [D("128.00"), D("138.00")]  # the rest: goods and shipping, never more


async def test_commission_base_is_goods_and_claw_back_takes_it_all(chat: Chat) -> None:
    reply = (await chat.say("amy", "/ref"))[0]
    code = reply.text.split("agent code: ")[1][:8]
    await chat.say("bob", f"/start ref_{code}")
    await chat.say(MERCHANT, "/settings shipping 10")
    no = await place_order(chat, "bob", product=1, qty=1)  # 128.00 + 10.00
    await chat.say(MERCHANT, f"/paid {no}")
    assert f"You earned CN¥12.80 on order {no} (level 1)" in chat.pushed("amy")
    referral = await OrderReferral.get(order_no=no)
    assert (referral.total_minor, referral.goods_minor) == (13800, 12800)
    assert (await OrderCommission.get(referral_id=referral.id)).base_minor == 12800
    await chat.say(MERCHANT, f"/ship {no} SF SF1")
    await chat.say(MERCHANT, f"/refunditem {no} 1")  # all the goods; shipping kept
    text = await chat.text("amy", "/earnings")
    assert f"{no} · b** · level 1 · CN¥12.80 (refunded: -CN¥12.80) · refunded" in text


async def test_points_come_back_whole_when_the_goods_are_refunded(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1 value=100 cap=20")
    await chat.say("alice", "/start")
    await chat.say(MERCHANT, "/pointsadjust alice 1000")
    await chat.say(MERCHANT, "/settings shipping 10")
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/usepoints 1000")
    await checkout(chat)
    order = await order_of(order_no(await chat.text("alice", "/checkout confirm")))
    assert order.total == D("128.00")  # 118.00 of goods + 10.00 shipping
    await chat.say(MERCHANT, f"/paid {order.order_no}")
    await chat.say(MERCHANT, f"/ship {order.order_no} SF SF1")
    await chat.say(MERCHANT, f"/refunditem {order.order_no} 1")
    returned = await PointsEntry.filter(kind=EntryKind.RETURN).values_list("points", flat=True)
    assert returned == [1000]


async def test_group_buy_seats_ship_free(chat: Chat) -> None:
    assert "Saved." in await chat.text(MERCHANT, "/settings shipping 10")
    _, no = await open_group(chat, "alice", await campaign(chat, "100 3 2h"))
    order = await order_of(no)
    assert (order.shipping_fee, order.total) == (0, D("100.00"))
    assert "Shipping" not in await chat.text("alice", f"/order {no}")
