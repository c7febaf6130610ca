"""Group buying through the chat, as the simulator drives it: merchants, customers, cards."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from bot.simulator.inbox import PLATFORM
from store.groupbuy.models import GroupBuy, GroupCampaign, GroupSeat, GroupStatus
from store.models import Order, OrderStatus, Person, Product, RefundJob, RefundStatus
from tests.conftest import MERCHANT, Chat, FakeClock

TEA = 1  # demo product: Longjing tea, 128.00, stock 50


def group_code(text: str) -> str:
    match = re.search(r"group ([2-9A-Z]{6})\b", text)
    assert match, text
    return match.group(1)


def order_no(text: str) -> str:
    match = re.search(r"Order ([2-9A-Z]{8}):", text)
    assert match, text
    return match.group(1)


async def give_contact(chat: Chat, user: str) -> str:
    """Answer the three delivery questions a first-time customer is asked."""
    await chat.say(user, user.title())
    await chat.say(user, "13800138000")
    return await chat.text(user, "88 Nanjing Road, Shanghai")


async def campaign(chat: Chat, args: str = "100 3 2h") -> int:
    text = await chat.text(MERCHANT, f"/gbnew {TEA} {args}")
    assert "created" in text, text
    return (await GroupCampaign.all().order_by("-id").first()).id


async def open_group(chat: Chat, user: str, campaign_id: int) -> tuple[str, str]:
    text = await chat.text(user, f"/gbopen {campaign_id}")
    if "1/3" in text:
        text = await give_contact(chat, user)
    return group_code(text), order_no(text)


async def join(chat: Chat, user: str, code: str) -> str:
    text = await chat.text(user, f"/join {code}")
    if "1/3" in text:
        text = await give_contact(chat, user)
    return text


async def stock() -> int:
    return (await Product.get(id=TEA)).stock


async def test_merchant_bad_input_changes_nothing(chat: Chat) -> None:
    cases = {
        f"/gbnew {TEA} 130 3 2h": "lower than the normal price",
        f"/gbnew {TEA} 100 1 2h": "2 to 50 people",
        f"/gbnew {TEA} 100 500 2h": "2 to 50 people",
        f"/gbnew {TEA} 100 3 0s": "too short or too long",
        f"/gbnew {TEA} 100 3 soon": "not a duration",
        f"/gbnew {TEA} 100 3 2h 2026-13-40": "not a date",
        f"/gbnew {TEA} 100 3 2h 2020-01-01": "must end in the future",
        f"/gbnew {TEA} 100 3 2h start=2020-01-01": "after it starts (without an end date, 30 days",
        f"/gbnew {TEA} 100 3 2h bonus=1": "“bonus=1” is not an option here",
        f"/gbnew {TEA} 100 3 2h leader=120": "leader's price",
        f"/gbnew {TEA} 100 3 2h min=4": "“min” must be from 2 to 3",
        "/gbnew 999 100 3 2h": "no product 999",
        f"/gbnew {TEA} 100": "Usage: /gbnew",
    }
    for line, expected in cases.items():
        assert expected in await chat.text(MERCHANT, line), line
    assert "only the shop's owner and staff" in await chat.text("alice", f"/gbnew {TEA} 100 3 2h")
    assert not await GroupCampaign.exists()


async def test_a_group_fills_completes_and_everyone_hears(chat: Chat) -> None:
    cid = await campaign(chat, "100 3 2h leader=90")
    assert "/gbopen" in await chat.text("alice", "/groupbuys")
    code, alice_order = await open_group(chat, "alice", cid)
    assert (await Order.get(order_no=alice_order)).total == 90  # the leader's price
    card = chat.inbox.take("alice")
    assert "1/3 joined · 0 paid · 2h 0m left" in card[0].text
    assert card[0].buttons[0][0].payload == f"/join {code}"

    # The deep link joins at once (after the delivery questions of a first order).
    replies = await chat.say("bob", f"/start gb_{code}")
    assert "1/3" in replies[-1].text
    bob_text = await give_contact(chat, "bob")
    assert f"You joined group {code} (2/3)" in bob_text
    assert "bob joined group" in chat.pushed("alice")

    carol_text = await join(chat, "carol", code)
    carol_order = order_no(carol_text)
    bob_order = order_no(bob_text)
    chat.inbox.take(MERCHANT)
    await chat.say(MERCHANT, f"/paid {alice_order}")
    # paid before the group completed: the merchant waits, the buyer knows why
    assert f"seat of group {code}, not complete yet" in chat.pushed(MERCHANT)
    assert "we ship once the group completes" in chat.pushed("alice")
    sale = await chat.text(MERCHANT, f"/sale {alice_order}")
    assert f"A seat of group {code} (1/3 paid)" in sale and "/ship" not in sale
    sale = await chat.text(MERCHANT, f"/sale {alice_order}")
    assert f"A seat of group {code} (1/3 paid)" in sale and "/ship" not in sale
    for no in (bob_order, carol_order):
        await chat.say(MERCHANT, f"/paid {no}")
    told = chat.pushed(MERCHANT)
    assert f"Group {code} of " in told and "is complete" in told
    assert f"{alice_order}, {bob_order}, {carol_order}" in told
    assert f"Order {carol_order} is paid (CN¥100.00). Ship it" in told  # the group is done
    assert f"Ship: /ship {alice_order}" in await chat.text(MERCHANT, f"/sale {alice_order}")
    assert f"Ship: /ship {alice_order}" in await chat.text(MERCHANT, f"/sale {alice_order}")
    pushed = chat.inbox.take("alice")
    assert any(f"Group {code} is complete! Order {alice_order}" in r.text for r in pushed)
    edits = [r for r in pushed if r.edit]  # the card in alice's chat, edited in place
    assert "Complete with 3 members" in edits[-1].text and not edits[-1].buttons
    group = await GroupBuy.get(code=code)
    assert (group.status, group.seats_taken, group.seats_paid) == (GroupStatus.COMPLETED, 3, 3)
    assert "complete" in await chat.text("carol", "/mygroups")
    stats = await chat.text(MERCHANT, "/gbstats")
    assert "opened 1 · open 0 · completed 1 · failed 0 · paid seats 3" in stats
    assert "100%" in stats


async def test_joining_refusals_are_clear_and_change_nothing(chat: Chat, clock: FakeClock) -> None:
    cid = await campaign(chat, "100 2 1h")
    code, _ = await open_group(chat, "alice", cid)
    assert "There is no group ZZZZZZ" in await chat.text("bob", "/join ZZZZZZ")
    assert "There is no group" in await chat.text("bob", "/join " + "Z" * 40)
    assert f"Group {code} is yours" in await chat.text("alice", f"/join {code}")
    await join(chat, "bob", code)
    assert f"already in group {code}" in await chat.text("bob", f"/join {code}")
    other, _ = await open_group(chat, "dave", cid)

    # Full: say so, offer the other open group and a new one. Never a silent move.
    replies = await chat.say("carol", f"/join {code}")
    assert f"Group {code} is full." in replies[0].text and other in replies[0].text
    payloads = [b.payload for row in replies[0].buttons for b in row]
    assert f"/join {other}" in payloads and f"/gbopen {cid}" in payloads
    assert await GroupSeat.filter(group__code=code).count() == 2

    clock.advance(hours=2)
    assert "reached its deadline" in await chat.text("erin", f"/join {other}")
    assert await GroupSeat.filter(group__code=other).count() == 1


async def test_a_failed_group_refunds_every_paid_seat_once(chat: Chat, clock: FakeClock) -> None:
    cid = await campaign(chat, "100 3 2h")
    code, alice_order = await open_group(chat, "alice", cid)
    bob_order = order_no(await join(chat, "bob", code))
    for no in (alice_order, bob_order):
        await chat.say(MERCHANT, f"/paid {no}")
    assert await stock() == 48
    chat.inbox.take_all()

    clock.advance(hours=3)
    sweep = chat.runtime.services.groupbuy_sweep
    assert (await sweep.run()).failed == 1
    assert not await sweep.run()  # nothing left: idempotent
    await chat.runtime.services.refunds.process_due()
    await chat.runtime.outbox.drain()

    assert "refunded in full" in chat.pushed("bob")
    for no in (alice_order, bob_order):
        assert (await Order.get(order_no=no)).status == OrderStatus.REFUNDED
    jobs = await RefundJob.all()
    assert len(jobs) == 2 and {j.status for j in jobs} == {RefundStatus.MANUAL}
    todo = chat.pushed(MERCHANT)  # manual refunds are the merchant's to make
    assert f"order {alice_order} yourself" in todo and f"order {bob_order} yourself" in todo
    assert await stock() == 50
    group = await GroupBuy.get(code=code)
    assert group.status == GroupStatus.FAILED and group.settled


async def test_an_unpaid_seat_is_given_back_and_reopened(chat: Chat, clock: FakeClock) -> None:
    cid = await campaign(chat, "100 3 2h")
    code, _ = await open_group(chat, "alice", cid)
    await join(chat, "bob", code)
    assert (await GroupBuy.get(code=code)).seats_taken == 2
    clock.advance(minutes=16)
    await chat.runtime.services.orders.sweep()
    await chat.runtime.outbox.drain()
    group = await GroupBuy.get(code=code)
    assert (group.status, group.seats_taken) == (GroupStatus.OPEN, 0)
    assert "not paid in time" in chat.pushed("bob")
    assert f"You joined group {code} (1/3)" in await join(chat, "carol", code)


async def test_one_reminder_before_the_deadline(chat: Chat, clock: FakeClock) -> None:
    cid = await campaign(chat, "100 3 4h pay=4h")
    code, _ = await open_group(chat, "alice", cid)
    chat.inbox.take_all()
    clock.advance(hours=3, minutes=1)
    sweep = chat.runtime.services.groupbuy_sweep
    assert (await sweep.run()).reminded == 1
    assert (await sweep.run()).reminded == 0
    await chat.runtime.outbox.drain()
    text = chat.pushed("alice")
    assert f"Group {code} ends in 59m" in text and "not paid yet" in text


async def test_per_customer_limit_and_campaign_cap(chat: Chat) -> None:
    cid = await campaign(chat, "100 2 2h limit=1 cap=3")
    code, _ = await open_group(chat, "alice", cid)
    assert "limit per customer" in await chat.text("alice", f"/gbopen {cid}")
    await join(chat, "bob", code)
    await open_group(chat, "carol", cid)
    assert "sold out" in await chat.text("dave", f"/gbopen {cid}")
    assert await GroupSeat.all().count() == 3


async def test_offer_not_started_yet(chat: Chat, clock: FakeClock) -> None:
    cid = await campaign(chat, "100 3 2h 2026-12-31 start=2026-11-23")
    assert "not open for new groups" in await chat.text("alice", f"/gbopen {cid}")
    clock.advance(days=2)
    assert f"/gbopen {cid}" in await chat.text("alice", "/groupbuys")


async def test_stopped_offer_opens_no_group(chat: Chat) -> None:
    cid = await campaign(chat)
    assert "stopped" in await chat.text(MERCHANT, f"/gbstop {cid}")
    assert "not open for new groups" in await chat.text("alice", f"/gbopen {cid}")
    assert "No group buys right now" in await chat.text("alice", "/groupbuys")


async def test_card_shared_in_a_group_chat_is_edited_there(chat: Chat) -> None:
    await chat.say(MERCHANT, "/bindgroup", group="fans")
    cid = await campaign(chat)
    code, alice_order = await open_group(chat, "alice", cid)
    assert await chat.say("alice", f"/gbcard {code}", group="fans") == []
    posted = chat.inbox.take("group:fans")
    assert len(posted) == 1 and "1/3 joined" in posted[0].text and not posted[0].edit
    await join(chat, "bob", code)
    edited = chat.inbox.take("group:fans")
    assert edited[-1].edit and "2/3 joined" in edited[-1].text
    # The payment's personal details never go to the group.
    assert alice_order not in "\n".join(r.text for r in edited)


async def test_a_full_group_card_invites_no_one(chat: Chat) -> None:
    cid = await campaign(chat, "100 2 2h")
    code, _ = await open_group(chat, "alice", cid)
    assert f"/join {code}" in chat.inbox.take("alice")[-1].text  # one seat left
    await join(chat, "bob", code)  # full, neither has paid yet
    card = [r for r in chat.inbox.take("alice") if r.edit][-1]
    assert "2/2 joined · 0 paid" in card.text
    assert "/join" not in card.text and not card.buttons


async def test_group_events_reach_the_card_platform_publisher(chat: Chat) -> None:
    """An adapter's publisher gets the post once, then edits by the message id it returned."""
    calls: list[tuple[str, str]] = []

    class Publisher:
        async def post(self, place, card):  # type: ignore[no-untyped-def]
            calls.append(("post", card.text.splitlines()[2]))
            return "m42"

        async def edit(self, place, message_ref, card):  # type: ignore[no-untyped-def]
            calls.append((f"edit {message_ref}", card.text.splitlines()[2]))

    assert chat.runtime.group_cards is not None
    chat.runtime.group_cards.register(PLATFORM, Publisher())
    cid = await campaign(chat)
    code, _ = await open_group(chat, "alice", cid)
    await join(chat, "bob", code)
    assert calls == [
        ("post", "1/3 joined · 0 paid · 2h 0m left"),  # alice's chat
        ("edit m42", "2/3 joined · 0 paid · 2h 0m left"),  # the same message, edited
        ("post", "2/3 joined · 0 paid · 2h 0m left"),  # bob's chat
    ]


