"""/edit: a product's words and picture changed from chat, checked like the dashboard's form."""

from __future__ import annotations

from store.models import Product
from tests.conftest import MERCHANT, Chat
from tests.test_chat_flow import place_order


async def test_the_merchant_edits_a_product_from_chat(chat: Chat) -> None:
    await place_order(chat)  # 2 of #1 taken: 48 left
    saved = await chat.text(MERCHANT, "/edit 1 title 特级西湖龙井 250g")
    assert "Saved: #1 特级西湖龙井 250g" in saved and "stock 48" in saved
    await chat.say(MERCHANT, "/edit 1 描述 Picked before Qingming.")
    await chat.say(MERCHANT, "/edit 1 category 绿茶 Green tea")
    await chat.say(MERCHANT, "/edit 1 image https://example.com/tea.jpg")
    card = (await chat.say("alice", "/product 1"))[0]
    assert "特级西湖龙井 250g" in card.text and "Picked before Qingming." in card.text
    assert card.image == "https://example.com/tea.jpg"
    assert "特级西湖龙井" in await chat.text("alice", "/catalog 绿茶 Green tea")
    assert "特级西湖龙井" in await chat.text("alice", "/search qingming")  # search follows

    await chat.say(MERCHANT, "/edit 1 image off")
    await chat.say(MERCHANT, "/edit 1 description off")
    product = await Product.get(id=1)
    assert product.image_url is None and product.stock == 48 and str(product.price) == "128.00"
    assert product.description == ""  # not the word "off"


async def test_bad_edits_are_refused_and_change_nothing(chat: Chat) -> None:
    before = await Product.get(id=1)
    assert "Usage" in await chat.text(MERCHANT, "/edit 1 price 5")  # /price does that
    assert "Usage" in await chat.text(MERCHANT, "/edit 1")
    assert "title" in (await chat.text(MERCHANT, "/edit 1 title")).lower()
    assert "title" in (await chat.text(MERCHANT, "/edit 1 title off")).lower()  # not "off"
    assert "http(s) link" in await chat.text(MERCHANT, "/edit 1 image ftp://x/y.jpg")
    assert "no product 999" in await chat.text(MERCHANT, "/edit 999 title New")
    assert "only the shop's owner and staff" in await chat.text("alice", "/edit 1 title Mine")
    after = await Product.get(id=1)
    assert (after.title, after.description, after.image_url) == (
        before.title,
        before.description,
        before.image_url,
    )
