"""Shipping on the dashboard: the two settings fields, and the order page's shipping line."""

from __future__ import annotations

import re
from decimal import Decimal

from store.models import Shop
from tests.conftest import MERCHANT
from tests.dashboard.conftest import Dashboard
from tests.test_chat_flow import place_order

FORM = {"unpaid_timeout_minutes": "30", "autocomplete_days": "10", "locale": "zh_CN"}


def field_value(body: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="text" value="([^"]*)"', body)
    assert found, name
    return found.group(1)


async def test_settings_form_saves_shipping_or_errors_beside_the_field(dash: Dashboard) -> None:
    await dash.login()
    _, body = await dash.get("/dashboard/settings")
    assert (field_value(body, "shipping_fee"), field_value(body, "free_shipping_over")) == ("0", "")

    bad = FORM | {"shipping_fee": "ten", "free_shipping_over": "-1"}
    status, body, _ = await dash.post("/dashboard/settings", bad)
    assert status == 400
    assert 'id="err-shipping_fee"' in body and 'id="err-free_shipping_over"' in body
    shop = await Shop.get(slug="demo")
    assert (shop.shipping_fee, shop.free_shipping_over) == (0, None)

    good = FORM | {"shipping_fee": "8.5", "free_shipping_over": "99"}
    status, _, location = await dash.post("/dashboard/settings", good)
    assert status == 303 and location.endswith("done=saved")
    shop = await Shop.get(slug="demo")
    assert (shop.shipping_fee, shop.free_shipping_over) == (Decimal("8.50"), Decimal("99.00"))
    _, body = await dash.get("/dashboard/settings")
    assert (field_value(body, "shipping_fee"), field_value(body, "free_shipping_over")) == (
        "8.5",
        "99",
    )
    assert "每单运费：¥8.50" in await dash.chat.text(MERCHANT, "/settings")  # zh_CN now

    status, _, _ = await dash.post("/dashboard/settings", FORM)  # empty: free, no threshold
    shop = await Shop.get(slug="demo")
    assert status == 303 and (shop.shipping_fee, shop.free_shipping_over) == (0, None)


async def test_order_page_shows_the_shipping_line(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/settings shipping 10")
    no = await place_order(dash.chat, "alice", product=1, qty=1)
    await dash.login()
    _, body = await dash.get(f"/dashboard/orders/{no}")
    line = body.split('id="shipping"')[1].split("</tr>")[0]
    assert "Shipping" in line or "运费" in line
    assert "10.00" in line and "138.00" in body


async def test_an_order_refunded_but_its_shipping_says_how_much_came_back(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/settings shipping 10")
    no = await place_order(dash.chat, "alice", product=1, qty=1)
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say(MERCHANT, f"/ship {no} SF SF1")
    await dash.chat.say(MERCHANT, f"/refunditem {no} 1")  # the goods; the shipping is kept
    await dash.login()
    _, body = await dash.get(f"/dashboard/orders/{no}")
    line = body.split('id="refunded-in-all"')[1].split("</tr>")[0]
    assert "128.00" in line and "138.00" not in line
    _, body = await dash.get("/dashboard/orders")  # the list too, under the total
    assert "CN¥128.00 refunded" in body.split(f'id="order-{no}"')[1].split("</tr>")[0]


async def test_how_to_pay_is_set_on_the_settings_form_as_in_chat(dash: Dashboard) -> None:
    """/settings pay had no field on the dashboard: a shop run from it could not say how."""
    await dash.chat.say(MERCHANT, "/settings pay 微信 wx_shop")
    no = await place_order(dash.chat, "alice", product=1, qty=1)  # awaiting payment
    await dash.login()
    _, body = await dash.get("/dashboard/settings")
    assert (
        '<textarea id="f-pay_note" name="pay_note"' in body and ">微信 wx_shop</textarea>" in body
    )

    status, _, _ = await dash.post("/dashboard/settings", FORM)  # an older form: kept as it is
    assert status == 303 and (await Shop.get(slug="demo")).pay_note == "微信 wx_shop"

    too_long = FORM | {"pay_note": "x" * 301}
    status, body, _ = await dash.post("/dashboard/settings", too_long)
    assert status == 400 and 'id="err-pay_note"' in body
    assert (await Shop.get(slug="demo")).pay_note == "微信 wx_shop"

    status, _, _ = await dash.post(
        "/dashboard/settings", FORM | {"pay_note": "支付宝 a@b.cn\r\n备注订单号"}
    )
    assert status == 303 and (await Shop.get(slug="demo")).pay_note == "支付宝 a@b.cn\n备注订单号"
    assert "支付宝 a@b.cn\n备注订单号" in await dash.chat.text("alice", f"/order {no}")
