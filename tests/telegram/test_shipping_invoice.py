"""The invoice of an order with shipping: its lines sum to exactly what is charged."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from store.demo import DEMO_SLUG
from store.models import Order, OrderStatus
from store.money import to_minor

from . import updates as u
from .conftest import Harness
from .flows import checkout_to_invoice

ALICE = 111


async def _charge_shipping(tg: Harness, fee: str) -> None:
    shops = tg.runtime.services.shops
    shop = await shops.by_slug(DEMO_SLUG)
    await shops.save_settings(shop.id, {"shipping_fee": Decimal(fee)})


def _prices(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    prices = invoice["prices"]
    return json.loads(prices) if isinstance(prices, str) else prices


async def test_invoice_has_a_shipping_line_and_sums_to_the_total(tg: Harness) -> None:
    await _charge_shipping(tg, "12.50")
    invoice = await checkout_to_invoice(tg, ALICE)
    order = await Order.get(order_no=invoice["payload"])
    assert order.shipping_fee == Decimal("12.50")
    prices = _prices(invoice)
    goods_only = to_minor(order.total - order.shipping_fee, "CNY")
    assert [p["amount"] for p in prices] == [goods_only, 1250]
    assert sum(p["amount"] for p in prices) == to_minor(order.total, "CNY")
    assert [p["label"] for p in prices] == ["Goods", "Shipping"]

    # What Telegram charges is the total with shipping; goods alone are refused.
    await tg.send(u.successful_payment(ALICE, order.order_no, goods_only, charge_id="short"))
    assert (await Order.get(id=order.id)).status == OrderStatus.PENDING_PAYMENT
    total = to_minor(order.total, "CNY")
    await tg.send(u.successful_payment(ALICE, order.order_no, total, charge_id="whole"))
    assert (await Order.get(id=order.id)).status == OrderStatus.PAID

    # Free shipping again: one line, the total, as before shipping existed.
    await _charge_shipping(tg, "0")
    invoice = await checkout_to_invoice(tg, ALICE)
    order = await Order.get(order_no=invoice["payload"])
    prices = _prices(invoice)
    assert len(prices) == 1 and prices[0]["amount"] == to_minor(order.total, "CNY")
