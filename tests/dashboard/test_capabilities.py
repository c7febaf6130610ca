"""Read-only pages of the capabilities beside the store core: group buys, agents."""

from __future__ import annotations

import re
from decimal import Decimal

from referral.models import Agent, Withdrawal
from store.community.models import Broadcast
from store.groupbuy.service import NewCampaign
from store.orders import Contact
from tests.conftest import MERCHANT, FakeClock
from tests.dashboard.conftest import Dashboard
from tests.test_chat_flow import place_order

CONTACT = Contact("Zhang San", "13800138000", "1 Wensan Road, Hangzhou")


async def draft_to_all(dash: Dashboard) -> Broadcast:
    """The owner's draft "Hi" to everyone, with alice subscribed."""
    await dash.chat.say("alice", "/start")
    services = dash.chat.runtime.services
    shop = await services.shops.by_slug("demo")
    owner = (await services.shops.staff(shop.id))[0]
    return await services.community.broadcasts.draft(shop.id, owner.person_id, "all", "Hi")  # type: ignore[attr-defined]


async def test_group_buys_show_fill_time_left_and_completion(
    dash: Dashboard, clock: FakeClock
) -> None:
    services = dash.chat.runtime.services
    shop = await services.shops.by_slug("demo")
    campaign = await services.groupbuys.create_campaign(
        shop.id,
        NewCampaign(product_id=1, group_price=Decimal("99.00"), size=3, group_seconds=2 * 3600),
    )
    people = [await services.people.identify("sim", name) for name in ("alice", "bob")]
    seat = await services.groupbuys.open_group(
        shop.id,
        campaign.id,
        people[0].person_id,
        CONTACT,  # type: ignore[attr-defined]
    )
    await services.groupbuys.join(shop.id, seat.group.code, people[1].person_id, CONTACT)  # type: ignore[attr-defined]
    await services.payments.confirm_manual(seat.order)
    # Another shop's group never shows.
    await dash.chat.say("rival", "/newshop Rival Tea")
    await dash.chat.say("rival", "/addproduct Rival tea | 10 | 5")
    rival = await services.shops.by_slug("rival-tea")
    rival_campaign = await services.groupbuys.create_campaign(
        rival.id, NewCampaign(product_id=10, group_price=Decimal("8"), size=2, group_seconds=3600)
    )
    rival_seat = await services.groupbuys.open_group(
        rival.id,
        rival_campaign.id,
        people[1].person_id,
        CONTACT,  # type: ignore[attr-defined]
    )
    clock.advance(minutes=35)
    await dash.login()

    status, body = await dash.get("/dashboard/groupbuys")
    assert status == 200
    group = body.split(f'id="group-{seat.group.code}"')[1].split("</li>")[0]
    assert 'aria-valuenow="2"' in group and "width: 66%" in group
    assert "2 of 3 joined, 1 paid" in group and "1 h 25 min left" in group
    assert "CN¥99.00" in body and "—" in body  # no group ended yet: no rate
    assert rival_seat.group.code not in body and "Rival tea" not in body

    _, overview = await dash.get("/dashboard")
    assert "Open group buys" in overview and "width: 66%" in overview

    # The group's time runs out: it fails, and the campaign's completion rate says so.
    clock.advance(hours=2)
    await services.groupbuy_sweep.run()
    _, body = await dash.get("/dashboard/groupbuys")
    assert seat.group.code not in body and "No group is filling" in body
    assert re.search(r">0 / 1<", body) and ">0%<" in body


