"""WeChat Pay v2: offers in chat, the JSAPI page, notifies (exactly once), queries, refunds."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import xmltodict

from bot.wechat.checkout import QUERY_INTERVAL
from store.demo import DEMO_SLUG
from store.models import (
    Order,
    OrderStatus,
    Payment,
    Person,
    RefundJob,
    RefundStatus,
    Role,
    ShopMember,
)
from store.orders import Contact
from tests.conftest import FakeClock
from tests.pg_cluster import Cluster

from .conftest import APP_ID, MCH_ID, PAY_KEY, PUBLIC_URL, Harness, HarnessFactory
from .test_retries import checkout_until_confirm
from .wire import pay_notify

PAYER = "oPayer000000000000000000001"


async def place_order(wx: Harness, openid: str = PAYER, product_id: int = 1) -> Order:
    services = wx.runtime.services
    shop = await services.shops.by_slug(DEMO_SLUG)
    await wx.say("/help", openid=openid)  # a person who chats with the "shop" account
    ident = await services.people.identify("wechat", openid, private=True)
    await services.carts.add(ident.person_id, shop.id, product_id, 1)  # type: ignore[attr-defined]
    return await services.orders.place(
        ident.person_id,
        shop.id,  # type: ignore[attr-defined]
        Contact("张三", "13800138000", "上海市浦东新区世纪大道100号"),
    )


def notify_body(
    order: Order,
    *,
    total_fee: int | None = None,
    key: str = PAY_KEY,
    transaction_id: str = "4200000123202611220000000001",
    **kw: str,
) -> str:
    values = {
        "appid": APP_ID,
        "mch_id": MCH_ID,
        "openid": PAYER,
        "out_trade_no": order.order_no,
        "transaction_id": transaction_id,
        "total_fee": int(order.total * 100) if total_fee is None else total_fee,
    } | kw
    return pay_notify(key, **values)


async def post_notify(wx: Harness, body: str) -> tuple[int, dict[str, str]]:
    resp = await wx.client.post(
        "/wechat/pay/notify", data=body, headers={"Content-Type": "text/xml"}
    )
    return resp.status, xmltodict.parse(await resp.text())["xml"]


async def status_of(order: Order) -> str:
    await order.refresh_from_db()
    return str(order.status)


async def test_chat_checkout_offers_native_pay_and_the_pay_page(wx: Harness) -> None:
    openid = "oChatBuyer00000000000000001"
    await checkout_until_confirm(wx, openid)
    reply = await wx.say("/checkout confirm", openid=openid)
    order = await Order.get(person__identities__platform_user_id=openid)
    assert reply.type == "text"
    assert "付款：点下面的付款入口即可。" in reply.content  # not "transfer, if there is none"
    assert f'<a href="{PUBLIC_URL}/pay/{order.order_no}">' in reply.content
    assert '<a href="weixin://wxpay/bizpayurl?pr=' in reply.content
    (call,) = wx.fake.calls_to("/pay/unifiedorder")
    assert call.body["trade_type"] == "NATIVE"
    assert call.body["out_trade_no"] == order.order_no
    assert call.body["total_fee"] == "12800"  # ¥128.00 in fen
    assert call.body["spbill_create_ip"] == "203.0.113.7"
    assert call.body["notify_url"] == f"{PUBLIC_URL}/wechat/pay/notify"


async def test_a_valid_notify_marks_the_order_paid_and_tells_the_customer(wx: Harness) -> None:
    order = await place_order(wx)
    status, answer = await post_notify(wx, notify_body(order))
    assert status == 200
    assert answer["return_code"] == "SUCCESS"
    assert await status_of(order) == OrderStatus.PAID
    await wx.settle()
    assert any(order.order_no in t for t in wx.sent_texts(PAYER))


async def test_a_notify_with_a_wrong_signature_changes_nothing(wx: Harness) -> None:
    order = await place_order(wx)
    status, answer = await post_notify(wx, notify_body(order, key="0" * 32))
    assert status == 403
    assert answer["return_code"] == "FAIL"
    assert await status_of(order) == OrderStatus.PENDING_PAYMENT


async def test_a_notify_with_the_wrong_amount_changes_nothing(wx: Harness) -> None:
    order = await place_order(wx)
    _, answer = await post_notify(wx, notify_body(order, total_fee=1))
    assert answer["return_code"] == "FAIL"
    assert await status_of(order) == OrderStatus.PENDING_PAYMENT
    assert not await Payment.exists(order_id=order.id)


async def test_a_notify_for_an_unknown_order_is_refused(wx: Harness) -> None:
    order = await place_order(wx)
    order.order_no = "NOSUCHORDER1"
    _, answer = await post_notify(wx, notify_body(order))
    assert answer["return_code"] == "FAIL"


async def test_a_notify_for_another_merchant_is_refused(wx: Harness) -> None:
    order = await place_order(wx)
    _, answer = await post_notify(wx, notify_body(order, mch_id="1999999999"))
    assert answer["return_code"] == "FAIL"
    assert await status_of(order) == OrderStatus.PENDING_PAYMENT


async def test_the_same_notify_ten_times_concurrently_pays_once(wx: Harness) -> None:
    order = await place_order(wx)
    body = notify_body(order)
    results = await asyncio.gather(*(post_notify(wx, body) for _ in range(10)))
    assert all(status == 200 and a["return_code"] == "SUCCESS" for status, a in results)
    assert await status_of(order) == OrderStatus.PAID
    assert await Payment.filter(order_id=order.id).count() == 1
    await wx.settle()
    assert len([t for t in wx.sent_texts(PAYER) if order.order_no in t]) == 1


async def test_a_notify_while_the_database_is_down_is_refused_then_recorded(
    make_harness: HarnessFactory, cluster: Cluster
) -> None:
    wx = await make_harness(database_url=cluster.url)
    order = await place_order(wx)
    body = notify_body(order)
    await cluster.stop()
    status, answer = await post_notify(wx, body)
    assert status == 503 and answer["return_code"] == "FAIL"  # WeChat notifies again later
    await cluster.start()
    deadline = asyncio.get_running_loop().time() + 20
    while (await post_notify(wx, body))[1]["return_code"] != "SUCCESS":  # WeChat's next tries
        assert asyncio.get_running_loop().time() < deadline, "never recorded"
        await asyncio.sleep(0.2)
    assert (await post_notify(wx, body))[1]["return_code"] == "SUCCESS"
    assert await status_of(order) == OrderStatus.PAID
    assert await Payment.filter(order_id=order.id).count() == 1
    await wx.settle()
    assert len([t for t in wx.sent_texts(PAYER) if order.order_no in t]) == 1


async def test_a_notify_with_a_doctype_is_rejected(wx: Harness) -> None:
    order = await place_order(wx)
    body = notify_body(order).replace(
        "<xml>", '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<xml>', 1
    )
    status, _ = await post_notify(wx, body)
    assert status == 400
    assert await status_of(order) == OrderStatus.PENDING_PAYMENT


async def test_the_pay_page_asks_for_the_openid_then_offers_jsapi(wx: Harness) -> None:
    order = await place_order(wx)
    resp = await wx.client.get(f"/pay/{order.order_no}", allow_redirects=False)
    assert resp.status == 302
    target = urlsplit(resp.headers["Location"])
    q = parse_qs(target.query)
    assert target.netloc == "open.weixin.qq.com"
    assert q["appid"] == [APP_ID] and q["scope"] == ["snsapi_base"]
    assert q["redirect_uri"] == [f"{PUBLIC_URL}/pay/{order.order_no}"]

    wx.fake.oauth_codes["CODE123"] = PAYER
    resp = await wx.client.get(f"/pay/{order.order_no}", params={"code": "CODE123"})
    html = await resp.text()
    assert resp.status == 200
    assert "getBrandWCPayRequest" in html and "paySign" in html
    (call,) = wx.fake.calls_to("/pay/unifiedorder")
    assert call.body["trade_type"] == "JSAPI"
    assert call.body["openid"] == PAYER
    assert call.body["total_fee"] == "12800"
    assert call.body["spbill_create_ip"] == "127.0.0.1"


async def test_the_pay_page_of_a_paid_order_offers_nothing(wx: Harness) -> None:
    order = await place_order(wx)
    await post_notify(wx, notify_body(order))
    wx.fake.oauth_codes["CODE456"] = PAYER
    resp = await wx.client.get(f"/pay/{order.order_no}", params={"code": "CODE456"})
    assert resp.status == 200
    assert "paySign" not in await resp.text()
    assert not wx.fake.calls_to("/pay/unifiedorder")


async def test_querying_settles_an_order_whose_notify_was_lost(
    make_harness: HarnessFactory, clock: FakeClock
) -> None:
    wx = await make_harness(clock=clock)
    order = await place_order(wx)
    wx.fake.oauth_codes["CODE789"] = PAYER
    await wx.client.get(f"/pay/{order.order_no}", params={"code": "CODE789"})
    resp = await wx.client.get(f"/pay/{order.order_no}/status")
    assert (await resp.json())["paid"] is False
    wx.fake.trade_states[order.order_no] = "SUCCESS"
    clock.advance(seconds=QUERY_INTERVAL.total_seconds())  # the page asks again later
    resp = await wx.client.get(f"/pay/{order.order_no}/status")
    assert (await resp.json())["paid"] is True
    assert await status_of(order) == OrderStatus.PAID
    assert len(wx.fake.calls_to("/pay/orderquery")) == 2
    # Settled now, and the page is public: neither a paid order nor an unknown number is
    # asked of WeChat again.
    resp = await wx.client.get(f"/pay/{order.order_no}/status")
    assert (await resp.json())["paid"] is True
    assert (await wx.client.get("/pay/ZZZZ2345/status")).status == 404
    assert len(wx.fake.calls_to("/pay/orderquery")) == 2


async def test_the_status_page_asks_wechat_once_per_order_every_few_seconds(
    make_harness: HarnessFactory, clock: FakeClock
) -> None:
    """The page is public and WeChat's order query is rate-limited per merchant: however
    often an unpaid order's status is asked, WeChat hears of it once per QUERY_INTERVAL,
    and meanwhile the answer is what it said last."""
    wx = await make_harness(clock=clock)
    order, other = await place_order(wx), await place_order(wx, product_id=2)
    for n, placed in enumerate((order, other)):  # the pay page makes WeChat's order
        wx.fake.oauth_codes[f"CODE{n}"] = PAYER
        await wx.client.get(f"/pay/{placed.order_no}", params={"code": f"CODE{n}"})
    status = f"/pay/{order.order_no}/status"
    for _ in range(5):
        resp = await wx.client.get(status)
        assert resp.status == 200
        assert await resp.json() == {"paid": False, "trade_state": "NOTPAY"}
    assert len(wx.fake.calls_to("/pay/orderquery")) == 1
    await wx.client.get(f"/pay/{other.order_no}/status")  # another order is its own
    assert len(wx.fake.calls_to("/pay/orderquery")) == 2

    wx.fake.trade_states[order.order_no] = "SUCCESS"  # paid, and the notify was lost
    clock.advance(seconds=QUERY_INTERVAL.total_seconds() - 1)
    assert (await (await wx.client.get(status)).json())["paid"] is False
    assert len(wx.fake.calls_to("/pay/orderquery")) == 2
    clock.advance(seconds=1)
    assert (await (await wx.client.get(status)).json())["paid"] is True  # WeChat's word
    assert len(wx.fake.calls_to("/pay/orderquery")) == 3
    assert await status_of(order) == OrderStatus.PAID


async def approve_refund(wx: Harness, order: Order) -> None:
    orders = wx.runtime.services.orders
    order = await orders.request_refund(await orders.get(order.order_no), "不想要了")
    await orders.approve_refund(order)


async def test_an_approved_refund_goes_back_through_wechat_pay(wx: Harness) -> None:
    order = await place_order(wx)
    await post_notify(wx, notify_body(order))
    await approve_refund(wx, order)
    await wx.runtime.services.refunds.process_due()  # what the sweeper does
    await wx.settle()
    (call,) = wx.fake.calls_to("/secapi/pay/refund")
    assert call.body["out_trade_no"] == order.order_no
    assert call.body["total_fee"] == call.body["refund_fee"] == "12800"
    assert call.body["out_refund_no"].startswith(order.order_no)
    job = await RefundJob.get(order_id=order.id)
    assert job.status == RefundStatus.DONE
    assert job.provider_refund_id.startswith("50000")


async def test_a_refused_refund_stays_queued_for_another_try(wx: Harness) -> None:
    order = await place_order(wx)
    await post_notify(wx, notify_body(order))
    await approve_refund(wx, order)
    wx.fake.fail_next("/secapi/pay/refund", "NOTENOUGH", errmsg="基本账户余额不足")
    await wx.runtime.services.refunds.process_due()
    job = await RefundJob.get(order_id=order.id)
    assert job.status == RefundStatus.PENDING
    assert "NOTENOUGH" in job.last_error


async def test_a_payment_for_a_cancelled_order_is_acknowledged_and_staff_are_told_once(
    wx: Harness,
) -> None:
    """WeChat took the buyer's money for an order cancelled meanwhile: the order stays
    cancelled, WeChat hears SUCCESS, and the shop's staff hear once, with what to refund."""
    services = wx.runtime.services
    shop = await services.shops.by_slug(DEMO_SLUG)
    clerk = "oClerk00000000000000000000001"
    await wx.say("/help", openid=clerk)
    ident = await services.people.identify("wechat", clerk, private=True)
    owner = await ShopMember.get(shop_id=shop.id, role=Role.OWNER)
    clerk_person = await Person.get(id=ident.person_id)
    assert await services.shops.add_staff(shop.id, owner.person_id, clerk_person)  # type: ignore[attr-defined]
    order = await place_order(wx)
    await services.orders.cancel(order, "customer")
    body = notify_body(order, transaction_id="4200000123202611220000000077")
    for _ in range(3):  # WeChat repeats a notify it thinks went unheard
        status, answer = await post_notify(wx, body)
        assert status == 200 and answer["return_code"] == "SUCCESS"
    assert await status_of(order) == OrderStatus.CANCELLED
    assert not await Payment.exists(order_id=order.id)
    await wx.settle()
    told = [t for t in wx.sent_texts(clerk) if "4200000123202611220000000077" in t]
    assert len(told) == 1, told
    assert order.order_no in told[0] and "¥128.00" in told[0]
    assert "微信支付" in told[0]  # the demo shop speaks Chinese