async def test_the_completing_payment_draws_each_card_once(chat: Chat) -> None:
    """The last paid seat completes the group: one change, so one redraw per card (WeChat
    sends each redraw as a new message)."""
    drawn: list[tuple[str, str]] = []

    class Publisher:
        async def post(self, place, card):  # type: ignore[no-untyped-def]
            drawn.append((place.chat_id, card.text.splitlines()[2]))
            return f"m-{place.chat_id}"

        async def edit(self, place, message_ref, card):  # type: ignore[no-untyped-def]
            drawn.append((place.chat_id, card.text.splitlines()[2]))

    assert chat.runtime.group_cards is not None
    chat.runtime.group_cards.register(PLATFORM, Publisher())
    cid = await campaign(chat, "100 2 2h")
    code, alice_order = await open_group(chat, "alice", cid)
    bob_order = order_no(await join(chat, "bob", code))
    await chat.say(MERCHANT, f"/paid {alice_order}")
    drawn.clear()
    await chat.say(MERCHANT, f"/paid {bob_order}")
    complete = "Complete with 2 members. The orders go on to shipping."
    assert [line for _, line in drawn] == [complete, complete], drawn
    assert len({chat_id for chat_id, _ in drawn}) == 2  # alice's chat and bob's
    for user in ("alice", "bob"):
        told = [r.text for r in chat.inbox.take(user) if f"Group {code} is complete!" in r.text]
        assert len(told) == 1, (user, told)
    group = await GroupBuy.get(code=code)
    assert (group.status, group.seats_paid) == (GroupStatus.COMPLETED, 2)


