"""A customer's whole journey and the merchant's side of it, through the command engine."""

from __future__ import annotations

import re

import pytest

import store.orders
from store.models import CartItem, Order, OrderStatus, Product
from tests.conftest import MERCHANT, Chat


def order_no(text: str) -> str:
    found = re.search(r"Order ([2-9A-Z]{8}) placed", text)
    assert found, text
    return found.group(1)


async def place_order(chat: Chat, user: str = "alice", product: int = 1, qty: int = 2) -> str:
    await chat.say(user, f"/add {product} {qty}")
    await chat.say(user, "/checkout")
    await chat.say(user, "Zhang San")
    await chat.say(user, "13800138000")
    await chat.say(user, "1 Wensan Road, Hangzhou")
    return order_no(await chat.text(user, "/checkout confirm"))


async def test_browse_search_and_product_card(chat: Chat) -> None:
    text = await chat.text("alice", "/catalog")
    assert "#1 西湖龙井" in text and "Page 1 of 2" in text
    page2 = await chat.say("alice", "/catalog 2", button=True)
    assert "#6" in page2[0].text and page2[0].edit is True
    tea = await chat.text("alice", "/catalog #1")
    assert "Longjing" in tea and "nougat" not in tea
    assert "Longjing" in await chat.text("alice", "/search longjing")
    assert "Longjing" in await chat.text("alice", "搜索 龙井")  # Chinese alias, no slash
    card = (await chat.say("alice", "/product 1"))[0]
    assert "CN¥128.00" in card.text
    assert any(b.payload == "/add 1 1" for row in card.buttons for b in row)


async def test_checkout_reserves_stock_and_merchant_ships(chat: Chat) -> None:
    no = await place_order(chat)
    assert (await Product.get(id=1)).stock == 48
    assert "New order " + no in chat.pushed(MERCHANT)
    assert "awaiting payment" in await chat.text("alice", f"/order {no}")

    assert "paid" in await chat.text(MERCHANT, f"/paid {no}")
    assert "received" in chat.pushed("alice")
    await chat.say(MERCHANT, f"/ship {no} SF SF123456")
    assert "SF123456" in chat.pushed("alice")
    assert "shipped" in await chat.text("alice", f"/order {no}")
    assert "completed" in await chat.text("alice", f"/received {no}")
    assert (await Order.get(order_no=no)).status == OrderStatus.COMPLETED


async def test_checkout_offers_last_address(chat: Chat) -> None:
    await place_order(chat)
    await chat.say("alice", "/add 2")
    first = await chat.say("alice", "/checkout")
    assert any(b.payload == "/checkout last" for row in first[0].buttons for b in row)
    confirm = await chat.text("alice", "/checkout last")
    assert "Zhang San" in confirm
    assert "placed" in await chat.text("alice", "/checkout confirm")


async def test_leaving_checkout_keeps_the_cart(chat: Chat) -> None:
    await chat.say("alice", "/add 3")
    await chat.say("alice", "/checkout")
    assert "Checkout left" in await chat.text("alice", "/cancel")
    assert "Pu'er" in await chat.text("alice", "/cart")
    assert await Order.all().count() == 0


async def test_cancel_typed_without_slash_leaves_the_questions(chat: Chat) -> None:
    """取消 or cancel alone, without its slash, at a question leaves the checkout: it is not
    taken as the recipient's name, phone or address."""
    await chat.say("alice", "/add 3")
    answers = ["Zhang San", "13800138000"]
    for word, answered in (("取消", 0), ("cancel", 1), ("取消订单", 2)):
        await chat.say("alice", "/checkout")
        for answer in answers[:answered]:  # at the name, the phone, the address question
            await chat.say("alice", answer)
        assert "Checkout left" in await chat.text("alice", word)
        assert "didn't understand “Li Si”" in await chat.text("alice", "Li Si")  # no flow now
    await chat.say("alice", "/checkout")
    assert "phone" in await chat.text("alice", "Cancel Li")  # a name with more words is a name
    assert await Order.all().count() == 0


