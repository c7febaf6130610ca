"""Group buys at the edges: the leader's fixed reward, and seats shipped only when complete."""

from __future__ import annotations

from decimal import Decimal

import pytest

from store.groupbuy.models import GroupCampaign
from store.models import Order
from tests.conftest import MERCHANT, Chat
from tests.groupbuy.test_chat import TEA, join, open_group, order_no


async def test_reward_lowers_only_the_leaders_price(chat: Chat) -> None:
    assert "created" in await chat.text(MERCHANT, f"/gbnew {TEA} 100 3 2h reward=15")
    campaign = await GroupCampaign.all().order_by("-id").first()
    assert campaign is not None and campaign.leader_price == Decimal("85.00")
    code, leader_order = await open_group(chat, "alice", campaign.id)
    member_order = order_no(await join(chat, "bob", code))
    assert (await Order.get(order_no=leader_order)).total == Decimal("85.00")
    assert (await Order.get(order_no=member_order)).total == Decimal("100.00")


@pytest.mark.parametrize(
    "options,expected",
    [("reward=100", "less than the group price"), ("reward=5 leader=90", "either a price")],
)
async def test_bad_rewards_change_nothing(chat: Chat, options: str, expected: str) -> None:
    reply = await chat.text(MERCHANT, f"/gbnew {TEA} 100 3 2h {options}")
    assert expected in reply
    assert await GroupCampaign.all().count() == 0


async def test_a_seat_ships_only_once_its_group_is_complete(chat: Chat) -> None:
    assert "created" in await chat.text(MERCHANT, f"/gbnew {TEA} 100 2 2h")
    campaign = await GroupCampaign.all().order_by("-id").first()
    assert campaign is not None
    code, alice_order = await open_group(chat, "alice", campaign.id)
    await chat.say(MERCHANT, f"/paid {alice_order}")
    refused = await chat.text(MERCHANT, f"/ship {alice_order} SF 1")
    assert "not complete yet" in refused
    assert (await Order.get(order_no=alice_order)).status == "paid"

    bob_order = order_no(await join(chat, "bob", code))
    await chat.say(MERCHANT, f"/paid {bob_order}")  # the second paid seat completes it
    await chat.say(MERCHANT, f"/ship {alice_order} SF 1")
    assert (await Order.get(order_no=alice_order)).status == "shipped"


async def test_a_group_card_is_posted_into_every_bound_group(chat: Chat) -> None:
    assert "no group" in (await chat.text(MERCHANT, "/gbpost NOPE22")).lower()
    assert "created" in await chat.text(MERCHANT, f"/gbnew {TEA} 100 3 2h")
    campaign = await GroupCampaign.all().order_by("-id").first()
    assert campaign is not None
    code, _ = await open_group(chat, "alice", campaign.id)
    assert "No group chat is bound" in await chat.text(MERCHANT, f"/gbpost {code}")
    for group in ("fans", "vip"):
        await chat.say(MERCHANT, "/bindgroup", group=group)
    assert "posted in 2 bound group chats" in await chat.text(MERCHANT, f"/gbpost {code}")
    for group in ("fans", "vip"):
        [card] = chat.inbox.take(f"group:{group}")
        assert "1/3" in card.text and card.buttons[0][0].payload == f"/join {code}"

    await join(chat, "bob", code)
    for group in ("fans", "vip"):  # the same card, edited where it was posted
        edits = [r for r in chat.inbox.take(f"group:{group}") if r.edit]
        assert edits and "2/3" in edits[-1].text
    assert "only the shop's owner" in await chat.text("bob", f"/gbpost {code}")