async def test_agents_balances_ledger_and_exports(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("alice", "/ref")
    agent = await Agent.get(person__identities__platform_user_id="alice")
    await chat.say("bob", f"/start ref_{agent.code}")
    no = await place_order(chat, "bob", product=1, qty=1)  # 128.00, 10 % to alice
    await chat.say(MERCHANT, f"/paid {no}")
    # An agent of another shop is not ours to see.
    await chat.say("rival", "/newshop Rival Tea")
    await chat.say("carol", "/ref")
    rival = await Agent.get(person__identities__platform_user_id="carol")
    await Agent.filter(id=rival.id).update(
        shop_id=(await chat.runtime.services.shops.by_slug("rival-tea")).id
    )
    await dash.login()

    status, body = await dash.get("/dashboard/agents")
    assert status == 200
    row = body.split(f'id="agent-{agent.id}"')[1].split("</tr>")[0]
    assert "CN¥12.80" in row  # pending until delivery and the freeze period
    assert "Top agents this month" in body and "a****" in body
    assert "10%" in body and "Level 1" in body
    assert f'id="agent-{rival.id}"' not in body

    status, body = await dash.get(f"/dashboard/agents/{agent.id}")
    assert status == 200 and no in body and "commission" in body and "CN¥12.80" in body
    assert (await dash.get(f"/dashboard/agents/{rival.id}"))[0] == 404
    assert (await dash.get("/dashboard/agents/999999"))[0] == 404

    resp = await dash.client.get("/dashboard/agents/ledger.csv")
    text = (await resp.read()).decode("utf-8-sig")
    assert resp.status == 200 and agent.code in text and "12.80" in text
    # Times in the shop's time zone, as everywhere on the dashboard (12:00 UTC is 20:00).
    assert ",2026-11-21 20:00," in text and "+00:00" not in text
    resp = await dash.client.get("/dashboard/agents/withdrawals.csv")
    assert resp.status == 200 and "amount" in (await resp.read()).decode("utf-8-sig")


async def test_broadcasts_progress_and_segment_preview(dash: Dashboard) -> None:
    chat = dash.chat
    for user in ("alice", "bob"):
        await chat.say(user, "/start")  # joins the shop's community
    services = chat.runtime.services
    shop = await services.shops.by_slug("demo")
    owner = (await services.shops.staff(shop.id))[0]
    broadcasts = services.community.broadcasts
    draft = await broadcasts.draft(shop.id, owner.person_id, "all", "New tea is in!")  # type: ignore[attr-defined]
    await chat.say("rival", "/newshop Rival Tea")
    rival = await services.shops.by_slug("rival-tea")
    other = await broadcasts.draft(rival.id, owner.person_id, "all", "Rival news")  # type: ignore[attr-defined]
    await dash.login()

    status, body = await dash.get("/dashboard/broadcasts?segment=all")
    assert status == 200
    size = await broadcasts.size(shop.id, "all")
    assert size >= 2 and f"reaches {size} people" in body
    card = body.split(f'id="broadcast-{draft.id}"')[1].split("</li>")[0]
    assert "New tea is in!" in card and "width: 0%" in card
    assert "data-progress" not in card  # a draft is not running: nothing to follow
    assert "Rival news" not in body

    _, body = await dash.get("/dashboard/broadcasts?segment=nonsense:1")
    field = body.split('id="f-audience"')[1].split("</label>")[0]
    assert 'id="err-audience"' in field and "is not a segment" in field
    compose = body.split('id="f-segment"')[1].split("</label>")[0]  # the new broadcast's own
    assert 'value="nonsense:1"' in compose and "error" not in compose
    assert body.count('id="f-segment"') == 1

    await broadcasts.send_now(shop.id, draft.id)
    _, body = await dash.get("/dashboard/broadcasts")
    card = body.split(f'id="broadcast-{draft.id}"')[1].split("</li>")[0]
    assert f'data-progress="/dashboard/broadcasts/{draft.id}/progress"' in card
    resp = await dash.client.get(f"/dashboard/broadcasts/{draft.id}/progress")
    progress = await resp.json()
    assert resp.status == 200 and progress["id"] == draft.id
    assert progress["audience"] == size and 0 <= progress["percent"] <= 100
    assert (await dash.get(f"/dashboard/broadcasts/{other.id}/progress"))[0] == 404


async def test_withdrawals_are_decided_on_the_agents_page(
    dash: Dashboard, clock: FakeClock
) -> None:
    chat = dash.chat
    await chat.say("alice", "/ref")
    agent = await Agent.get(person__identities__platform_user_id="alice")
    await chat.say("bob", f"/start ref_{agent.code}")
    no = await place_order(chat, "bob", product=1, qty=1)  # 12.80 of commission to alice
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/ship {no} SF SF1")
    await chat.say("bob", f"/received {no}")
    clock.advance(days=8)
    await chat.runtime.referral.ledger.release_due()
    await chat.say("alice", "/withdraw 12")
    [first] = await Withdrawal.filter(agent_id=agent.id)
    await dash.login()

    status, body = await dash.get("/dashboard/agents")
    assert status == 200 and f'id="withdrawal-{first.id}"' in body
    # no reason, no refusal; no CSRF token, nothing at all
    status, body, _ = await dash.post(f"/dashboard/agents/withdrawals/{first.id}/reject")
    assert status == 400  # said beside that withdrawal's reason field
    row = body.split(f'id="withdrawal-{first.id}"')[1].split("</tr>")[0]
    assert f'id="err-reason-{first.id}" role="alert">Please give a reason' in row
    status, _, _ = await dash.post(f"/dashboard/agents/withdrawals/{first.id}/approve", csrf=False)
    assert status == 403
    assert (await Withdrawal.get(id=first.id)).status == "pending"

    status, _, location = await dash.post(
        f"/dashboard/agents/withdrawals/{first.id}/reject", {"reason": "wrong account name"}
    )
    assert status == 303 and location.endswith("done=rejected")
    assert (await Withdrawal.get(id=first.id)).status == "rejected"
    assert "wrong account name" in chat.pushed("alice")
    # deciding twice changes nothing and says so
    status, _, _ = await dash.post(f"/dashboard/agents/withdrawals/{first.id}/approve")
    assert status == 409 and (await Withdrawal.get(id=first.id)).status == "rejected"

    await chat.say("alice", "/withdraw 12")
    second = await Withdrawal.filter(agent_id=agent.id, status="pending").first()
    assert second is not None
    status, _, location = await dash.post(f"/dashboard/agents/withdrawals/{second.id}/approve")
    assert status == 303 and location.endswith("done=approved")
    assert (await Withdrawal.get(id=second.id)).status == "approved"
    assert (await dash.post("/dashboard/agents/withdrawals/999999/approve"))[0] == 404

    # The agent's own page lists their withdrawals, as decided.
    _, body = await dash.get(f"/dashboard/agents/{agent.id}")
    listed = body.split('id="withdrawals"')[1].split("</table>")[0]
    assert "refused · wrong account name" in listed.split(f'id="withdrawal-{first.id}"')[1]
    assert "paid out" in listed.split(f'id="withdrawal-{second.id}"')[1]


async def test_broadcasts_composed_scheduled_sent_and_cancelled_on_the_page(
    dash: Dashboard,
) -> None:
    chat = dash.chat
    await chat.say("alice", "/start")
    services = chat.runtime.services
    shop = await services.shops.by_slug("demo")
    await chat.say("rival", "/newshop Rival Tea")
    rival = await services.shops.by_slug("rival-tea")
    rival_owner = (await services.shops.staff(rival.id))[0]
    other = await services.community.broadcasts.draft(
        rival.id,
        rival_owner.person_id,
        "all",
        "Rival news",  # type: ignore[attr-defined]
    )
    await dash.login()

    # errors next to their field, nothing saved
    status, body, _ = await dash.post(
        "/dashboard/broadcasts", {"segment": "nonsense:1", "text": "Hi", "image_url": ""}
    )
    assert status == 400 and 'id="err-segment"' in body
    status, body, _ = await dash.post(
        "/dashboard/broadcasts", {"segment": "all", "text": "", "image_url": ""}
    )
    assert status == 400 and 'id="err-text"' in body
    assert await Broadcast.filter(shop_id=shop.id).count() == 0

    status, _, location = await dash.post(
        "/dashboard/broadcasts", {"segment": "all", "text": "Autumn tea is here", "image_url": ""}
    )
    assert status == 303 and "done=drafted" in location
    draft = await Broadcast.get(shop_id=shop.id)
    assert (draft.status, draft.text) == ("draft", "Autumn tea is here")

    status, body, _ = await dash.post(
        f"/dashboard/broadcasts/{draft.id}/schedule", {"at": "2020-01-01 10:00"}
    )
    assert status == 409 and (await Broadcast.get(id=draft.id)).status == "draft"
    status, _, _ = await dash.post(f"/dashboard/broadcasts/{draft.id}/schedule", {"at": "23:59"})
    assert status == 303 and (await Broadcast.get(id=draft.id)).status == "scheduled"
    status, _, _ = await dash.post(f"/dashboard/broadcasts/{draft.id}/send")
    assert status == 303 and (await Broadcast.get(id=draft.id)).status == "sending"
    status, _, _ = await dash.post(f"/dashboard/broadcasts/{draft.id}/cancel")
    assert status == 303 and (await Broadcast.get(id=draft.id)).status == "cancelled"
    status, _, _ = await dash.post(f"/dashboard/broadcasts/{draft.id}/send")
    assert status == 409  # cancelled stays cancelled

    # another shop's broadcast, an unknown action, no CSRF token: nothing happens
    assert (await dash.post(f"/dashboard/broadcasts/{other.id}/send"))[0] == 404
    assert (await dash.post(f"/dashboard/broadcasts/{draft.id}/explode"))[0] == 404
    assert (await dash.post(f"/dashboard/broadcasts/{other.id}/cancel", csrf=False))[0] == 403
    assert (await Broadcast.get(id=other.id)).status == "draft"


async def test_commission_rates_set_on_the_agents_page(dash: Dashboard) -> None:
    await dash.login()
    shop = await dash.chat.runtime.services.shops.by_slug("demo")
    program = dash.chat.runtime.referral.program  # type: ignore[union-attr]
    before = (await program.get(shop.id)).rates()

    for bad, field in (
        ({"level1": "abc"}, "level1"),
        ({"level1": "10", "level2": "1.234"}, "level2"),
        ({"level1": "40", "level2": "30"}, "level1"),
        ({}, "level1"),
    ):
        status, body, _ = await dash.post("/dashboard/agents/rates", bad)
        assert status == 400 and f'id="err-{field}"' in body, bad
        assert (await program.get(shop.id)).rates() == before
    # Nothing typed: asked for, not "“” is not a percentage".
    _, body, _ = await dash.post("/dashboard/agents/rates", {"level1": ""})
    assert 'id="err-level1" role="alert">Please fill this in.' in body
    # A level 3 without a level 2 is not silently dropped.
    status, body, _ = await dash.post(
        "/dashboard/agents/rates", {"level1": "10", "level2": "", "level3": "3"}
    )
    assert status == 400 and 'id="err-level2" role="alert">Please fill this in.' in body
    assert (await program.get(shop.id)).rates() == before

    status, _, location = await dash.post(
        "/dashboard/agents/rates", {"level1": "12.5", "level2": "3", "level3": ""}
    )
    assert status == 303 and location.endswith("done=rates")
    assert (await program.get(shop.id)).rates() == [1250, 300]
    _, body = await dash.get("/dashboard/agents")
    assert 'name="level1" type="text" value="12.5"' in body


async def test_scheduling_says_what_went_wrong_on_the_card_and_when_quiet_hours_end(
    dash: Dashboard,
) -> None:
    draft = await draft_to_all(dash)
    await dash.login()

    # A refusal is shown on the broadcast's card, beside its time field, the time kept.
    status, body, _ = await dash.post(
        f"/dashboard/broadcasts/{draft.id}/schedule", {"at": "2020-01-01 10:00"}
    )
    assert status == 409
    card = body.split(f'id="broadcast-{draft.id}"')[1].split("</li>")[0]
    assert f'id="problem-{draft.id}"' in card and "has already passed" in card
    assert 'value="2020-01-01 10:00"' in card
    assert '<p class="alert"' not in body.split("<ul")[0]  # not (also) at the top

    # 20:00 in Shanghai now; 23:30 is in the quiet hours (22-8): it waits until 08:00.
    status, _, _ = await dash.post(f"/dashboard/broadcasts/{draft.id}/schedule", {"at": "23:30"})
    assert status == 303
    _, body = await dash.get("/dashboard/broadcasts?done=schedule")
    card = body.split(f'id="broadcast-{draft.id}"')[1].split("</li>")[0]
    assert "at 2026-11-21 23:30" in card
    assert "it goes out when they end, at 2026-11-22 08:00" in card
    await dash.post(f"/dashboard/broadcasts/{draft.id}/schedule", {"at": "21:15"})
    _, body = await dash.get("/dashboard/broadcasts")
    card = body.split(f'id="broadcast-{draft.id}"')[1].split("</li>")[0]
    assert "at 2026-11-21 21:15" in card and "quiet hours" not in card


async def test_actions_that_cannot_be_undone_ask_first(dash: Dashboard) -> None:
    """Sending a broadcast reaches everyone at once; cancelling it, removing a member level
    or a 满减 rule, ending a flash sale can't be taken back: each button asks first."""
    chat = dash.chat
    await chat.say("alice", "/start")
    services = chat.runtime.services
    shop = await services.shops.by_slug("demo")
    owner = (await services.shops.staff(shop.id))[0]
    draft = await services.community.broadcasts.draft(shop.id, owner.person_id, "all", "Hi")  # type: ignore[attr-defined]
    for command in (
        "/level add Gold 100 5",
        "/fullreduce 300 30",
        "/flash 1 99 now 2h cap=10 limit=2",
    ):
        await chat.say(MERCHANT, command)
    await dash.login()

    def asks(body: str, button: str) -> str:
        found = re.search(rf'<button[^>]*{button}[^>]*data-confirm="([^"]+)"', body)
        assert found, button
        return found.group(1)

    _, body = await dash.get("/dashboard/broadcasts")
    size = await services.community.broadcasts.size(shop.id, "all")
    sends = asks(body, f'id="send-{draft.id}"')
    assert sends == f"Send broadcast #{draft.id} to {size} people now?"
    assert f"Cancel broadcast #{draft.id}?" in asks(body, f'id="cancel-{draft.id}"')
    _, body = await dash.get("/dashboard/members")
    assert "Remove level Gold?" in asks(body, 'class="danger small"')
    _, body = await dash.get("/dashboard/promotions")
    rules = body.split("/dashboard/promotions/rules/")[1]
    assert "spend-and-save rule" in asks(rules, 'class="danger small"')
    sales = body.split("/dashboard/promotions/flash/")[1]
    assert "End the flash sale of" in asks(sales, 'class="danger small"')


async def test_sending_now_in_quiet_hours_says_so_first(dash: Dashboard, clock: FakeClock) -> None:
    """Send now goes out at once, quiet hours or not (a schedule waits them out): the
    question before it says when it is quiet hours."""
    draft = await draft_to_all(dash)
    await dash.login()
    _, body = await dash.get("/dashboard/broadcasts")  # 20:00 in Shanghai
    assert "Send now sends at once" in body
    send = body.split(f'id="send-{draft.id}"')[1].split(">")[0]
    assert "quiet hours" not in send
    clock.advance(hours=3)  # 23:00: quiet hours (22-8)
    _, body = await dash.get("/dashboard/broadcasts")
    send = body.split(f'id="send-{draft.id}"')[1].split(">")[0]
    assert "It is quiet hours now. Send broadcast" in send


async def test_a_draft_that_reaches_nobody_says_so(dash: Dashboard) -> None:
    await dash.chat.say("alice", "/start")
    services = dash.chat.runtime.services
    shop = await services.shops.by_slug("demo")
    owner = (await services.shops.staff(shop.id))[0]
    broadcasts = services.community.broadcasts
    nobody = await broadcasts.draft(shop.id, owner.person_id, "tag:nobody", "Hi")  # type: ignore[attr-defined]
    everyone = await broadcasts.draft(shop.id, owner.person_id, "all", "Hi")  # type: ignore[attr-defined]
    await dash.login()
    _, body = await dash.get("/dashboard/broadcasts")
    assert f'id="nobody-{nobody.id}"' in body and f'id="nobody-{everyone.id}"' not in body
