"""Group-buy offers made and stopped on the dashboard: the offer customers then open groups
of in chat; bad fields are refused beside themselves and change nothing."""

from __future__ import annotations

from decimal import Decimal

from store.groupbuy.models import CampaignStatus, GroupCampaign
from tests.conftest import MERCHANT
from tests.dashboard.conftest import Dashboard
from tests.groupbuy.test_chat import TEA, campaign, open_group

OFFER = {"product": str(TEA), "price": "99", "size": "3", "duration": "24h"}


async def offers() -> list[tuple[object, ...]]:
    return [
        (c.product_id, c.group_price, c.size, c.status)  # type: ignore[attr-defined]
        for c in await GroupCampaign.all().order_by("id")
    ]


async def test_an_offer_made_on_the_dashboard_opens_groups_in_chat(dash: Dashboard) -> None:
    await dash.login()
    form = OFFER | {"until": "2026-12-31", "leader": "89", "limit": "2", "cap": "30"}
    status, _, location = await dash.post("/dashboard/groupbuys", form)
    campaign = await GroupCampaign.get()
    assert status == 303 and location.endswith(f"done=created#campaign-{campaign.id}")
    assert (campaign.group_price, campaign.leader_price, campaign.size) == (
        Decimal("99.00"),
        Decimal("89.00"),
        3,
    )
    assert (campaign.group_seconds, campaign.per_customer, campaign.seat_cap) == (86400, 2, 30)
    assert campaign.ends_at.isoformat().startswith("2026-12-31T15:59:59")  # Shanghai's day end

    code, _ = await open_group(dash.chat, "alice", campaign.id)
    _, body = await dash.get("/dashboard/groupbuys")
    assert f'id="group-{code}"' in body

    status, _, location = await dash.post(f"/dashboard/groupbuys/{campaign.id}/stop")
    assert status == 303 and location.endswith("done=stopped" + f"#campaign-{campaign.id}")
    assert (await GroupCampaign.get()).status == CampaignStatus.STOPPED
    assert "not open for new groups" in await dash.chat.text("bob", f"/gbopen {campaign.id}")
    _, body = await dash.get("/dashboard/groupbuys")
    assert f'action="/dashboard/groupbuys/{campaign.id}/stop"' not in body
    assert f'id="group-{code}"' in body  # the open group runs to its end


async def test_the_chats_other_choices_are_on_the_form_too(dash: Dashboard) -> None:
    await dash.login()
    form = OFFER | {"reward": "5", "min": "2", "pay": "30m", "start": "2026-11-25T09:00"}
    status, _, _ = await dash.post("/dashboard/groupbuys", form)
    campaign = await GroupCampaign.get()
    assert status == 303
    assert (campaign.leader_price, campaign.min_members, campaign.pay_seconds) == (
        Decimal("94.00"),  # the group price less the leader's reward
        2,
        1800,
    )
    assert campaign.starts_at.isoformat().startswith("2026-11-25T01:00:00")  # Shanghai 09:00
    assert "not open for new groups" in await dash.chat.text("alice", f"/gbopen {campaign.id}")
    # The list says it hasn't started yet, and when it will.
    _, body = await dash.get("/dashboard/groupbuys")
    row = body.split(f'id="campaign-{campaign.id}"')[1].split("</tr>")[0]
    assert "starts 2026-11-25 09:00" in row


async def test_bad_fields_are_refused_beside_themselves(dash: Dashboard) -> None:
    await dash.login()
    for changes, field, says in (
        ({"price": "abc"}, "price", "not an amount of money"),
        ({"price": "200"}, "price", "lower than the normal price (CN¥128.00)"),
        ({"size": "1"}, "size", "A group has"),
        ({"duration": "soon"}, "duration", "not a duration"),
        ({"until": "2026-01-01"}, "until", "in the future"),
        ({"until": "someday"}, "until", "not a date"),
        ({"leader": "100"}, "leader", "can&#39;t be above the group price"),
        ({"limit": "0"}, "limit", "“limit” must be"),
        ({"cap": "2"}, "cap", "at least 3 seats"),
        ({"reward": "99"}, "reward", "less than the group price"),
        ({"reward": "5", "leader": "90"}, "reward", "either a price"),
        ({"min": "9"}, "min", "from 2 to 3"),
        ({"pay": "10s"}, "pay", "too short"),
        ({"start": "soon"}, "start", "not a date"),
        ({"product": "99999"}, "product", "no product"),
        ({"product": "abc"}, "product", "not a valid number"),
    ):
        status, body, _ = await dash.post("/dashboard/groupbuys", OFFER | changes)
        assert status == 400, changes
        error = body.split(f'id="err-{field}"')[1].split("</small>")[0]
        assert says in error, (changes, error)
    assert 'value="99"' in body.split('id="f-price"')[1]  # what was typed stays
    assert await offers() == []


async def test_another_shops_offer_and_forged_posts_change_nothing(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("rival", "/newshop Rival Tea")
    await chat.say("rival", "/addproduct Rival tea | 10 | 5")
    await chat.say("rival", "/gbnew 10 8 2 1h")
    rival = await GroupCampaign.get()
    await dash.login()
    for path in (f"/dashboard/groupbuys/{rival.id}/stop", "/dashboard/groupbuys/x/stop"):
        assert (await dash.post(path))[0] == 404, path
    assert (await dash.post("/dashboard/groupbuys", OFFER | {"product": "10"}))[0] == 400
    assert (await dash.post("/dashboard/groupbuys", OFFER, csrf=False))[0] == 403
    assert await offers() == [(10, Decimal("8.00"), 2, CampaignStatus.ACTIVE)]


async def test_a_paid_seat_waits_for_its_group_on_the_order_page(dash: Dashboard) -> None:
    cid = await campaign(dash.chat)
    code, no = await open_group(dash.chat, "alice", cid)
    await dash.chat.say(MERCHANT, f"/paid {no}")
    await dash.login()
    _, body = await dash.get(f"/dashboard/orders/{no}")
    assert f"A seat of group {code} (1/3 paid)" in body and 'id="ship"' not in body
