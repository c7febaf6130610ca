"""WeChat Pay charges the total with shipping; item refunds return goods, the rest returns it."""

from __future__ import annotations

from decimal import Decimal

from store.demo import DEMO_SLUG
from store.models import Order, OrderStatus
from store.orders import Contact

from .conftest import Harness
from .test_pay import PAYER, notify_body, post_notify, status_of
from .test_retries import checkout_until_confirm


async def _charge_shipping(wx: Harness, fee: str) -> None:
    shops = wx.runtime.services.shops
    shop = await shops.by_slug(DEMO_SLUG)
    await shops.save_settings(shop.id, {"shipping_fee": Decimal(fee)})


async def test_the_unified_order_charges_goods_and_shipping(wx: Harness) -> None:
    await _charge_shipping(wx, "6")
    openid = "oChatBuyer00000000000000002"
    await checkout_until_confirm(wx, openid)
    await wx.say("/checkout confirm", openid=openid)
    order = await Order.get(person__identities__platform_user_id=openid)
    assert (order.shipping_fee, order.total) == (Decimal("6.00"), Decimal("134.00"))
    (call,) = wx.fake.calls_to("/pay/unifiedorder")
    assert call.body["total_fee"] == "13400"  # ¥128.00 + ¥6.00 shipping, in fen


async def test_notify_amount_check_and_refunds_with_shipping(wx: Harness) -> None:
    await _charge_shipping(wx, "6")
    services = wx.runtime.services
    shop = await services.shops.by_slug(DEMO_SLUG)
    await wx.say("/help", openid=PAYER)
    ident = await services.people.identify("wechat", PAYER, private=True)
    await services.carts.add(ident.person_id, shop.id, 1, 2)  # type: ignore[attr-defined]
    order = await services.orders.place(
        ident.person_id,  # type: ignore[attr-defined]
        shop.id,
        Contact("张三", "13800138000", "上海市浦东新区世纪大道100号"),
    )
    assert order.total == Decimal("262.00")
    await post_notify(wx, notify_body(order, total_fee=25600))  # the goods without shipping
    assert await status_of(order) == OrderStatus.PENDING_PAYMENT
    await post_notify(wx, notify_body(order))  # 26200
    assert await status_of(order) == OrderStatus.PAID

    orders = services.orders
    await orders.ship(await orders.get(order.order_no), "SF", "SF1")
    await orders.refund_items(await orders.get(order.order_no), 1, 1)  # one tin: goods only
    order = await orders.request_refund(await orders.get(order.order_no), "不想要了")
    await orders.approve_refund(order)  # the rest: the other tin and the shipping
    await services.refunds.process_due()
    await wx.settle()
    calls = wx.fake.calls_to("/secapi/pay/refund")
    refunds = sorted((c.body["out_refund_no"], c.body["refund_fee"]) for c in calls)
    assert refunds == [(f"{order.order_no}R", "13400"), (f"{order.order_no}R1", "12800")]
    assert {c.body["total_fee"] for c in calls} == {"26200"}
