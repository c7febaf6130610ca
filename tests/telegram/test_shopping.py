"""End to end through the webhook: browse, add, check out, pay inside Telegram."""

from __future__ import annotations

from decimal import Decimal

from store.models import OrderStatus, Payment, Shop
from store.money import to_minor

from . import updates as u
from .conftest import Harness
from .flows import checkout_to_invoice

ALICE = 111


async def test_browse_add_checkout_pay(tg: Harness) -> None:
    await tg.send(u.message(ALICE, "/start"))
    welcome = tg.last_to(ALICE)
    await tg.press(ALICE, welcome, "Browse")
    # "Browse products" on the welcome turns that message into the catalog, in place
    catalog = tg.fake.successful("editMessageText")[-1]
    assert catalog.params["message_id"] == welcome.result["message_id"]
    invoice = await checkout_to_invoice(tg, ALICE)
    no = invoice["payload"]
    order = await tg.runtime.services.orders.get(no)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert invoice["chat_id"] == ALICE
    assert invoice["currency"] == "CNY"
    assert invoice["prices"] == [{"label": "Total", "amount": to_minor(order.total, "CNY")}]
    assert invoice["provider_token"] == "284685063:TEST:provider"
    assert no in invoice["title"]

    await tg.send(u.pre_checkout(ALICE, no, to_minor(order.total, "CNY")))
    answer = tg.fake.sent("answerPreCheckoutQuery")[-1]
    assert answer["ok"] is True and "error_message" not in answer

    tg.fake.clear()
    await tg.send(
        u.successful_payment(ALICE, no, to_minor(order.total, "CNY"), charge_id="tg-charge-A")
    )
    paid = await tg.runtime.services.orders.get(no)
    assert paid.status == OrderStatus.PAID
    assert paid.payment_method == "telegram"
    # the core's "order paid" notification reaches the buyer through the adapter
    note = tg.last_to(ALICE)
    assert no in note.params["text"]
    # without a file to upload, every call went as one JSON body (or in the webhook's answer)
    assert {c.content_type for c in tg.fake.calls} <= {"application/json", "webhook answer"}


async def test_catalog_paging_edits_in_place(tg: Harness) -> None:
    await tg.send(u.message(ALICE, "/catalog"))
    page1 = tg.last_to(ALICE)
    assert "&lt;id&gt;" in page1.params["text"]  # "/product <id>" escaped for HTML
    sent_before = len(tg.to_chat(ALICE))
    await tg.press(ALICE, page1, "Next")
    edits = tg.fake.sent("editMessageText")
    assert len(edits) == 1
    assert edits[0]["message_id"] == page1.result["message_id"]
    assert edits[0]["text"] != page1.params["text"]
    assert len(tg.to_chat(ALICE)) == sent_before  # no new message
    await tg.press(ALICE, page1, "Previous")
    assert len(tg.fake.sent("editMessageText")) == 2
    assert tg.fake.sent("answerCallbackQuery")  # every press stops the spinner


MERCHANT = 500


async def pictured_product(tg: Harness, picture: str) -> str:
    """The merchant opens Tea House and adds green tea with `picture`: its View button."""
    await tg.send(u.message(MERCHANT, "/newshop Tea House"))
    line = f"/addproduct Green tea | 12.50 | 5 | Fresh & green | | {picture}"
    await tg.send(u.message(MERCHANT, line))
    return tg.button(tg.last_to(MERCHANT), "View")["callback_data"]


async def test_product_photo_is_sent_with_send_photo(tg: Harness) -> None:
    view = await pictured_product(tg, "https://img.example.com/t.jpg")
    await tg.send(u.message(MERCHANT, view))
    photo = tg.last_to(MERCHANT, "sendPhoto")
    assert photo.params["photo"] == "https://img.example.com/t.jpg"
    assert "Green tea" in photo.params["caption"]
    assert "&amp;" in photo.params["caption"]
    assert {b["text"] for b in tg.buttons(photo)} >= {"Add to cart"}


async def test_product_whose_picture_telegram_cannot_fetch_still_shows(tg: Harness) -> None:
    """Telegram downloads a photo URL itself and refuses the whole sendPhoto when it can't
    (a dead link, not an image): the product's text and buttons must still reach the buyer."""
    view = await pictured_product(tg, "https://img.example.com/gone.jpg")
    shop = await Shop.get(name="Tea House")
    await tg.send(u.message(ALICE, f"/start shop_{shop.slug}"))
    tg.fake.fail("sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified")
    await tg.send(u.message(ALICE, view))
    assert [c.ok for c in tg.fake.attempts("sendPhoto")] == [False]
    card = tg.last_to(ALICE)
    assert "Green tea" in card.params["text"] and "&amp;" in card.params["text"]
    await tg.press(ALICE, card, "Add to cart")
    alice = await tg.runtime.services.people.identify("telegram", str(ALICE))
    cart = await tg.runtime.services.carts.get(alice.person_id, shop.id)
    assert [(line.product.title, line.quantity) for line in cart.lines] == [("Green tea", 1)]


async def test_payment_delivered_twice_pays_once(tg: Harness) -> None:
    invoice = await checkout_to_invoice(tg, ALICE)
    no = invoice["payload"]
    order = await tg.runtime.services.orders.get(no)
    amount = to_minor(order.total, "CNY")
    await tg.send(u.successful_payment(ALICE, no, amount, charge_id="tg-charge-B"))
    await tg.send(u.successful_payment(ALICE, no, amount, charge_id="tg-charge-B"))
    assert await Payment.filter(order_id=order.id).count() == 1
    assert (await tg.runtime.services.orders.get(no)).total == order.total == Decimal(amount) / 100