async def test_deep_link_joins_in_the_groups_own_shop(chat: Chat) -> None:
    await chat.say("zoe", "/newshop Zoe Fruit")
    await chat.say("zoe", "/addproduct Mango box | 50 | 10")
    product = await Product.filter(title="Mango box").first()
    assert "created" in await chat.text("zoe", f"/gbnew {product.id} 40 2 1h")
    cid = (await GroupCampaign.get(product_id=product.id)).id
    code, _ = await open_group(chat, "zoe", cid)
    assert "no group" in (await chat.text("bob", f"/join {code}")).casefold()  # bob is in demo
    await chat.say("bob", f"/start gb_{code}")
    assert f"You joined group {code} (2/2)" in await give_contact(chat, "bob")


async def test_in_chinese(chat: Chat) -> None:
    cid = await campaign(chat)
    await chat.say("alice", "/lang zh")
    assert "拼团 1/3" in await chat.text("alice", f"/gbopen {cid}")
    text = await give_contact(chat, "alice")
    assert "你开了团" in text and "邀请好友：/join" in text
    assert "拼团" in await chat.text("alice", "/groupbuys")


async def test_the_servers_sweeper_closes_groups_and_refunds_in_one_round(
    chat: Chat, clock: FakeClock
) -> None:
    cid = await campaign(chat)
    _, no = await open_group(chat, "alice", cid)
    await chat.say(MERCHANT, f"/paid {no}")
    clock.advance(hours=3)
    chat.runtime.start_sweeper(every=3600)  # the first round runs at once
    for _ in range(100):
        await asyncio.sleep(0.02)
        if await RefundJob.filter(status=RefundStatus.MANUAL).exists():
            break
    assert (await Order.get(order_no=no)).status == OrderStatus.REFUNDED
    assert await RefundJob.filter(status=RefundStatus.MANUAL).count() == 1


