"""How to pay the shop by hand: set by the merchant, shown with each order that awaits it."""

from __future__ import annotations

from store.models import Shop
from tests.conftest import MERCHANT, Chat
from tests.groupbuy.test_chat import campaign, give_contact
from tests.test_chat_flow import place_order

NOTE = "WeChat: weidian888\nAlipay: 138 0013 8000"


async def test_the_merchant_sets_how_to_pay_and_each_order_shows_it(chat: Chat) -> None:
    unset = await chat.text(MERCHANT, "/settings")
    assert "How to pay you is not set" in unset
    saved = await chat.text(MERCHANT, f"/settings pay {NOTE}")
    assert "Saved." in saved and NOTE in saved  # kept as typed, lines and all

    no = await place_order(chat)  # 2 × ¥128.00
    placed = await chat.text("alice", f"/order {no}")
    assert f"To pay by hand, send CN¥256.00 to the shop, mentioning {no}:\n{NOTE}" in placed
    assert "use the payment below" not in placed  # the simulator has no payment of its own

    await chat.say(MERCHANT, f"/paid {no}")
    assert NOTE not in await chat.text("alice", f"/order {no}")  # paid: nothing to pay


async def test_the_order_placed_message_says_how_to_pay(chat: Chat) -> None:
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/checkout")
    for answer in ("Zhang San", "13800138000", "1 Wensan Road, Hangzhou"):
        await chat.say("alice", answer)
    generic = await chat.say("alice", "/checkout confirm")
    assert "transfer CN¥128.00 to the shop, mentioning" in generic[0].text
    assert generic[0].pay_order_no  # a platform with payments offers one for it

    await chat.say(MERCHANT, f"/settings pay {NOTE}")
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/checkout last")
    placed = (await chat.say("alice", "/checkout confirm"))[0].text
    assert NOTE in placed and "transfer CN¥128.00" not in placed
    assert "Unpaid orders are cancelled after 30 minutes." in placed

    await chat.say(MERCHANT, "/settings pay off")
    assert (await Shop.get(slug="demo")).pay_note == ""


async def test_a_group_buy_seat_says_how_to_pay(chat: Chat) -> None:
    await chat.say(MERCHANT, f"/settings pay {NOTE}")
    seat = await chat.text("alice", f"/gbopen {await campaign(chat)}")
    if "1/3" in seat:  # first-time customers give the delivery details first
        seat = await give_contact(chat, "alice")
    assert "Please pay within" in seat and NOTE in seat


async def test_where_the_platform_takes_payments_the_order_points_to_them(chat: Chat) -> None:
    chat.runtime.engine.pays_in_chat.add("sim")  # as an adapter with payments does at start
    no = await place_order(chat)
    reply = (await chat.say("alice", f"/order {no}"))[0]
    assert "To pay, use the payment below." in reply.text
    assert "transfer" not in reply.text  # no note: the payment in the chat is the way
    assert reply.pay_order_no == no


async def test_how_to_pay_is_refused_when_too_long_or_not_the_shops(chat: Chat) -> None:
    too_long = await chat.text(MERCHANT, "/settings pay " + "x" * 301)
    assert "at most 300 characters" in too_long
    assert "only the shop's owner and staff" in await chat.text("alice", "/settings pay mine")
    assert (await Shop.get(slug="demo")).pay_note == ""
