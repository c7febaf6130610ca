"""Multi-step conversations the tests share, driven through the webhook like a person."""

from __future__ import annotations

from typing import Any

from store.demo import DEMO_SLUG

from . import updates as u
from .conftest import Harness


async def checkout_to_invoice(tg: Harness, user_id: int) -> dict[str, Any]:
    """Browse, add the first product, check out; returns the sendInvoice parameters."""
    await tg.send(u.message(user_id, "/catalog"))
    catalog = tg.last_to(user_id)
    product_button = next(
        b for b in tg.buttons(catalog) if b.get("callback_data", "").startswith("/product ")
    )
    await tg.press(user_id, catalog, product_button["text"])
    product = tg.last_to(user_id, "sendMessage", "sendPhoto")
    await tg.press(user_id, product, "Add to cart")
    cart = tg.last_to(user_id)
    await tg.press(user_id, cart, "Check out")
    for answer in ("Alice Zhang", "13800138000", "1 Tea Street, Hangzhou"):
        await tg.send(u.message(user_id, answer))
    confirm = tg.last_to(user_id)
    await tg.press(user_id, confirm, "Confirm")
    invoices = [p for p in tg.fake.sent("sendInvoice") if p["chat_id"] == user_id]
    assert invoices, [c.method for c in tg.fake.calls]
    # the bot takes payments, so the order points to the invoice, not to a transfer
    placed = tg.last_to(user_id, "sendMessage").params["text"]
    assert "placed" in placed and "To pay, use the payment below." in placed, placed
    return invoices[-1]


async def make_demo_staff(tg: Harness, user_id: int) -> None:
    """A Telegram user joins the demo shop's staff (added by its owner)."""
    services = tg.runtime.services
    shop = await services.shops.by_slug(DEMO_SLUG)
    owner = (await services.shops.staff(shop.id))[0].person
    await tg.send(u.message(user_id, "/help", name="Mia"))
    ident = await services.people.identify("telegram", str(user_id))
    person = await services.people.person(ident.person_id)  # type: ignore[attr-defined]
    await services.shops.add_staff(shop.id, owner.id, person)