async def test_a_payment_of_the_wrong_amount_tells_the_staff_once(wx: Harness) -> None:
    services = wx.runtime.services
    order = await place_order(wx)
    owner = await ShopMember.get(shop_id=order.shop_id, role=Role.OWNER)  # type: ignore[attr-defined]
    owners = await services.people.reachable_identities(owner.person_id)  # type: ignore[attr-defined]
    sent: list[str] = []
    wx.runtime.outbox.to_account = lambda ident, reply: sent.append(reply.text)  # type: ignore[method-assign]
    body = notify_body(order, total_fee=1, transaction_id="4200000123202611220000000078")
    for _ in range(2):
        _, answer = await post_notify(wx, body)
        assert answer["return_code"] == "FAIL"
    assert await status_of(order) == OrderStatus.PENDING_PAYMENT
    assert len(sent) == len(owners) == 1, sent
    assert "4200000123202611220000000078" in sent[0] and "¥0.01" in sent[0]


async def test_the_pay_api_key_stays_out_of_a_debug_log(
    wx: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """wechatpy's signer logs the string it signs, the API key in it, at DEBUG: whoever
    reads that log could sign notifies that mark orders paid."""
    caplog.set_level(logging.DEBUG)
    order = await place_order(wx)
    wx.fake.oauth_codes["CODE123"] = PAYER
    resp = await wx.client.get(f"/pay/{order.order_no}", params={"code": "CODE123"})
    assert "paySign" in await resp.text()  # signed a request, checked its answer, signed params
    status, _ = await post_notify(wx, notify_body(order))  # checked a notify's signature
    assert status == 200 and await status_of(order) == OrderStatus.PAID
    assert caplog.records and PAY_KEY not in caplog.text