async def test_customer_cancel_releases_stock(chat: Chat) -> None:
    no = await place_order(chat, qty=3)
    assert (await Product.get(id=1)).stock == 47
    assert "cancelled" in await chat.text("alice", f"/cancel {no}")
    assert (await Product.get(id=1)).stock == 50
    # cancelling again changes nothing and says why
    assert "can't" in await chat.text("alice", f"/cancel {no}")
    assert (await Product.get(id=1)).stock == 50


async def test_refund_requested_rejected_then_approved(chat: Chat) -> None:
    no = await place_order(chat)
    await chat.say(MERCHANT, f"/paid {no}")
    assert "requested" in await chat.text("alice", f"/refund {no} wrong size")
    assert "wrong size" in chat.pushed(MERCHANT)
    await chat.say(MERCHANT, f"/refundno {no} already packed")
    assert "already packed" in chat.pushed("alice")
    assert (await Order.get(order_no=no)).status == OrderStatus.PAID
    await chat.say("alice", f"/refund {no}")
    await chat.say(MERCHANT, f"/refundok {no}")
    assert (await Order.get(order_no=no)).status == OrderStatus.REFUNDED
    assert (await Product.get(id=1)).stock == 50
    assert "refunded" in chat.pushed("alice")


async def test_unpaid_orders_are_cancelled_by_the_sweep(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    no = await place_order(chat)
    services = chat.runtime.services
    assert await services.orders.sweep() == (0, 0)
    clock.advance(minutes=31)
    assert await services.orders.sweep() == (1, 0)
    assert await services.orders.sweep() == (0, 0)  # idempotent
    assert (await Order.get(order_no=no)).status == OrderStatus.CANCELLED
    assert (await Product.get(id=1)).stock == 50
    assert "not paid in time" in chat.pushed("alice")


async def test_shipped_orders_complete_after_the_shop_setting(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    no = await place_order(chat)
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, "/settings autocomplete 3")
    await chat.say(MERCHANT, f"/ship {no} SF 1")
    clock.advance(days=2)
    assert await chat.runtime.services.orders.sweep() == (0, 0)
    clock.advance(days=1, minutes=1)
    assert await chat.runtime.services.orders.sweep() == (0, 1)
    assert (await Order.get(order_no=no)).status == OrderStatus.COMPLETED


async def test_language_switch(chat: Chat) -> None:
    assert "English" in await chat.text("alice", "/lang en")
    zh = await chat.text("alice", "/lang zh")
    assert re.search(r"[\u4e00-\u9fff]", zh)
    assert "购物车" in await chat.text("alice", "/cart")


async def test_merchant_manages_products(chat: Chat) -> None:
    saved = await chat.text(MERCHANT, "/addproduct 绿茶 Green tea | 19.9 | 5 | fresh | 茶叶 Tea")
    pid = int(re.search(r"#(\d+)", saved).group(1))  # type: ignore[union-attr]
    assert "19.90" in saved
    await chat.say(MERCHANT, f"/price {pid} 21")
    await chat.say(MERCHANT, f"/stock {pid} 7")
    product = await Product.get(id=pid)
    assert (str(product.price), product.stock) == ("21.00", 7)
    await chat.say(MERCHANT, f"/hide {pid}")
    assert "no product" in await chat.text("alice", f"/product {pid}")
    await chat.say(MERCHANT, f"/show {pid}")
    assert "Green tea" in await chat.text("alice", f"/product {pid}")


async def test_staff_can_work_and_owner_decides(chat: Chat) -> None:
    await chat.say("bob", "/start")
    assert "only the shop's owner and staff" in await chat.text("bob", "/sales")
    await chat.say(MERCHANT, "/staff add bob")
    assert "No orders here." in await chat.text("bob", "/sales")
    assert "only the shop's owner can" in await chat.text("bob", "/staff add carol")
    await chat.say(MERCHANT, "/staff remove bob")
    assert "only" in await chat.text("bob", "/sales")


async def test_sales_pages_through_every_order(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    # /sales showed the newest page only: the oldest orders to ship were out of sight.
    monkeypatch.setattr(store.orders, "SALES_PAGE_SIZE", 2)
    nos = [await place_order(chat, qty=1) for _ in range(3)]
    first = (await chat.say(MERCHANT, "/sales pending"))[0]
    assert nos[2] in first.text and nos[1] in first.text and nos[0] not in first.text
    assert "Page 1 of 2" in first.text
    payloads = [b.payload for row in first.buttons for b in row]
    assert "/sales pending 2" in payloads
    second = (await chat.say(MERCHANT, "/sales pending 2", button=True))[0]
    assert nos[0] in second.text and nos[1] not in second.text and "Page 2 of 2" in second.text
    assert "/sales pending 1" in [b.payload for row in second.buttons for b in row]
    assert nos[0] in await chat.text(MERCHANT, "/sales 2")  # without a status too
    assert "Page" not in await chat.text(MERCHANT, "/sales paid")  # one page: no pager
    assert "Usage" in await chat.text(MERCHANT, "/sales pending paid")


async def test_new_shop_and_shop_choice(chat: Chat) -> None:
    created = await chat.text("carol", "/newshop Carol's Cakes")
    assert "carol-s-cakes" in created
    await chat.say("carol", "/addproduct Cheesecake | 30 | 4")
    assert "Cheesecake" in await chat.text("carol", "/catalog")
    # alice is still in the demo shop until she chooses
    assert "Cheesecake" not in await chat.text("alice", "/catalog")
    await chat.say("alice", "/start shop_carol-s-cakes")
    assert "Cheesecake" in await chat.text("alice", "/catalog")
    # the merchant of another shop has no power here
    assert "only" in await chat.text(MERCHANT, "/shop carol-s-cakes") + await chat.text(
        MERCHANT, "/price 10 1"
    )
    # a shop is chosen by its link name or by its whole name, in any case
    await chat.say("bob", "/shop carol's cakes")
    assert "Cheesecake" in await chat.text("bob", "/catalog")
    await chat.say("bob", "/shop DEMO")
    assert "Cheesecake" not in await chat.text("bob", "/catalog")
    for unknown in ("Carol", "x" * 100):
        assert "no such shop" in await chat.text("bob", f"/shop {unknown}")


async def test_group_binding_and_private_replies(chat: Chat) -> None:
    assert await chat.say("alice", "hello everyone", group="fans") == []
    assert "only" in await chat.text("alice", "/bindgroup", group="fans")
    assert "belongs to" in await chat.text(MERCHANT, "/bindgroup", group="fans")
    catalog = await chat.say("alice", "/catalog", group="fans")
    assert catalog and not catalog[0].private
    orders = await chat.say("alice", "/orders", group="fans")
    assert orders and all(r.private for r in orders)


async def test_unknown_command_suggests_close_ones(chat: Chat) -> None:
    text = await chat.text("alice", "/catlog")
    assert "catlog" in text and "/catalog" in text
    assert "/cart" in await chat.text("alice", "/carts")


async def test_a_sold_out_product_says_so_everywhere_and_offers_no_add(chat: Chat) -> None:
    await chat.say(MERCHANT, "/stock 9 0")
    assert "porcelain cup — CN¥45.00 (sold out)" in await chat.text("alice", "/catalog 2")
    assert "porcelain cup — CN¥45.00 (sold out)" in await chat.text("alice", "/search cup")
    card = (await chat.say("alice", "/product 9"))[0]
    assert "Sold out" in card.text
    assert not any(b.payload.startswith("/add") for row in card.buttons for b in row)
    await chat.say(MERCHANT, "/stock 9 2")
    card = (await chat.say("alice", "/product 9"))[0]
    assert any(b.payload == "/add 9 1" for row in card.buttons for b in row)
    assert "(sold out)" not in await chat.text("alice", "/search cup")


async def test_catalog_and_search_pages_show_every_change_at_once_in_each_readers_language(
    chat: Chat,
) -> None:
    page = await chat.text("alice", "/catalog")
    assert await chat.text("bob", "/catalog") == page  # one page for everyone
    await chat.say("carol", "/lang zh")
    in_chinese = await chat.text("carol", "/catalog")
    assert "all products" in page and "all products" not in in_chinese
    found = await chat.text("alice", "/search tea")
    assert "Found" in found and "Found" not in await chat.text("carol", "/search tea")
    assert "“Tea”" in await chat.text("bob", "/search Tea")  # as it was typed
    await chat.say(MERCHANT, "/price 1 99")
    assert "Longjing tea 250g — CN¥99.00" in await chat.text("alice", "/catalog")
    assert "99.00" in await chat.text("carol", "/catalog")
    await chat.say(MERCHANT, "/stock 1 0")
    assert "CN¥99.00 (sold out)" in await chat.text("bob", "/catalog")
    await chat.say(MERCHANT, "/addproduct 花茶 Flower tea | 20 | 5 | fresh | 花茶 Flowers")
    (shown,) = await chat.say("alice", "/catalog")
    assert "花茶 Flowers" in [b.label for row in shown.buttons for b in row]


async def test_the_full_width_space_of_a_chinese_keyboard_ends_the_command_word(
    chat: Chat,
) -> None:
    """加购　1 typed with the full-width space (U+3000) is 加购 1, not an unknown command."""
    assert "Added 西湖龙井" in await chat.text("alice", "加购\u30001\u30002")
    assert "× 2" in await chat.text("alice", "/cart\u3000")
    assert "Longjing" in await chat.text("alice", "/product\u30001")
    assert "Longjing" in await chat.text("alice", "搜索\u3000龙井")


async def test_lang_takes_each_languages_name_in_chinese_too(chat: Chat) -> None:
    """语言 中文 worked, 语言 英文 did not: both names, and zh-CN, switch."""
    assert "中文请发" in await chat.text("alice", "语言 英文")  # the English answer
    assert "For English" in await chat.text("alice", "/lang zh-CN")  # the Chinese answer
    assert "中文请发" in await chat.text("alice", "语言 英语")
    assert "For English" in await chat.text("alice", "语言 中文")
    assert "用法" in await chat.text("alice", "/lang fr")


async def test_a_category_by_a_word_of_its_name(chat: Chat) -> None:
    """The demo's categories are named like 茶叶 Tea: a customer types 茶叶, tea or #茶叶."""
    for typed in ("茶叶", "tea", "#茶叶", "茶叶 TEA", "商品 茶叶"):
        text = await chat.text("alice", typed if typed.startswith("商品") else f"/catalog {typed}")
        assert "Longjing" in text and "nougat" not in text, typed
    assert "no category" in await chat.text("alice", "/catalog 茶")  # a word, not a piece
    await chat.say(MERCHANT, "/addproduct Mug | 30 | 5 | white | 茶具 Tea things")
    assert "no category" in await chat.text("alice", "/catalog tea")  # two have it: which?
    assert "Longjing" in await chat.text("alice", "/catalog 茶叶")


async def test_fields_may_be_separated_by_the_full_width_bar(chat: Chat) -> None:
    # A Chinese keyboard types ｜, not |: the merchant should not have to switch keyboards.
    assert "Saved: #10 红茶 — CN¥38.00, stock 20" in await chat.text(
        MERCHANT, "/addproduct 红茶｜38｜20"
    )
    # With a | there, ｜ is part of the text.
    gift = await chat.text(MERCHANT, "/addproduct 红茶｜礼盒 | 58 | 5")
    assert "#11 红茶｜礼盒 — CN¥58.00" in gift
    assert "saved" in await chat.text(MERCHANT, "/faq add 几天发货？｜两天内")
    assert "两天内" in await chat.text("alice", "/faq 1")
    assert "新品上架" in await chat.text(MERCHANT, "/broadcast all｜新品上架")


async def test_cancelling_a_paid_order_points_to_a_refund(chat: Chat) -> None:
    no = await place_order(chat)
    await chat.say(MERCHANT, f"/paid {no}")
    text = await chat.text("alice", f"/cancel {no}")
    assert f"Order {no} is paid already, so it can't be cancelled" in text, text
    assert f"/refund {no}" in text
    await chat.say("alice", "/lang zh")
    text = await chat.text("alice", f"/cancel {no}")
    assert f"订单 {no} 已经付款，不能取消" in text, text
    assert (await Order.get(order_no=no)).status == OrderStatus.PAID


async def test_a_note_for_the_shop_goes_with_the_order(chat: Chat) -> None:
    assert "when checkout asks you to confirm" in await chat.text("alice", "/note after 6 pm")
    await chat.say("alice", "/add 1")
    await chat.say("alice", "/checkout")
    for answer in ("Zhang San", "13800138000", "1 Wensan Road, Hangzhou"):
        confirm = await chat.text("alice", answer)
    assert "A note for the shop? Send /note <text>." in confirm
    assert "at most 300 characters" in await chat.text("alice", "/note " + "x" * 301)
    shown = await chat.text("alice", "/note Please deliver after 6 pm")
    assert "Note for the shop: Please deliver after 6 pm" in shown and "Please check" in shown
    no = order_no(await chat.text("alice", "/checkout confirm"))
    assert (await Order.get(order_no=no)).note == "Please deliver after 6 pm"
    assert "Customer's note: Please deliver after 6 pm" in await chat.text(MERCHANT, f"/sale {no}")

    await chat.say("alice", "/add 1")
    await chat.say("alice", "/checkout last")
    await chat.say("alice", "/note gift wrap")
    assert "Note for the shop" not in await chat.text("alice", "/note off")
    no = order_no(await chat.text("alice", "/checkout confirm"))
    assert (await Order.get(order_no=no)).note == ""


async def test_buy_again_puts_what_can_still_be_bought_in_the_cart(chat: Chat) -> None:
    await chat.say("alice", "/add 2 1")
    no = await place_order(chat, qty=2)  # 2 × #1 and 1 × #2
    await chat.say(MERCHANT, "/hide 2")
    await chat.say(MERCHANT, "/stock 1 1")  # one left of #1: two can't go in
    order = (await chat.say("alice", f"/order {no}"))[0]
    assert not any(b.payload == f"/reorder {no}" for row in order.buttons for b in row)
    await chat.say(MERCHANT, f"/paid {no}")
    order = (await chat.say("alice", f"/order {no}"))[0]
    assert any(b.payload == f"/reorder {no}" for row in order.buttons for b in row)

    again = await chat.text("alice", f"/reorder {no}")
    assert "Not added, 安溪铁观音 Tieguanyin oolong 200g: It is no longer sold." in again
    assert "Not added, 西湖龙井 West Lake Longjing tea 250g: Sorry, not enough stock" in again
    assert await CartItem.all().count() == 0

    await chat.say(MERCHANT, "/stock 1 50")
    again = await chat.text("alice", f"/reorder {no}")
    assert "In your cart again: 西湖龙井 West Lake Longjing tea 250g" in again
    assert "× 2" in again
    assert "no order" in (await chat.text("bob", f"/reorder {no}")).lower()  # not bob's


async def test_the_shop_hears_when_an_order_leaves_few_units_or_none(chat: Chat) -> None:
    await chat.say(MERCHANT, "/stock 1 7")
    await place_order(chat, qty=2)  # 5 left
    assert "Running low: 西湖龙井 West Lake Longjing tea 250g, 5 left (/stock 1 <n>)" in (
        chat.pushed(MERCHANT)
    )
    await place_order(chat, "bob", product=2, qty=1)  # plenty of #2 left
    assert "Running low" not in chat.pushed(MERCHANT)
    await place_order(chat, "carol", qty=5)
    assert "Sold out now: 西湖龙井 West Lake Longjing tea 250g" in chat.pushed(MERCHANT)


async def test_typing_the_confirm_buttons_words_places_the_order(chat: Chat) -> None:
    """WeChat shows no button at the confirmation: "确认下单", as the button says, places it."""
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/checkout")
    for answer in ("Zhang San", "13800138000", "1 Wensan Road, Hangzhou"):
        await chat.say("alice", answer)
    asked_again = await chat.text("alice", "hmm")  # anything else asks again, places nothing
    assert "Confirm order" in asked_again and await Order.all().count() == 0
    assert "placed" in await chat.text("alice", "确认下单！")
    assert await Order.all().count() == 1


async def test_buy_again_from_another_shop_says_the_chat_moved_there(chat: Chat) -> None:
    no = await place_order(chat)  # in the demo shop
    await chat.say("carol", "/newshop Carol's Cakes")
    await chat.say("alice", "/shop carol-s-cakes")
    again = await chat.text("alice", f"/reorder {no}")
    assert "You are in 微店小铺 Demo Shop now, where this order was placed." in again
    assert "In your cart again" in again
    assert "You are in" not in await chat.text("alice", f"/reorder {no}")  # already there
