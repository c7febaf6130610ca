"""Orders on the dashboard: list and filter, detail, payment, shipping, refunds, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from store.models import Order, OrderStatus, Product
from tests.conftest import MERCHANT, FakeClock
from tests.dashboard.conftest import Dashboard
from tests.test_chat_flow import order_no, place_order


async def test_list_filters_by_status_and_date(dash: Dashboard, clock: FakeClock) -> None:
    old = await place_order(dash.chat, "alice", product=1, qty=1)
    new = await place_order(dash.chat, "bob", product=2, qty=1)
    await dash.chat.say(MERCHANT, f"/paid {new}")
    # created_at is stamped by the database: place the orders on days of our choosing.
    await Order.filter(order_no=old).update(created_at=clock())
    await Order.filter(order_no=new).update(created_at=clock() + timedelta(days=3))
    await dash.login()

    _, body = await dash.get("/dashboard/orders")
    assert old in body and new in body
    _, body = await dash.get("/dashboard/orders?status=paid")
    assert new in body and old not in body
    # The fake clock starts 2026-11-21 12:00 UTC, 20:00 in Shanghai.
    _, body = await dash.get("/dashboard/orders?from=2026-11-22&to=2026-11-30")
    assert new in body and old not in body
    _, body = await dash.get("/dashboard/orders?to=2026-11-21")
    assert old in body and new not in body
    status, body = await dash.get("/dashboard/orders?status=nonsense&from=junk&page=%C2%B2")
    assert status == 200 and old in body and new in body  # bad filters are ignored
    status, body = await dash.get("/dashboard/orders?from=0001-01-01&to=9999-12-31")
    assert status == 200 and old in body and new in body


async def test_date_filter_days_are_the_shops_from_local_midnight(dash: Dashboard) -> None:
    """Shanghai's 22 November begins at 16:00 UTC on the 21st. SQLite compares times as
    text, so bounds and stored times must be written alike (store/sqlite_engine.py)."""
    early = await place_order(dash.chat, "alice", product=1, qty=1)
    await Order.filter(order_no=early).update(created_at=datetime(2026, 11, 21, 17, 30, tzinfo=UTC))
    await dash.login()
    _, body = await dash.get("/dashboard/orders?from=2026-11-22&to=2026-11-22")
    assert early in body  # 01:30 on the 22nd in Shanghai
    _, body = await dash.get("/dashboard/orders?from=2026-11-21&to=2026-11-21")
    assert early not in body


async def test_export_follows_the_filter(dash: Dashboard) -> None:
    first = await place_order(dash.chat, "alice", product=1, qty=2)
    second = await place_order(dash.chat, "bob", product=4, qty=1)
    await dash.chat.say(MERCHANT, f"/paid {second}")
    await dash.login()
    resp = await dash.client.get("/dashboard/orders.csv?status=paid")
    rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert [r["order_no"] for r in rows] == [second]
    assert rows[0]["total"] == "39.90" and rows[0]["status"] == "paid"
    assert rows[0]["phone"] == "13800138000" and "nougat" in rows[0]["items"]
    resp = await dash.client.get("/dashboard/orders.csv")
    assert first in (await resp.read()).decode("utf-8-sig")


async def test_mark_paid_then_ship_tells_the_customer(dash: Dashboard) -> None:
    no = await place_order(dash.chat, "alice", product=1, qty=1)
    dash.chat.pushed("alice")
    await dash.login()
    status, body = await dash.get(f"/dashboard/orders/{no}")
    # Unpaid, nothing to ship yet: the address is masked (docs/accounts.md).
    assert status == 200 and "Zhang San" in body and "****, Hangzhou" in body

    status, _, location = await dash.post(f"/dashboard/orders/{no}/paid")
    assert status == 303 and location.endswith("done=paid")
    assert (await Order.get(order_no=no)).status == OrderStatus.PAID
    assert "received" in dash.chat.pushed("alice")
    assert "1 Wensan Road" in (await dash.get(f"/dashboard/orders/{no}"))[1]  # to ship: full
    status, body, _ = await dash.post(f"/dashboard/orders/{no}/paid")
    assert status == 409 and "already paid" in body

    data = {"carrier": "SF Express", "tracking_no": " "}
    status, body, _ = await dash.post(f"/dashboard/orders/{no}/ship", data)
    assert status == 400
    field = body.split('id="f-tracking_no"')[1].split("</label>")[0]
    assert "carrier and the tracking number" in field
    assert 'value="SF Express"' in body  # the carrier typed is kept

    data = {"carrier": "SF Express", "tracking_no": "SF100200300"}
    status, _, _ = await dash.post(f"/dashboard/orders/{no}/ship", data)
    assert status == 303
    order = await Order.get(order_no=no)
    assert (order.status, order.carrier, order.tracking_no) == (
        OrderStatus.SHIPPED,
        "SF Express",
        "SF100200300",
    )
    assert "SF100200300" in dash.chat.pushed("alice")
    assert "shipped" in await dash.chat.text("alice", f"/order {no}")


async def test_an_action_the_order_cannot_take_says_why(dash: Dashboard) -> None:
    no = await place_order(dash.chat, "alice")
    await dash.login()
    data = {"carrier": "SF", "tracking_no": "1"}
    status, body, _ = await dash.post(f"/dashboard/orders/{no}/ship", data)
    assert status == 409 and "can&#39;t do that now" in body
    assert (await Order.get(order_no=no)).status == OrderStatus.PENDING_PAYMENT


async def test_refunds_approved_or_rejected(dash: Dashboard) -> None:
    first = await place_order(dash.chat, "alice", product=1, qty=2)
    second = await place_order(dash.chat, "bob", product=2, qty=1)
    for no, user in ((first, "alice"), (second, "bob")):
        await dash.chat.say(MERCHANT, f"/paid {no}")
        await dash.chat.say(user, f"/refund {no} changed my mind")
    await dash.login()
    _, body = await dash.get(f"/dashboard/orders/{first}")
    assert "changed my mind" in body and "Approve refund" in body

    status, body, _ = await dash.post(f"/dashboard/orders/{second}/refund/reject", {"reason": ""})
    assert status == 400
    # The error is the rejection's, beside its field; the part refund's own "reason" field
    # (the same name, another form) is neither marked nor a second element of the same id.
    reject = body.split('action="/dashboard/orders/' + second + '/refund/reject"')[1]
    assert 'id="err-reject_reason"' in reject.split("</form>")[0]
    assert 'id="err-reason"' not in body and body.count('id="f-reason"') <= 1
    await dash.post(f"/dashboard/orders/{second}/refund/reject", {"reason": "Already opened"})
    assert (await Order.get(order_no=second)).status == OrderStatus.PAID
    assert "Already opened" in dash.chat.pushed("bob")

    stock = (await Product.get(id=1)).stock
    assert 'id="f-approve-restock" checked' in body  # not shipped: the goods never left
    status, _, _ = await dash.post(f"/dashboard/orders/{first}/refund/approve", {"restock": "1"})
    assert status == 303
    assert (await Order.get(order_no=first)).status == OrderStatus.REFUNDED
    assert (await Product.get(id=1)).stock == stock + 2
    _, body = await dash.get(f"/dashboard/orders/{first}")
    assert "Refund of" in body  # the refund outbox's job is shown


async def test_an_unknown_order_number_is_404(dash: Dashboard) -> None:
    await dash.login()
    for number in ("NOSUCH22", "0" * 17, "%E4%B8%AD"):
        status, body = await dash.get(f"/dashboard/orders/{number}")
        assert status == 404 and "Not found" in body, number
    status, _, _ = await dash.post("/dashboard/orders/" + "X" * 40 + "/paid")
    assert status == 404


async def test_detail_shows_discounts_and_partial_refunds(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/coupon new SAVE10 10")
    await dash.chat.say("alice", "/add 1 1")
    await dash.chat.say("alice", "/coupon SAVE10")  # checked against the cart it applies to
    no = await place_order(dash.chat, "alice", product=1, qty=1)
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say(MERCHANT, f"/refunditem {no} 1 1")
    order = await Order.get(order_no=no)
    assert order.discount_total == 10 and 0 < order.refunded_amount < order.total
    await dash.login()
    status, body = await dash.get(f"/dashboard/orders/{no}")
    assert status == 200
    assert "• Coupon SAVE10  −CN¥10.00" in body  # babel's en currency sign for CNY
    assert f"Refunded so far: CN¥{order.refunded_amount}" in body and "(1 refunded)" in body


async def test_items_refunded_from_the_order_page_after_completion_too(dash: Dashboard) -> None:
    no = await place_order(dash.chat, "alice", product=1, qty=2)  # 256.00
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say(MERCHANT, f"/ship {no} SF SF1")
    await dash.chat.say("alice", f"/received {no}")
    await dash.login()
    _, body = await dash.get(f"/dashboard/orders/{no}")
    assert 'id="refund-items"' in body and "(2 left)" in body
    assert 'id="f-restock" checked' not in body  # shipped: the goods are with the customer
    path = f"/dashboard/orders/{no}/refund/items"
    stock = (await Product.get(id=1)).stock

    for form, field, says in (
        ({"line": "1", "quantity": "3"}, "quantity", "Give 1 to 2"),
        ({"line": "1", "quantity": "x"}, "quantity", "not a valid number"),
        ({"line": "2"}, "line", "lines 1 to 1"),
    ):
        status, body, _ = await dash.post(path, form)
        assert status == 400 and says in body.split(f'id="err-{field}"')[1], form
    assert (await dash.post(path, {"line": "1"}, csrf=False))[0] == 403
    await dash.chat.say("rival", "/newshop Rival Tea")
    await dash.chat.say("rival", "/addproduct Rival tea | 10 | 5")
    await dash.chat.say("bob", "/shop rival-tea")
    theirs = await place_order(dash.chat, "bob", product=10, qty=1)
    await dash.chat.say("rival", f"/paid {theirs}")
    assert (await dash.post(f"/dashboard/orders/{theirs}/refund/items", {"line": "1"}))[0] == 404
    assert (await Order.get(order_no=no)).refunded_amount == 0
    assert (await Order.get(order_no=theirs)).refunded_amount == 0

    status, _, location = await dash.post(path, {"line": "1", "quantity": "1", "reason": "dented"})
    assert status == 303 and location.endswith("done=part_refunded")
    assert (await Order.get(order_no=no)).refunded_amount == 128
    assert (await Product.get(id=1)).stock == stock  # a refund without a return
    assert f"Part of order {no} is refunded: CN¥128.00" in dash.chat.pushed("alice")
    await dash.post(path, {"line": "1", "restock": "1"})  # the rest, sent back: nothing left
    assert (await Product.get(id=1)).stock == stock + 1
    order = await Order.get(order_no=no)
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == 256
    _, body = await dash.get(f"/dashboard/orders/{no}")
    assert 'id="refund-items"' not in body


async def test_search_by_number_name_or_phone(dash: Dashboard) -> None:
    zhang = await place_order(dash.chat, "alice", product=1, qty=1)  # Zhang San, 13800138000
    await dash.chat.say("bob", "/add 2 1")
    await dash.chat.say("bob", "/checkout")
    for answer in ("Li Lei", "13912345678", "88 Nanjing Road, Shanghai"):
        await dash.chat.say("bob", answer)
    li = order_no(await dash.chat.text("bob", "/checkout confirm"))
    await dash.login()

    for query, shown, hidden in (
        (li.lower(), li, zhang),  # the order number, however typed
        (f"#{zhang}", zhang, li),
        ("zhang", zhang, li),  # part of the name, any case
        ("1234", li, zhang),  # 4 digits or more of the phone
        ("8000", zhang, li),
    ):
        _, body = await dash.get(f"/dashboard/orders?q={quote(query)}")
        assert f'id="order-{shown}"' in body and f'id="order-{hidden}"' not in body, query
    for nothing in ("123", "%", "_", "x" * 200, "张"):
        status, body = await dash.get(f"/dashboard/orders?q={quote(nothing)}")
        assert status == 200 and 'id="order-' not in body and "No order matches" in body
    status, body = await dash.get("/dashboard/orders.csv?q=zhang")
    assert status == 200 and zhang in body and li not in body


async def test_a_refund_approved_without_a_return_leaves_the_stock(dash: Dashboard) -> None:
    no = await place_order(dash.chat, "alice", product=1, qty=2)
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say(MERCHANT, f"/ship {no} SF SF1")
    await dash.chat.say("alice", f"/refund {no} arrived crushed")
    await dash.login()
    _, body = await dash.get(f"/dashboard/orders/{no}")
    assert 'id="f-approve-restock"' in body and 'id="f-approve-restock" checked' not in body
    stock = (await Product.get(id=1)).stock
    assert (await dash.post(f"/dashboard/orders/{no}/refund/approve"))[0] == 303  # unchecked
    assert (await Order.get(order_no=no)).status == OrderStatus.REFUNDED
    assert (await Product.get(id=1)).stock == stock


async def test_a_refund_returned_by_hand_is_marked_on_the_order(dash: Dashboard) -> None:
    no = await place_order(dash.chat, "alice", product=1, qty=1)
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say("alice", f"/refund {no} broken")
    await dash.chat.say(MERCHANT, f"/refundok {no}")
    await dash.chat.runtime.services.refunds.process_due()  # a transfer: return it by hand
    await dash.login()
    _, body = await dash.get(f"/dashboard/orders/{no}")
    assert "return it by hand" in body and 'id="refund-returned"' in body
    path = f"/dashboard/orders/{no}/refund/returned"
    status, _, _ = await dash.post(path, csrf=False)
    assert status == 403
    status, _, location = await dash.post(path)
    assert status == 303 and location.endswith("done=returned")
    _, body = await dash.get(f"/dashboard/orders/{no}?done=returned")
    assert "returned by hand" in body and 'id="refund-returned"' not in body
    assert "Refund of CN¥128.00: returned" in body
    assert "No refunds waiting for you." in await dash.chat.text(MERCHANT, "/refunds")
    status, body, _ = await dash.post(path)  # twice: said, nothing changes
    assert status == 409 and "no refund waiting" in body and "See /refunds" not in body


async def test_the_history_names_how_the_order_was_paid_in_the_pages_language(
    dash: Dashboard,
) -> None:
    payments = dash.chat.runtime.services.payments
    paid = {}
    for user, method in (("alice", "wechat"), ("bob", "telegram"), ("carol", "telegram_stars")):
        no = await place_order(dash.chat, user, product=1, qty=1)
        order = await Order.get(order_no=no)
        await payments.confirm(no, method, f"{method}-1", order.total)
        paid[method] = no
    await dash.login()
    for locale, names in (
        ("en", {"wechat": "WeChat Pay", "telegram": "Telegram, by card"}),
        ("zh_CN", {"wechat": "微信支付", "telegram": "Telegram 银行卡支付"}),
    ):
        await dash.post("/dashboard/language", {"locale": locale, "next": "/dashboard"})
        for method, name in names.items():
            _, body = await dash.get(f"/dashboard/orders/{paid[method]}")
            history = body.split('class="timeline"')[1]
            assert f"({name})" in history or f"（{name}）" in history, (locale, method)
            assert f"({method})" not in history and f"（{method}）" not in history
    _, body = await dash.get(f"/dashboard/orders/{paid['telegram_stars']}")
    assert "Telegram 星星（Stars）" in body.split('class="timeline"')[1]


async def test_the_csv_says_what_was_refunded_of_each_order(dash: Dashboard) -> None:
    no = await place_order(dash.chat, "alice", product=1, qty=2)  # 256.00
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say(MERCHANT, f"/refunditem {no} 1 1")
    await dash.login()
    resp = await dash.client.get("/dashboard/orders.csv")
    [row] = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert (row["order_no"], row["total"], row["refunded"]) == (no, "256.00", "128.00")


async def test_the_list_shows_a_part_refund_under_the_total(dash: Dashboard) -> None:
    no = await place_order(dash.chat, "alice", product=1, qty=2)  # 256.00
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say(MERCHANT, f"/refunditem {no} 1 1")
    await dash.login()
    _, body = await dash.get("/dashboard/orders")
    row = body.split(f'id="order-{no}"')[1].split("</tr>")[0]
    assert "CN¥256.00" in row and "CN¥128.00 refunded" in row
    await dash.post("/dashboard/language", {"locale": "zh_CN", "next": "/dashboard/orders"})
    _, body = await dash.get("/dashboard/orders")
    assert "已退 ¥128.00" in body.split(f'id="order-{no}"')[1].split("</tr>")[0]


async def test_status_tabs_keep_the_search_and_count_what_it_finds(dash: Dashboard) -> None:
    zhang = await place_order(dash.chat, "alice", product=1, qty=1)  # "Zhang San"
    await dash.chat.say(MERCHANT, f"/paid {zhang}")
    await place_order(dash.chat, "bob", product=2, qty=1)
    await Order.filter(person__identities__platform_user_id="bob").update(contact_name="Li Si")
    await dash.login()
    _, body = await dash.get("/dashboard/orders?q=zhang&from=2026-11-01")
    tabs = body.split('<nav class="tabs"')[1].split("</nav>")[0]
    assert 'href="/dashboard/orders?status=paid&amp;q=zhang&amp;from=2026-11-01"' in tabs
    assert 'href="/dashboard/orders?q=zhang&amp;from=2026-11-01"' in tabs  # "All"
    # The counts are of what the search finds: Zhang's one paid order, not Li's unpaid one.
    paid = tabs.split("status=paid")[1].split("</a>")[0]
    pending = tabs.split("status=pending_payment")[1].split("</a>")[0]
    assert '"count">1<' in paid and '"count">0<' in pending


async def test_dates_picked_the_wrong_way_round_are_the_days_between(
    dash: Dashboard, clock: FakeClock
) -> None:
    no = await place_order(dash.chat, "alice", product=1, qty=1)
    await Order.filter(order_no=no).update(created_at=clock())  # 2026-11-21 in Shanghai
    await dash.login()
    _, body = await dash.get("/dashboard/orders?from=2026-11-30&to=2026-11-01")
    assert f'id="order-{no}"' in body
    assert 'name="from" value="2026-11-01"' in body and 'name="to" value="2026-11-30"' in body


async def test_a_cancelled_order_says_why(dash: Dashboard, clock: FakeClock) -> None:
    by_customer = await place_order(dash.chat, "alice", product=1, qty=1)
    await dash.chat.say("alice", f"/cancel {by_customer}")
    too_late = await place_order(dash.chat, "bob", product=1, qty=1)
    clock.advance(hours=2)
    await dash.chat.runtime.services.orders.sweep()
    await dash.login()
    for no, why in ((by_customer, "Cancelled by the customer"), (too_late, "not paid in time")):
        _, body = await dash.get(f"/dashboard/orders/{no}")
        assert why in body.split('id="cancelled"')[1].split("</span>")[0], no
    await dash.post("/dashboard/language", {"locale": "zh_CN", "next": "/dashboard"})
    _, body = await dash.get(f"/dashboard/orders/{too_late}")
    assert "已取消：未按时付款" in body
