"""The overview's figures and chart, the settings form, and the page language."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from bot.dashboard.chart import nice_ceiling, revenue_chart
from store.models import Order, Role, Shop, ShopMember
from store.reports import DaySales
from store.reviews.models import Review
from store.support.models import Ticket
from tests.conftest import MERCHANT, FakeClock
from tests.dashboard.conftest import Dashboard
from tests.groupbuy.test_chat import campaign, open_group
from tests.reviews.test_reviews import completed
from tests.test_chat_flow import place_order


async def test_overview_figures(dash: Dashboard, clock: FakeClock) -> None:
    # 2026-11-21 12:00 UTC is 20:00 in Shanghai: yesterday's order was paid on the 20th.
    clock.advance(days=-1)
    yesterday = await place_order(dash.chat, "alice", product=4, qty=3)  # 3 x 39.90
    await dash.chat.say(MERCHANT, f"/paid {yesterday}")
    clock.advance(days=1)
    today = await place_order(dash.chat, "bob", product=1, qty=1)  # 128.00
    await dash.chat.say(MERCHANT, f"/paid {today}")
    await place_order(dash.chat, "carol", product=2, qty=1)  # unpaid: not a sale
    await dash.login()

    status, body = await dash.get("/dashboard")
    assert status == 200
    assert re.search(r'id="sales-today">CN¥128\.00<', body)
    assert re.search(r'id="sales-month">CN¥247\.70<', body)
    bars = re.findall(r'<rect [^>]*height="([0-9.]+)"[^>]*><title>([0-9-]+): ([^<]+)</title>', body)
    assert len(bars) == 30
    assert bars[-1][1] == "2026-11-21" and "CN¥128.00" in bars[-1][2]
    assert bars[-2][1] == "2026-11-20" and "CN¥119.70" in bars[-2][2]
    assert Decimal(bars[-1][0]) > Decimal(bars[-2][0]) > 0
    assert all(Decimal(h) == 0 for h, _, _ in bars[:-2])
    best = body.split("Best sellers")[1]
    assert best.index("nougat") < best.index("Longjing")  # 3 sold before 1 sold
    assert "awaiting payment" in body and "/dashboard/orders?status=paid" in body


async def test_a_refunded_order_is_not_a_sale(dash: Dashboard) -> None:
    no = await place_order(dash.chat, "alice", product=1, qty=1)
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say("alice", f"/refund {no}")
    await dash.chat.say(MERCHANT, f"/refundok {no}")
    assert (await Order.get(order_no=no)).status == "refunded"
    await dash.login()
    _, body = await dash.get("/dashboard")
    assert 'id="sales-today">CN¥0.00<' in body


async def test_a_part_refund_comes_off_the_sales_and_the_best_sellers(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/fullreduce 300 30")
    no = await place_order(dash.chat, "alice", product=1, qty=3)  # 384.00, 满 300 减 30: 354.00
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.chat.say(MERCHANT, f"/refunditem {no} 1 1")  # one unit: 118.00 back
    order = await Order.get(order_no=no)
    assert (order.total, order.refunded_amount) == (Decimal("354.00"), Decimal("118.00"))
    await dash.login()
    _, body = await dash.get("/dashboard")
    assert 'id="sales-today">CN¥236.00<' in body
    assert 'id="sales-month">CN¥236.00<' in body
    best = body.split("Best sellers")[1]
    assert "× 2</strong><small>CN¥236.00</small>" in best  # kept units, what they were paid


def test_chart_scale_is_round_and_exact() -> None:
    assert nice_ceiling(Decimal("0")) == 1
    assert nice_ceiling(Decimal("128")) == 200
    assert nice_ceiling(Decimal("247.70")) == 250
    assert nice_ceiling(Decimal("1000")) == 1000
    assert nice_ceiling(Decimal("1000.01")) == 2000
    days = [DaySales(date(2026, 11, 1) + timedelta(days=i), Decimal(i), 1) for i in range(30)]
    chart = revenue_chart(days)
    assert chart.top == 50 and chart.total == Decimal(435)
    assert chart.bars[0].height == 0 and chart.bars[29].height == Decimal("58.0")
    assert chart.bars[1].height == 2  # 1 of 50 is 2 % of the height
    assert all(isinstance(b.x, Decimal) for b in chart.bars)
    tiny = revenue_chart([DaySales(date(2026, 11, 1), Decimal("0.01"), 1)] * 2 + days[29:])
    assert tiny.bars[0].height == 1  # a small sale still shows


async def test_overview_counts_questions_and_reviews_waiting(dash: Dashboard) -> None:
    def kpi(body: str, name: str) -> str:
        return body.split(f'id="kpi-{name}"')[1].split("</a>")[0]

    chat = dash.chat
    await chat.say("alice", "/ask First question")
    await chat.say("bob", "/ask Second question")
    await chat.say("carol", "/ask Third question")
    tickets = {t.person.display_name: t.id for t in await Ticket.all().prefetch_related("person")}
    await chat.say(MERCHANT, f"/reply T{tickets['bob']} Answered")
    await chat.say(MERCHANT, f"/close T{tickets['carol']}")
    for user, stars in (("dave", 5), ("erin", 3)):
        no = await completed(chat, user, 1)
        await chat.say(user, f"/review {no} {stars} fine")
    await chat.say(MERCHANT, f"/reviewreply {(await Review.get(stars=5)).id} Thanks")  # dave's
    await dash.login()

    _, body = await dash.get("/dashboard")
    assert ">1</strong>" in kpi(body, "questions")  # alice waits; bob answered, carol closed
    assert ">1</strong>" in kpi(body, "reviews")  # erin's review has no reply yet
    await chat.say("bob", f"/reply T{tickets['bob']} One more thing")
    _, body = await dash.get("/dashboard")
    assert ">2</strong>" in kpi(body, "questions")


async def test_settings_saved_or_errors_next_to_fields(dash: Dashboard) -> None:
    await dash.login()
    form = {"unpaid_timeout_minutes": "2", "autocomplete_days": "abc", "locale": "fr"}
    status, body, _ = await dash.post("/dashboard/settings", form)
    assert status == 400
    for field in ("unpaid_timeout_minutes", "autocomplete_days", "locale"):
        assert f'id="err-{field}"' in body
    assert "between 5 and 10080" in body.split('id="f-unpaid_timeout_minutes"')[1]
    shop = await Shop.get(slug="demo")
    assert (shop.unpaid_timeout_minutes, shop.autocomplete_days) == (30, 10)

    form = {"unpaid_timeout_minutes": "45", "autocomplete_days": "7", "locale": "zh_CN"}
    status, _, location = await dash.post("/dashboard/settings", form)
    assert status == 303 and location.endswith("done=saved")
    shop = await Shop.get(slug="demo")
    assert (shop.unpaid_timeout_minutes, shop.autocomplete_days, shop.locale) == (45, 7, "zh_CN")
    assert "45" in await dash.chat.text(MERCHANT, "/settings")


def selected(body: str, name: str) -> str:
    select = body.split(f'name="{name}"')[1].split("</select>")[0]
    found = re.search(r'<option value="([^"]+)" selected>', select)
    return found.group(1) if found else ""


def value(body: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="number" value="([^"]*)"', body)
    return found.group(1) if found else ""


async def test_quiet_hours_and_referral_policy_from_chat_or_page(dash: Dashboard) -> None:
    await dash.login()
    _, body = await dash.get("/dashboard/settings")
    assert (value(body, "quiet_start"), value(body, "quiet_end")) == ("22", "8")
    assert selected(body, "policy") == "first"
    await dash.chat.say(MERCHANT, "/quiet off")
    await dash.chat.say(MERCHANT, "/refpolicy last")
    _, body = await dash.get("/dashboard/settings")
    assert value(body, "quiet_start") == value(body, "quiet_end")  # off
    assert selected(body, "policy") == "last"

    bad = {"quiet_start": "25", "quiet_end": "x", "policy": "days", "policy_days": "0"}
    status, body, _ = await dash.post("/dashboard/settings/rules", bad)
    assert status == 400
    for field in ("quiet_start", "quiet_end", "policy_days"):
        assert f'id="err-{field}"' in body
    assert value(body, "quiet_start") == "25"  # what was typed stays
    program = await dash.chat.runtime.referral.program.get((await Shop.get(slug="demo")).id)
    assert str(program.policy) == "last"

    good = {"quiet_start": "23", "quiet_end": "7", "policy": "days", "policy_days": "30"}
    status, _, location = await dash.post("/dashboard/settings/rules", good)
    assert status == 303 and location.endswith("done=saved")
    shop = await Shop.get(slug="demo")
    assert await dash.chat.runtime.services.community.broadcasts.quiet_hours(shop.id) == (23, 7)
    program = await dash.chat.runtime.referral.program.get(shop.id)
    assert (str(program.policy), program.policy_days) == ("days", 30)
    status, _, _ = await dash.post("/dashboard/settings/rules", good, csrf=False)
    assert status == 403


async def test_switching_the_page_language(dash: Dashboard) -> None:
    await dash.login()
    _, body = await dash.get("/dashboard/orders")
    assert '<h1 class="page-title">Orders</h1>' in body
    status, _, location = await dash.post(
        "/dashboard/language", {"locale": "zh_CN", "next": "/dashboard/orders"}
    )
    assert status == 303 and location == "/dashboard/orders"
    _, body = await dash.get("/dashboard/orders")
    assert 'lang="zh-CN"' in body and "订单" in body
    # Only pages of the dashboard are places to go back to.
    _, _, location = await dash.post(
        "/dashboard/language", {"locale": "en", "next": "https://evil.example/"}
    )
    assert location == "/dashboard"


async def test_the_owner_removes_a_staff_member_and_staff_cannot(dash: Dashboard) -> None:
    chat = dash.chat
    for user in ("mia", "leo"):
        await chat.say(user, "/help")
        await chat.say(MERCHANT, f"/staff add {user}")
    shop = await Shop.get(slug="demo")
    mia = (await ShopMember.get(shop_id=shop.id, person__display_name="mia")).person_id  # type: ignore[attr-defined]
    owner = (await ShopMember.get(shop_id=shop.id, role=Role.OWNER)).person_id  # type: ignore[attr-defined]

    await dash.login("leo")  # staff see the team, without remove buttons
    status, body = await dash.get("/dashboard/settings")
    assert status == 200 and "mia" in body.split('id="team"')[1]
    assert "/dashboard/settings/team/" not in body
    status, body, _ = await dash.post(f"/dashboard/settings/team/{mia}/remove")
    assert status == 403 and "only the shop&#39;s owner" in body
    assert await ShopMember.exists(shop_id=shop.id, person_id=mia)

    await dash.login()
    status, _, location = await dash.post(f"/dashboard/settings/team/{mia}/remove")
    assert status == 303 and location.endswith("done=staff_removed#team")
    assert not await ShopMember.exists(shop_id=shop.id, person_id=mia)
    assert "only the shop" in await chat.text("mia", "/staff")  # no longer staff
    for person_id in (mia, owner, 99999):  # gone already, the owner, nobody
        assert (await dash.post(f"/dashboard/settings/team/{person_id}/remove"))[0] == 404
    assert await ShopMember.exists(shop_id=shop.id, person_id=owner, role=Role.OWNER)


async def test_switching_language_keeps_the_filters_and_never_lands_on_a_form_address(
    dash: Dashboard,
) -> None:
    await dash.login()
    # The switch on a filtered list returns to the same filtered list.
    _, body = await dash.get("/dashboard/orders?status=paid&q=Li+Si&done=x")
    assert 'name="next" value="/dashboard/orders?status=paid&amp;q=Li+Si"' in body
    # A form's answer (an error shown at the address the form posts to) has no page of its
    # own: the switch returns to the page above it, not to a "405 Method Not Allowed".
    status, body, _ = await dash.post(
        "/dashboard/members/levels", {"name": "Gold", "min_spend": "12,50", "discount": "5"}
    )
    assert status == 400 and 'name="next" value="/dashboard/members/levels"' in body
    for sent_to, lands in (
        ("/dashboard/members/levels", "/dashboard/members"),
        ("/dashboard/broadcasts/3/schedule", "/dashboard/broadcasts"),
        ("/dashboard/orders/ABCD2345/refund/approve", "/dashboard/orders/ABCD2345"),
        ("/dashboard/settings/team/invite", "/dashboard/settings"),
        ("/dashboard/orders?status=paid", "/dashboard/orders?status=paid"),
    ):
        status, _, location = await dash.post(
            "/dashboard/language", {"locale": "zh_CN", "next": sent_to}
        )
        assert (status, location) == (303, lands), sent_to
        assert (await dash.client.get(location)).status in (200, 404), location


async def test_a_forms_address_opened_in_the_browser_goes_to_the_forms_page(
    dash: Dashboard,
) -> None:
    """After an error the address bar shows where the form was sent; opening it again (Enter
    in the address bar, the history, a restored tab) is a GET it never answered: 405."""
    await dash.login()
    for form_address, page in (
        ("/dashboard/settings/rules", "/dashboard/settings"),
        ("/dashboard/members/levels", "/dashboard/members"),
        ("/dashboard/products/1/quick", "/dashboard/products/1"),
        ("/dashboard/broadcasts/3/schedule", "/dashboard/broadcasts"),
        ("/dashboard/language", "/dashboard"),
    ):
        resp = await dash.client.get(form_address, allow_redirects=False)
        assert (resp.status, resp.headers.get("Location")) == (303, page), form_address
    # An address that is no page at all: the dashboard's own "not found", in its language.
    status, body = await dash.get("/dashboard/no-such-page")
    assert status == 404 and "Not found" in body and 'class="nav"' in body
    # Signed out, it asks to sign in, as every page does.
    dash.client.session.cookie_jar.clear()
    status, body = await dash.get("/dashboard/no-such-page")
    assert status == 401 and "Please sign in" in body


async def test_the_quiet_hours_say_which_time_zone_they_are_in(dash: Dashboard) -> None:
    await Shop.filter(slug="demo").update(timezone="Europe/Berlin")
    await dash.login()
    _, body = await dash.get("/dashboard/settings")
    hint = body.split('id="f-quiet_start"')[1].split("</label>")[0]
    assert "time zone (Europe/Berlin)" in hint


async def test_to_ship_leaves_out_paid_seats_whose_group_has_not_filled(dash: Dashboard) -> None:
    no = await place_order(dash.chat)
    await dash.chat.say(MERCHANT, f"/paid {no}")
    _, seat = await open_group(dash.chat, "bob", await campaign(dash.chat))  # a group of 3
    await dash.chat.say(MERCHANT, f"/paid {seat}")
    await dash.login()
    _, body = await dash.get("/dashboard")
    assert '<strong class="kpi-value" id="to-ship">1</strong>' in body  # the seat can't ship
    assert "1 more paid in a group buy that has not filled yet" in body
