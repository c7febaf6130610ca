"""Paying with points through the chat checkout (pricing calls loyalty's contract)."""

from __future__ import annotations

from decimal import Decimal as D

from handlers.errors import MESSAGES
from store.loyalty.models import EntryKind, PointsEntry
from store.models import Order
from store.promotions.models import CheckoutChoice
from tests.conftest import MERCHANT, Chat
from tests.test_chat_flow import order_no

from .helpers import (
    assert_balances_match_ledger,
    balance,
    complete_order,
    give,
    ledger_state,
)


async def checkout_with_points(chat: Chat, points: str) -> str:
    await chat.say("alice", "/add 1 1")  # 128.00
    await chat.say("alice", "/checkout")
    await chat.say("alice", "Zhang San")
    await chat.say("alice", "13800138000")
    await chat.say("alice", "1 Wensan Road, Hangzhou")
    await chat.say("alice", f"/usepoints {points}")
    return await chat.text("alice", "/checkout confirm")


async def test_points_pay_part_of_an_order_and_come_back_on_cancel(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1 value=100 cap=20")
    await chat.say("alice", "/start")
    await chat.say(MERCHANT, "/pointsadjust alice 1000")

    placed = await checkout_with_points(chat, "1000")
    no = order_no(placed)
    order = await Order.get(order_no=no)
    assert order.total == D("118.00")  # 1000 points paid 10.00
    assert await balance("alice") == 0
    assert "-1000 · points spent · " + no in await chat.text("alice", "/points")

    await chat.say("alice", f"/cancel {no}")
    assert await balance("alice") == 1000
    await assert_balances_match_ledger()


async def test_points_earned_on_what_was_paid_after_points(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1 value=100 cap=20")
    await chat.say("alice", "/start")
    await chat.say(MERCHANT, "/pointsadjust alice 1000")
    no = order_no(await checkout_with_points(chat, "max"))
    spent = 1000 - await balance("alice")
    assert spent > 0
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/ship {no} SF 1")
    await chat.say("alice", f"/received {no}")
    paid = (await Order.get(order_no=no)).total
    earned = await PointsEntry.get(kind=EntryKind.EARN)
    assert earned.points == int(paid)  # 1 point per yuan actually paid, rounded down
    assert await balance("alice") == 1000 - spent + int(paid)


async def test_asking_for_more_points_than_the_balance_changes_nothing(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1")
    await chat.say("alice", "/start")
    await chat.say(MERCHANT, "/pointsadjust alice 300")
    await chat.say("alice", "/add 1 1")
    before = await ledger_state()
    assert "Your points: 300, not enough for 301" in await chat.text("alice", "/usepoints 301")
    for line in ("/usepoints -5", "/usepoints lots", "/usepoints"):
        text = await chat.text("alice", line)
        assert text and MESSAGES["error"] not in text
    assert await ledger_state() == before


async def test_a_bad_amount_of_points_gets_the_points_message(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1")
    await chat.say(MERCHANT, "/pointsadjust alice 300")
    await chat.say("alice", "/add 1 1")
    for amount in ("10.5", "lots", "-5"):
        reply = await chat.text("alice", f"/usepoints {amount}")
        assert f"“{amount}” is not a whole number of points." in reply, reply


async def test_points_cannot_be_chosen_where_there_are_none(chat: Chat) -> None:
    await chat.say("alice", "/add 1 1")
    for line in ("/usepoints max", "/usepoints 10"):  # the shop gives no points
        assert "does not give points" in await chat.text("alice", line)
    await chat.say(MERCHANT, "/pointsrule earn=1")
    assert "no points to use yet" in await chat.text("alice", "/usepoints max")
    assert not await CheckoutChoice.exists()  # nothing was chosen
    assert "Total" in await chat.text("alice", "/usepoints 0")  # "none" always works


async def test_a_chosen_number_of_points_spends_none_for_nothing(chat: Chat) -> None:
    # value=1000: 10 points are worth 0.01, so 15 points pay 0.01 and only 10 are spent.
    await chat.say(MERCHANT, "/pointsrule earn=1 value=1000 cap=50")
    await chat.say("alice", "/start")
    await chat.say(MERCHANT, "/pointsadjust alice 1000")
    no = order_no(await checkout_with_points(chat, "15"))
    assert (await Order.get(order_no=no)).total == D("127.99")
    assert await balance("alice") == 990
    await assert_balances_match_ledger()


async def test_a_negative_balance_cannot_be_chosen_with_max(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1")
    no = await complete_order(chat)  # 256 points earned
    await give(chat, "alice", -200)  # spent elsewhere
    await chat.say(MERCHANT, f"/refunditem {no} 1")  # the earned points are taken back
    assert await balance("alice") == -200
    await chat.say("alice", "/add 1 1")
    assert "no points to use yet" in await chat.text("alice", "/usepoints max")
    assert not await CheckoutChoice.exists()  # nothing was chosen