async def test_cancel_during_the_delivery_questions_leaves_the_group_buy(chat: Chat) -> None:
    """/cancel in the group buy's questions says the group buy was left, not a checkout
    (the customer has no cart to go back to), and takes no seat."""
    cid = await campaign(chat)
    assert "Group buy 1/3" in await chat.text("bob", f"/gbopen {cid}")
    left = await chat.text("bob", "/cancel")
    assert "You left the group buy" in left and "Checkout" not in left and "/cart" not in left
    assert await GroupSeat.all().count() == 0
    await chat.say("bob", "/lang zh")
    await chat.say("bob", f"/gbopen {cid}")
    assert "已退出拼团" in await chat.text("bob", "/cancel")
    await chat.say("bob", "/add 1")
    await chat.say("bob", "/checkout")
    assert "已退出结算" in await chat.text("bob", "/cancel")  # a checkout is still a checkout


async def test_gbstats_names_the_offers_state_in_the_merchants_language(chat: Chat) -> None:
    cid = await campaign(chat, "100 2 1h")
    await chat.say(MERCHANT, "/lang zh")
    assert "(已生效)" in await chat.text(MERCHANT, "/gbstats")
    await chat.say(MERCHANT, f"/gbstop {cid}")
    stats = await chat.text(MERCHANT, "/gbstats")
    assert "(已停止)" in stats and "stopped" not in stats
    await chat.say(MERCHANT, "/lang en")
    assert "(stopped)" in await chat.text(MERCHANT, "/gbstats")


