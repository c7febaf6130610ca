"""Promotions end to end through the chat: coupons, 满减, flash sales, points, partial refunds."""

from __future__ import annotations

from decimal import Decimal

from store.models import Order, OrderItem, OrderStatus, Product, RefundJob
from store.promotions.models import Coupon, CouponRedemption, FlashSale, OrderDiscount
from tests.conftest import MERCHANT, Chat, FakeClock
from tests.test_chat_flow import order_no

CONTACT = ("Zhang San", "13800138000", "1 Wensan Road, Hangzhou")


async def checkout(chat: Chat, user: str = "alice") -> str:
    """Checkout up to the confirmation; returns its text."""
    await chat.say(user, "/checkout")
    for answer in CONTACT[:-1]:
        await chat.say(user, answer)
    return await chat.text(user, CONTACT[-1])


async def buy(chat: Chat, user: str = "alice") -> str:
    await checkout(chat, user)
    return order_no(await chat.text(user, "/checkout confirm"))


async def snapshot() -> tuple:
    """Everything a refused promotion command must leave as it was."""
    return (
        [(c.code, c.used, c.active) for c in await Coupon.all().order_by("id")],
        await CouponRedemption.all().count(),
        await Order.all().count(),
        [(f.id, f.sold, f.active) for f in await FlashSale.all().order_by("id")],
    )


async def test_coupon_applies_shows_in_cart_and_order(chat: Chat) -> None:
    assert "SAVE10 is ready" in await chat.text(MERCHANT, "/coupon new save10 10 min=100 uses=5")
    await chat.say("alice", "/add 1 1")
    cart = await chat.text("alice", "/coupon save10")
    assert "Coupon SAVE10 applied" in cart
    assert "Subtotal: CN¥128.00" in cart
    assert "Coupon SAVE10  −CN¥10.00" in cart and "Total: CN¥118.00" in cart
    confirm = await checkout(chat)
    assert "118.00" in confirm and "Coupon SAVE10" in confirm
    no = order_no(await chat.text("alice", "/checkout confirm"))
    order = await Order.get(order_no=no)
    assert (order.subtotal, order.discount_total, order.total) == (
        Decimal("128.00"),
        Decimal("10.00"),
        Decimal("118.00"),
    )
    d = await OrderDiscount.get(order_id=order.id)
    assert (d.kind, d.ref, d.amount) == ("coupon", "SAVE10", Decimal("10.00"))
    assert d.detail["base"] == "128.00"
    assert "Coupon SAVE10" in await chat.text("alice", f"/order {no}")
    assert "used 1 of 5" in await chat.text(MERCHANT, "/coupons")
    # The choice was for one order: the next cart has no coupon.
    await chat.say("alice", "/add 2 1")
    assert "SAVE10" not in await chat.text("alice", "/cart")


async def test_bad_coupons_are_refused_and_change_nothing(chat: Chat, clock: FakeClock) -> None:
    await chat.say(MERCHANT, "/coupon new BIG 10 min=500")
    await chat.say(MERCHANT, "/coupon new SOON 5 until=2026-11-22")
    await chat.say(MERCHANT, "/coupon new ONCE 5 per=1")
    await chat.say(MERCHANT, "/coupon new GONE 5")
    await chat.say(MERCHANT, "/coupon end GONE")
    assert "empty" in await chat.text("alice", "/coupon BIG")
    await chat.say("alice", "/add 1 1")
    before = await snapshot()
    assert "no coupon “NOPE”" in await chat.text("alice", "/coupon NOPE")
    assert "at least CN¥500.00" in await chat.text("alice", "/coupon BIG")
    assert "has ended" in await chat.text("alice", "/coupon GONE")
    clock.advance(days=2)
    assert "expired" in await chat.text("alice", "/coupon SOON")
    assert await snapshot() == before
    assert "Coupon" not in await chat.text("alice", "/cart")
    # per customer: used once, then refused
    await chat.say("alice", "/coupon ONCE")
    await buy(chat)
    await chat.say("alice", "/add 1 1")
    assert "used coupon ONCE already" in await chat.text("alice", "/coupon ONCE")
    # merchant typos
    before = await snapshot()
    assert "3 to 24" in await chat.text(MERCHANT, "/coupon new X 5")
    assert "less than 100" in await chat.text(MERCHANT, "/coupon new PCT 150%")
    assert "already" in await chat.text(MERCHANT, "/coupon new BIG 5")
    assert "not an option" in await chat.text(MERCHANT, "/coupon new NEW1 5 foo=1")
    assert "not a date" in await chat.text(MERCHANT, "/coupon new NEW1 5 until=tomorrow")
    assert "only the shop" in await chat.text("alice", "/coupon new MINE 5")
    assert await snapshot() == before


