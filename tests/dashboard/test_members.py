"""Members on the dashboard: the points rule and member levels, changed by the owner only,
and the best customers with their points, spend and level."""

from __future__ import annotations

from decimal import Decimal

from store.loyalty.models import LevelRule, Member, PointsProgram
from store.models import Shop
from tests.conftest import MERCHANT
from tests.dashboard.conftest import Dashboard
from tests.reviews.test_reviews import completed


def field_error(body: str, name: str) -> str:
    return body.split(f'id="f-{name}"')[1].split("</label>")[0]


async def rules() -> tuple[object, ...]:
    program = await PointsProgram.get_or_none()
    levels = await LevelRule.all().order_by("min_spend").values_list("name", "min_spend")
    return (program and (program.enabled, program.earn_rate, program.redeem_points), levels)


async def test_owner_sets_points_and_levels_and_customers_earn_by_them(dash: Dashboard) -> None:
    await dash.login()
    data = {"earn": "2", "value": "50", "cap": "30"}
    status, _, location = await dash.post("/dashboard/members/rule", data)
    assert status == 303 and location.endswith("done=points")
    program = await PointsProgram.get()
    assert (program.enabled, program.earn_rate, program.redeem_points, program.cap_percent) == (
        True,
        Decimal("2.00"),
        50,
        30,
    )
    for name, spend, discount in (("Silver", "100", "5"), ("Gold", "1000", "9.5")):
        data = {"name": name, "min_spend": spend, "discount": discount}
        status, _, _ = await dash.post("/dashboard/members/levels", data)
        assert status == 303
    assert "Gold: from CN¥1,000.00, 9.5% off" in await dash.chat.text("alice", "/levels")

    await completed(dash.chat, "alice", 1)  # 128.00: 256 points, Silver
    _, body = await dash.get("/dashboard/members")
    row = body.split("<tbody>")[1].split("</tr>")[0]
    assert "alice" in row and "CN¥128.00" in row and "256" in row and "Silver" in row
    assert "2 points per CN¥1.00 paid" in body

    # The same name changes the level; removing takes it away.
    await dash.post(
        "/dashboard/members/levels", {"name": "Silver", "min_spend": "50", "discount": "3"}
    )
    assert (await LevelRule.get(name="Silver")).min_spend == 50
    status, _, _ = await dash.post("/dashboard/members/levels/remove", {"name": "Gold"})
    assert status == 303 and not await LevelRule.exists(name="Gold")
    status, body, _ = await dash.post("/dashboard/members/levels/remove", {"name": "Gold"})
    assert status == 409 and "no level “Gold”" in body and "See /levels" not in body

    status, _, _ = await dash.post("/dashboard/members/rule", {"switch": "off"})
    assert status == 303 and not (await PointsProgram.get()).enabled
    assert (await Member.get()).balance == 256  # balances stay
    _, body = await dash.get("/dashboard/members")
    assert "Switch points on" in body


async def test_bad_values_are_refused_beside_their_fields(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/level add Silver 100 5")
    before = await rules()
    await dash.login()
    for data, name, says in (
        ({"earn": "abc"}, "earn", "“earn” is the points per 1 paid"),
        ({"earn": "1", "value": "0"}, "value", "“value” is how many points pay 1"),
        ({"cap": "101"}, "cap", "whole percentage from 0 to 100"),
    ):
        status, body, _ = await dash.post("/dashboard/members/rule", data)
        assert status == 400 and says in field_error(body, name), data
    for data, name, says in (
        ({"name": "silver", "min_spend": "700", "discount": "7"}, "name", "already"),
        ({"name": "two words", "min_spend": "1", "discount": "1"}, "name", "one word"),
        (
            {"name": "Gold", "min_spend": "x", "discount": "1"},
            "min_spend",
            "not an amount of money",
        ),
        ({"name": "Gold", "min_spend": "500", "discount": "100"}, "discount", "below 100"),
        ({"name": "Gold", "min_spend": "100", "discount": "9"}, "min_spend", "already starts"),
    ):
        status, body, _ = await dash.post("/dashboard/members/levels", data)
        assert status == 400 and says in field_error(body, name), data
    assert 'value="two words"' not in body and 'value="Gold"' in body  # the last form is kept
    assert await rules() == before


async def test_staff_see_but_only_the_owner_changes(dash: Dashboard) -> None:
    await dash.chat.say(MERCHANT, "/pointsrule earn=1 value=100 cap=20")
    await dash.chat.say("mia", "/help")
    await dash.chat.say(MERCHANT, "/staff add mia")
    before = await rules()
    await dash.login("mia")
    status, body = await dash.get("/dashboard/members")
    assert status == 200 and "1 point per CN¥1.00 paid" in body
    assert 'action="/dashboard/members/rule"' not in body and "Only the shop" in body
    for path, data in (
        ("/dashboard/members/rule", {"earn": "5"}),
        ("/dashboard/members/rule", {"switch": "off"}),
        ("/dashboard/members/levels", {"name": "VIP", "min_spend": "1", "discount": "50"}),
        ("/dashboard/members/levels/remove", {"name": "VIP"}),
    ):
        status, body, _ = await dash.post(path, data)
        assert status == 403 and "only the shop&#39;s owner" in body, path
    assert (await dash.post("/dashboard/members/rule", {"earn": "5"}, csrf=False))[0] == 403
    assert await rules() == before


async def test_the_points_rule_reads_right_with_one_point_and_with_many(dash: Dashboard) -> None:
    """Each count has its own sentence, singular or plural (one sentence can't be both)."""
    await dash.login()
    for data, says in (
        (
            {"earn": "1", "value": "1", "cap": "20"},
            ("1 point per CN¥1.00 paid, when the order completes.", "1 point pays CN¥1.00."),
        ),
        (
            {"earn": "1.5", "value": "100", "cap": "20"},
            ("1.5 points per CN¥1.00 paid", "100 points pay CN¥1.00."),
        ),
    ):
        await dash.post("/dashboard/members/rule", data)
        _, body = await dash.get("/dashboard/members")
        rule = body.split('id="points-rule"')[1].split("</p>")[0]
        for text in (*says, "Points pay at most 20% of an order."):
            assert text in rule, (text, rule)
        assert "1 points" not in rule and "1 point pay " not in rule
    await dash.post("/dashboard/language", {"locale": "zh_CN", "next": "/dashboard/members"})
    _, body = await dash.get("/dashboard/members")
    rule = body.split('id="points-rule"')[1].split("</p>")[0]
    for text in ("每付 ¥1.00 得 1.5 积分。", "100 积分抵 ¥1.00。", "积分最多抵订单的 20%。"):
        assert text in rule, (text, rule)


async def test_the_points_fields_name_the_shops_currency(dash: Dashboard) -> None:
    await Shop.filter(slug="demo").update(currency="USD")
    await dash.login()
    _, body = await dash.get("/dashboard/members")
    assert "Points per US$1.00 paid" in body or "Points per $1.00 paid" in body
    await dash.post("/dashboard/language", {"locale": "zh_CN", "next": "/dashboard/members"})
    _, body = await dash.get("/dashboard/members")
    assert "元" not in body.split('id="points-rule"')[1].split("</section>")[0]
    assert "每付 US$1.00 得积分" in body