async def test_a_new_seat_states_the_full_times_while_the_clock_runs(
    chat: Chat, monkeypatch
) -> None:
    """A real clock moves between placing the seat and writing the reply: a 2-hour group
    and a 15-minute payment window must not read as 1h 59m and 14m."""
    cid = await campaign(chat, "100 3 2h")

    def ticking(self: FakeClock):  # type: ignore[no-untyped-def]
        self.now += timedelta(milliseconds=3)
        return self.now

    monkeypatch.setattr(FakeClock, "__call__", ticking)
    text = await chat.text("alice", f"/gbopen {cid}")
    if "1/3" in text:
        text = await give_contact(chat, "alice")
    assert "paid within 2h 0m" in text, text
    assert "Please pay within 15m" in text, text


async def test_gbstats_conversion_is_the_exact_whole_percent(chat: Chat, clock: FakeClock) -> None:
    """29 of 50 ended groups completed is 58%: float arithmetic made it read 57%."""
    cid = await campaign(chat, "100 2 1h")
    offer = await GroupCampaign.get(id=cid)
    leader = await Order.first()  # anyone: the rows only need a person
    leader_id = leader.person_id if leader else (await Person.first()).id  # type: ignore[union-attr]
    await GroupBuy.bulk_create(
        [
            GroupBuy(
                code=f"T{i:05d}",
                campaign_id=offer.id,
                shop_id=offer.shop_id,  # type: ignore[attr-defined]
                leader_id=leader_id,
                size=2,
                status=GroupStatus.COMPLETED if i < 29 else GroupStatus.FAILED,
                settled=True,
                expires_at=clock(),
                remind_at=clock(),
            )
            for i in range(50)
        ]
    )
    stats = await chat.text(MERCHANT, "/gbstats")
    assert "completed 29 · failed 21" in stats, stats
    assert "58%" in stats, stats