async def test_one_coupon_per_order_second_replaces(chat: Chat) -> None:
    await chat.say(MERCHANT, "/coupon new TEN 10")
    await chat.say(MERCHANT, "/coupon new PCT 15%")
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/coupon TEN")
    cart = await chat.text("alice", "/coupon PCT")
    assert "PCT applied instead of TEN" in cart
    assert "Coupon TEN" not in cart and "108.80" in cart  # 128 - 15% (19.20)
    assert "Coupon" not in (await chat.text("alice", "/coupon off")).replace("Coupon removed", "")


async def test_full_reduction_best_rule_then_coupon(chat: Chat) -> None:
    assert "spend CN¥200.00, save CN¥30.00" in await chat.text(MERCHANT, "/fullreduce 200 30")
    await chat.say(MERCHANT, "/fullreduce 100 10")
    assert "less than" in await chat.text(MERCHANT, "/fullreduce 50 60")
    await chat.say(MERCHANT, "/coupon new OFF5 5 min=200")
    await chat.say("alice", "/add 1 2")  # 256
    cart = await chat.text("alice", "/cart")
    assert "Spend CN¥200.00, save CN¥30.00" in cart and "226.00" in cart
    # min spend counts what is left after 满减: 226 >= 200
    assert "221.00" in await chat.text("alice", "/coupon OFF5")
    no = await buy(chat)
    order = await Order.get(order_no=no)
    kinds = [d.kind for d in await OrderDiscount.filter(order_id=order.id).order_by("id")]
    assert kinds == ["full_reduction", "coupon"] and order.total == Decimal("221.00")


async def test_flash_sale_card_limit_and_cap(chat: Chat, clock: FakeClock) -> None:
    made = await chat.text(MERCHANT, "/flash 1 99 now 2h cap=3 limit=2")
    assert "Flash sale #1" in made and "CN¥99.00" in made
    card = await chat.text("alice", "/product 1")
    assert "Flash sale CN¥99.00, ends in 2h 0m (3 left, 2 per customer)" in card
    clock.advance(minutes=45)
    assert "ends in 1h 15m" in await chat.text("alice", "/product 1")
    await chat.say("alice", "/add 1 3")  # 2 at the flash price, 1 at 128
    cart = await chat.text("alice", "/cart")
    assert "Flash sale: 西湖龙井 West Lake Longjing tea 250g × 2" in cart and "326.00" in cart
    await buy(chat)
    assert (await FlashSale.get(id=1)).sold == 2
    await chat.say("bob", "/add 1 2")  # one flash unit left in the cap
    assert "227.00" in await chat.text("bob", "/cart")  # 99 + 128
    no = await buy(chat, "bob")
    assert (await FlashSale.get(id=1)).sold == 3
    assert "Flash sale" not in await chat.text("carol", "/product 1")
    # a cancelled order gives its flash units back
    await chat.say("bob", f"/cancel {no}")
    assert (await FlashSale.get(id=1)).sold == 2
    assert "1 left" in await chat.text("carol", "/product 1")
    clock.advance(hours=2)
    assert "Flash sale" not in await chat.text("carol", "/product 1")


