"""Promotions on the dashboard: coupons made and ended, 满减 rules added and removed, flash
sales ended; what the merchant does there is what customers meet in chat."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from store.promotions.models import Coupon, CouponKind, FlashSale, FullReduction
from tests.conftest import MERCHANT, FakeClock
from tests.dashboard.conftest import Dashboard


async def coupons() -> list[tuple[object, ...]]:
    rows = Coupon.all().order_by("id")
    return [
        (c.code, c.kind, c.value, c.min_spend, c.uses, c.per_customer, c.active) for c in await rows
    ]


def field_error(body: str, name: str) -> str:
    return body.split(f'id="f-{name}"')[1].split("</label>")[0]


async def test_a_coupon_made_on_the_dashboard_works_in_chat(dash: Dashboard) -> None:
    await dash.login()
    form = {"code": "save10", "value": "10", "min_spend": "100", "until": "2026-12-31"}
    status, _, location = await dash.post("/dashboard/promotions/coupons", form | {"uses": "5"})
    assert status == 303 and location.endswith("done=coupon#coupon-SAVE10")
    [coupon] = await Coupon.all()
    assert (coupon.code, coupon.kind, coupon.value, coupon.min_spend, coupon.uses) == (
        "SAVE10",
        CouponKind.AMOUNT,
        Decimal("10.00"),
        Decimal("100.00"),
        5,
    )
    assert coupon.ends_at is not None and coupon.ends_at.isoformat().startswith(
        "2026-12-31T15:59:59"
    )
    _, body = await dash.get("/dashboard/promotions")
    row = body.split('id="coupon-SAVE10"')[1].split("</tr>")[0]
    assert "CN¥10.00 off" in row and "min spend CN¥100.00" in row and "used 0 of 5" in row

    await dash.chat.say("alice", "/add 1 1")
    assert "118.00" in await dash.chat.text("alice", "/coupon SAVE10")

    status, _, _ = await dash.post("/dashboard/promotions/coupons", {"code": "PCT", "value": "15%"})
    assert status == 303
    pct = await Coupon.get(code="PCT")
    assert (pct.kind, pct.value, pct.per_customer, pct.uses) == (CouponKind.PERCENT, 15, 1, None)


async def test_a_bad_coupon_form_says_what_is_wrong_beside_each_field(
    dash: Dashboard, clock: FakeClock
) -> None:
    await dash.chat.say(MERCHANT, "/coupon new TAKEN 5")
    before = await coupons()
    await dash.login()
    form = {"code": "NEW1", "value": "abc", "min_spend": "-1", "until": "tomorrow", "uses": "0"}
    status, body, _ = await dash.post("/dashboard/promotions/coupons", form)
    assert status == 400
    for name in ("value", "min_spend", "until", "uses"):
        assert 'class="error"' in field_error(body, name), name
    assert 'value="tomorrow"' in body  # what was typed stays
    for form, name, says in (
        ({"code": "TAKEN", "value": "5"}, "code", "already"),
        ({"code": "X", "value": "5"}, "code", "3 to 24"),
        ({"code": "PCT", "value": "150%"}, "value", "less than 100"),
        ({"code": "OLD", "value": "5", "until": "2026-11-20"}, "until", "in the future"),
        ({"code": "MANY", "value": "5", "per_customer": "100001"}, "per_customer", "not a valid"),
    ):
        status, body, _ = await dash.post("/dashboard/promotions/coupons", form)
        assert status == 400 and says in field_error(body, name), (form, body[-2000:])
        assert "/coupon" not in field_error(body, name)  # the page's words, not chat commands
    assert await coupons() == before


async def test_ending_a_coupon_stops_it_in_chat(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/coupon new GONE 5")
    await dash.login()
    status, _, location = await dash.post("/dashboard/promotions/coupons/GONE/end")
    assert status == 303 and location.endswith("done=ended_coupons")
    assert not (await Coupon.get(code="GONE")).active
    assert 'id="coupon-GONE"' not in (await dash.get("/dashboard/promotions"))[1]
    await dash.chat.say("alice", "/add 1 1")
    assert "has ended" in await dash.chat.text("alice", "/coupon GONE")


async def test_spend_and_save_rules(dash: Dashboard) -> None:
    await dash.login()
    status, _, location = await dash.post(
        "/dashboard/promotions/rules", {"threshold": "200", "off": "30"}
    )
    assert status == 303
    rule = await FullReduction.get()
    assert (rule.threshold, rule.amount) == (200, 30) and location.endswith(f"#rule-{rule.id}")
    _, body = await dash.get("/dashboard/promotions")
    assert "spend CN¥200.00, save CN¥30.00" in body.split(f'id="rule-{rule.id}"')[1]
    await dash.chat.say("alice", "/add 1 2")  # 256
    assert "226.00" in await dash.chat.text("alice", "/cart")

    for form, name in (
        ({"threshold": "50", "off": "60"}, "off"),  # saves more than the spend
        ({"threshold": "200", "off": "10"}, "threshold"),  # one for 200 exists
        ({"threshold": "x", "off": ""}, "threshold"),
    ):
        status, body, _ = await dash.post("/dashboard/promotions/rules", form)
        assert status == 400 and 'class="error"' in field_error(body, name), form
    assert await FullReduction.all().count() == 1

    status, _, _ = await dash.post(f"/dashboard/promotions/rules/{rule.id}/end")
    assert status == 303 and not await FullReduction.exists()
    assert "226.00" not in await dash.chat.text("alice", "/cart")


async def test_a_flash_sale_started_in_chat_is_ended_on_the_dashboard(dash: Dashboard) -> None:
    assert "#" in await dash.chat.text(MERCHANT, "/flash 1 99 now 2h cap=10 limit=2")
    sale = await FlashSale.get()
    await dash.login()
    _, body = await dash.get("/dashboard/promotions")
    row = body.split(f'id="flash-{sale.id}"')[1].split("</li>")[0]
    assert "CN¥99.00" in row and "0 of 10 sold" in row
    status, _, _ = await dash.post(f"/dashboard/promotions/flash/{sale.id}/end")
    assert status == 303 and not (await FlashSale.get(id=sale.id)).active
    status, _, _ = await dash.post(f"/dashboard/promotions/flash/{sale.id}/end")
    assert status == 404  # ended already: nothing of that number runs


async def test_another_shops_promotions_and_forged_posts_change_nothing(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("rival", "/newshop Rival Tea")
    await chat.say("rival", "/addproduct Rival tea | 10 | 5")
    await chat.say("rival", "/coupon new RIVAL 5")
    await chat.say("rival", "/fullreduce 100 10")
    rival_rule = await FullReduction.get()
    await chat.say(MERCHANT, "/coupon new MINE 5")
    await dash.login()
    before = (await coupons(), await FullReduction.all().count())

    for path in (
        "/dashboard/promotions/coupons/RIVAL/end",
        f"/dashboard/promotions/rules/{rival_rule.id}/end",
        "/dashboard/promotions/rules/abc/end",
        "/dashboard/promotions/flash/99999999999/end",
        "/dashboard/promotions/other/1/end",
    ):
        assert (await dash.post(path))[0] == 404, path
    assert (await dash.post("/dashboard/promotions/coupons/MINE/end", csrf=False))[0] == 403
    form = {"code": "FORGED", "value": "5"}
    assert (await dash.post("/dashboard/promotions/coupons", form, csrf=False))[0] == 403
    assert (await coupons(), await FullReduction.all().count()) == before
    assert "RIVAL" not in (await dash.get("/dashboard/promotions"))[1]


async def test_the_page_speaks_chinese(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/coupon new PCT 15%")
    await dash.chat.say(MERCHANT, "/fullreduce 200 30")
    await dash.chat.say(MERCHANT, "/flash 1 99 now 2h cap=10 limit=2")
    await dash.login()
    await dash.post("/dashboard/language", {"locale": "zh_CN", "next": "/dashboard/promotions"})
    status, body = await dash.get("/dashboard/promotions")
    assert status == 200
    for text in ("优惠券", "满减", "限时抢购", "已售 0 / 10", "金额（10）或折扣百分比（15%）"):
        assert text in body, text


async def test_a_flash_sale_started_on_the_dashboard_prices_the_product(dash: Dashboard) -> None:
    await dash.login()
    form = {"product": "1", "price": "99", "start": "now", "end": "2h", "cap": "10", "limit": "2"}
    status, _, location = await dash.post("/dashboard/promotions/flash", form)
    sale = await FlashSale.get()
    assert status == 303 and location.endswith(f"done=flash#flash-{sale.id}")
    assert (sale.price, sale.cap, sale.per_customer) == (Decimal("99.00"), 10, 2)
    assert sale.ends_at - sale.starts_at == timedelta(hours=2)
    assert "99.00" in await dash.chat.text("alice", "/product 1")

    later = form | {"product": "2", "price": "9", "start": "2026-12-12T20:00", "end": "2026-12-13"}
    status, _, _ = await dash.post("/dashboard/promotions/flash", later)
    coming = await FlashSale.get(product_id=2)
    assert status == 303 and coming.starts_at.isoformat().startswith("2026-12-12T12:00")


async def test_a_bad_flash_sale_is_refused_beside_its_field(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/flash 1 99 now 2h cap=10 limit=2")
    before = [(f.id, f.product_id, f.active) for f in await FlashSale.all()]
    await dash.login()
    form = {"product": "2", "price": "9", "start": "now", "end": "2h", "cap": "10", "limit": "1"}
    for changes, field, says in (
        ({"price": "abc"}, "price", "not an amount of money"),
        ({"price": "999"}, "price", "lower than the normal price (CN¥96.00)"),
        ({"start": "someday"}, "start", "not a date"),
        ({"end": "2026-01-01"}, "end", "in the future"),
        ({"cap": "0"}, "cap", "not a valid"),
        ({"limit": "x"}, "limit", "not a valid"),
        ({"product": "99999"}, "product", "no product"),
        ({"product": "1"}, "product", "already"),  # one flash price per product at a time
    ):
        status, body, _ = await dash.post("/dashboard/promotions/flash", form | changes)
        assert status == 400, changes
        error = body.split(f'id="err-{field}"')[1].split("</small>")[0]
        assert says in error, (changes, error)
        assert "/flash" not in error
    assert [(f.id, f.product_id, f.active) for f in await FlashSale.all()] == before