async def test_flash_list_brackets_are_the_readers(chat: Chat) -> None:
    await chat.say(MERCHANT, "/flash 1 99 now 2h cap=3 limit=2")
    await chat.say("alice", "/lang en")
    assert "CN¥99.00 (was CN¥128.00) ·" in await chat.text("alice", "/flash")
    await chat.say("alice", "/lang zh")
    assert "¥99.00 （原价 ¥128.00） ·" in await chat.text("alice", "/flash")


async def test_flash_refused_inputs_change_nothing(chat: Chat) -> None:
    before = await snapshot()
    assert "lower than the normal price" in await chat.text(
        MERCHANT, "/flash 1 200 now 2h cap=3 limit=1"
    )
    assert "Usage" in await chat.text(MERCHANT, "/flash 1 99 now 2h cap=3")
    assert "no product 99" in await chat.text(MERCHANT, "/flash 99 9 now 2h cap=3 limit=1")
    assert "future" in await chat.text(MERCHANT, "/flash 1 99 2020-01-01 2020-01-02 cap=3 limit=1")
    assert "only the shop" in await chat.text("alice", "/flash 1 99 now 2h cap=3 limit=1")
    assert await snapshot() == before
    await chat.say(MERCHANT, "/flash 1 99 now 2h cap=3 limit=1")
    assert "already" in await chat.text(MERCHANT, "/flash 1 90 now 1h cap=3 limit=1")
    assert "has ended" in await chat.text(MERCHANT, "/flash end 1")
    assert "no running" in await chat.text(MERCHANT, "/flash end 1")


async def test_price_change_between_confirm_and_place_refuses(chat: Chat) -> None:
    await chat.say(MERCHANT, "/coupon new TEN 10")
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/coupon TEN")
    assert "118.00" in await checkout(chat)
    await chat.say(MERCHANT, "/coupon end TEN")
    text = await chat.text("alice", "/checkout confirm")
    assert "nothing was ordered" in text and "128.00" in text
    assert await Order.all().count() == 0
    assert "placed" in await chat.text("alice", "/checkout confirm")


async def test_cancel_gives_coupon_back_once(chat: Chat) -> None:
    await chat.say(MERCHANT, "/coupon new ONE 10 uses=1")
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/coupon ONE")
    no = await buy(chat)
    await chat.say("bob", "/add 1 1")
    assert "used up" in await chat.text("bob", "/coupon ONE")
    await chat.say("alice", f"/cancel {no}")
    await chat.say("alice", f"/cancel {no}")
    assert (await Coupon.get(code="ONE")).used == 0
    assert "applied" in await chat.text("bob", "/coupon ONE")


async def test_partial_refunds_sum_exactly_to_the_total(chat: Chat) -> None:
    await chat.say(MERCHANT, "/fullreduce 300 33.33")
    await chat.say("alice", "/add 1 3")  # 384
    await chat.say("alice", "/add 2 1")  # 96 -> 480 - 33.33 = 446.67
    no = await buy(chat)
    order = await Order.get(order_no=no)
    assert order.total == Decimal("446.67")
    items = await OrderItem.filter(order_id=order.id).order_by("id")
    assert sum(i.discount for i in items) == Decimal("33.33")
    await chat.say(MERCHANT, f"/paid {no}")
    stock = (await Product.get(id=1)).stock
    text = await chat.text(MERCHANT, f"/refunditem {no} 1 1 broken")
    assert "Refunded" in text and "line 1" in text
    assert "Part of order" in chat.pushed("alice")
    assert (await Product.get(id=1)).stock == stock + 1
    # bad input changes nothing
    before = (await Order.get(id=order.id)).refunded_amount
    assert "lines 1 to 2" in await chat.text(MERCHANT, f"/refunditem {no} 3")
    assert "left to refund: 2." in await chat.text(MERCHANT, f"/refunditem {no} 1 5")
    assert "no order" in await chat.text(MERCHANT, "/refunditem NOSUCH12 1")
    assert "only the shop" in await chat.text("alice", f"/refunditem {no} 1")
    assert (await Order.get(id=order.id)).refunded_amount == before
    await chat.say(MERCHANT, f"/refunditem {no} 1 1")
    await chat.say(MERCHANT, f"/refunditem {no} 2")
    assert "refunded already" in await chat.text(MERCHANT, f"/refunditem {no} 2")
    last = await chat.text(MERCHANT, f"/refunditem {no} 1")
    assert "Nothing is left to refund" in last
    order = await Order.get(id=order.id)
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == order.total
    jobs = await RefundJob.filter(order_id=order.id).order_by("id")
    assert [j.key for j in jobs] == [f"order:{no}:{n}" for n in (1, 2, 3, 4)]
    assert sum(j.amount for j in jobs) == order.total
    assert (await Product.get(id=1)).stock == stock + 3


async def test_full_refund_after_partial_returns_the_rest_and_the_coupon(chat: Chat) -> None:
    await chat.say(MERCHANT, "/coupon new TEN 10 uses=1")
    await chat.say("alice", "/add 1 2")
    await chat.say("alice", "/coupon TEN")
    no = await buy(chat)  # 246
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/refunditem {no} 1 1")  # 123
    await chat.say("alice", f"/refund {no} changed my mind")
    await chat.say(MERCHANT, f"/refundok {no}")
    jobs = await RefundJob.filter(order__order_no=no).order_by("id")
    assert [(j.key, j.amount) for j in jobs] == [
        (f"order:{no}:1", Decimal("123.00")),
        (f"order:{no}", Decimal("123.00")),
    ]
    assert (await Coupon.get(code="TEN")).used == 0
    assert (await Product.get(id=1)).stock == 50


async def test_member_level_and_points_in_the_pipeline(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1 value=100 cap=50")
    await chat.say(MERCHANT, "/level add Gold 0 5")
    await chat.say("alice", "/add 1 1")  # no spend yet: Gold starts at 0
    await chat.say(MERCHANT, "/pointsadjust alice +1000 welcome")
    cart = await chat.text("alice", "/cart")
    assert "Member Gold, 5% off" in cart and "121.60" in cart  # 128 - 6.40
    before = await snapshot()
    assert "Your points: 1000," in await chat.text("alice", "/usepoints 5000")
    assert "not a whole number of points" in await chat.text("alice", "/usepoints lots")
    assert await snapshot() == before
    confirm = await checkout(chat)
    assert "/usepoints max" in confirm
    reconfirmed = await chat.text("alice", "/usepoints max")
    assert "1000 points" in reconfirmed and "111.60" in reconfirmed  # 10.00 off
    no = order_no(await chat.text("alice", "/checkout confirm"))
    order = await Order.get(order_no=no)
    kinds = [
        (d.kind, d.amount) for d in await OrderDiscount.filter(order_id=order.id).order_by("id")
    ]
    assert kinds == [("member", Decimal("6.40")), ("points", Decimal("10.00"))]
    assert order.total == Decimal("111.60")


async def test_discounts_never_take_the_total_below_one_cent(chat: Chat) -> None:
    await chat.say(MERCHANT, "/coupon new HUGE 500")
    await chat.say("alice", "/add 1 1")
    cart = await chat.text("alice", "/coupon HUGE")
    assert "Coupon HUGE  −CN¥127.99" in cart and "Total: CN¥0.01" in cart
    order = await Order.get(order_no=await buy(chat))
    assert order.total == Decimal("0.01") and order.discount_total == Decimal("127.99")


async def test_whole_only_payments_refuse_partial_refunds(chat: Chat) -> None:
    services = chat.runtime.services
    services.refunds.register("stars", services.refunds.gateways["manual"], partial=False)
    await chat.say("alice", "/add 1 2")
    no = await buy(chat)
    await services.payments.confirm(no, "stars", "charge-1", Decimal("256.00"))
    assert "only be refunded as a whole" in await chat.text(MERCHANT, f"/refunditem {no} 1 1")
    order = await Order.get(order_no=no)
    assert order.refunded_amount == 0 and await RefundJob.filter(order_id=order.id).count() == 0
