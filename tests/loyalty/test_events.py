"""Points move with the order's life, each event exactly once however often it arrives."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from tortoise.transactions import in_transaction

from store.accounts.merge import merge_people
from store.events import OrderCancelled, OrderCompleted, OrderRefunded
from store.loyalty.models import EntryKind, Member, OrderPoints, PointsEntry
from store.loyalty.rules import InsufficientPoints, MemberLevel, PointsOffer
from store.models import Order
from tests.conftest import MERCHANT, Chat
from tests.test_chat_flow import place_order

from .helpers import (
    assert_balances_match_ledger,
    balance,
    capture,
    complete_order,
    give,
    ledger_state,
    paid_order,
    person_id,
    spend,
)


@pytest.fixture
async def shop(chat: Chat) -> Chat:
    await chat.runtime.services.loyalty.set_rule(1, earn=D("1"), redeem=100, cap=20)
    return chat


async def test_offer_and_spend_at_checkout(shop: Chat) -> None:
    loyalty = shop.runtime.services.loyalty
    await shop.say("alice", "/start")
    await give(shop, "alice", 3000)
    pid = await person_id("alice")
    # 20% of 128.00 is 25.60: 2560 of the 3000 points may pay.
    assert await loyalty.points_offer(1, pid, D("128.00")) == PointsOffer(3000, 2560, D("25.60"))
    assert await loyalty.points_value(1, 2560) == D("25.60")

    order = await paid_order(shop, qty=1)
    assert await spend(shop, order, 2560) == D("25.60")
    assert await balance("alice") == 440
    entry = await PointsEntry.get(kind=EntryKind.SPEND)
    assert (entry.points, entry.order_id) == (-2560, order.id)  # type: ignore[attr-defined]
    await assert_balances_match_ledger()


async def test_spending_more_than_the_balance_changes_nothing(shop: Chat) -> None:
    await shop.say("alice", "/start")
    await give(shop, "alice", 100)
    order = await paid_order(shop, qty=1)
    before = await ledger_state()
    with pytest.raises(InsufficientPoints) as err:
        await spend(shop, order, 101)
    assert err.value.code == "points_insufficient"
    with pytest.raises(Exception, match="points_bad_number"):
        await spend(shop, order, -5)
    assert await ledger_state() == before
    assert await balance("alice") == 100


async def test_no_spending_while_points_are_off(chat: Chat) -> None:
    order = await paid_order(chat, qty=1)
    offer = await chat.runtime.services.loyalty.points_offer(1, await person_id("alice"), D("99"))
    assert offer == PointsOffer(0, 0, D("0.00"))
    with pytest.raises(Exception, match="points_off"):
        await spend(chat, order, 1)


async def test_cancel_returns_spent_points_once(shop: Chat) -> None:
    log = capture(shop)
    await shop.say("alice", "/start")
    await give(shop, "alice", 500)
    no = await place_order(shop, qty=1)
    await spend(shop, await Order.get(order_no=no), 500)
    assert await balance("alice") == 0

    assert "cancelled" in await shop.text("alice", f"/cancel {no}")
    assert await balance("alice") == 500
    await shop.runtime.services.bus.publish([log.last(OrderCancelled)])  # delivered again
    assert await balance("alice") == 500
    assert await PointsEntry.filter(kind=EntryKind.RETURN).count() == 1
    await assert_balances_match_ledger()


async def test_partial_refunds_return_spent_points_in_proportion(shop: Chat) -> None:
    log = capture(shop)
    orders = shop.runtime.services.orders
    await shop.say("alice", "/start")
    await give(shop, "alice", 1000)
    order = await paid_order(shop, qty=3)  # 3 x 128.00: each refund is a third
    await spend(shop, order, 1000)

    await orders.refund_items(order, 1, 1)
    assert await balance("alice") == 333
    await shop.runtime.services.bus.publish([log.last(OrderRefunded)])  # delivered twice
    assert await balance("alice") == 333
    await orders.refund_items(order, 1, 1)
    assert await balance("alice") == 666
    await orders.refund_items(order, 1, 1)  # the last third: everything is back, no drift
    assert await balance("alice") == 1000
    assert (await Order.get(id=order.id)).status == "refunded"
    returns = await PointsEntry.filter(kind=EntryKind.RETURN).order_by("id")
    assert [e.points for e in returns] == [333, 333, 334]
    await assert_balances_match_ledger()


async def test_full_refund_after_a_partial_one_returns_the_rest(shop: Chat) -> None:
    await shop.say("alice", "/start")
    await give(shop, "alice", 999)
    order = await paid_order(shop, qty=3)
    await spend(shop, order, 999)
    await shop.runtime.services.orders.refund_items(order, 1, 1)
    assert await balance("alice") == 333
    await shop.say("alice", f"/refund {order.order_no}")
    await shop.say(MERCHANT, f"/refundok {order.order_no}")
    assert await balance("alice") == 999
    await assert_balances_match_ledger()


async def test_points_are_earned_once_on_completion(shop: Chat) -> None:
    log = capture(shop)
    await shop.runtime.services.loyalty.set_rule(1, earn=D("1.5"))
    no = await complete_order(shop, qty=2)  # 256.00 paid
    assert await balance("alice") == 384
    await shop.runtime.services.bus.publish([log.last(OrderCompleted)] * 2)
    assert await balance("alice") == 384
    member = await Member.get(person_id=await person_id("alice"))
    assert member.total_spend_minor == 25600
    earn = await PointsEntry.get(kind=EntryKind.EARN)
    assert (earn.points, earn.order_id) == (384, (await Order.get(order_no=no)).id)  # type: ignore[attr-defined]


async def test_completion_after_a_partial_refund_earns_on_what_was_kept(shop: Chat) -> None:
    order = await paid_order(shop, qty=3)
    await shop.runtime.services.orders.refund_items(order, 1, 1)  # 128.00 back
    await shop.say(MERCHANT, f"/ship {order.order_no} SF 1")
    await shop.say("alice", f"/received {order.order_no}")
    assert await balance("alice") == 256
    snap = await OrderPoints.get(order_id=order.id)
    assert (snap.earned, snap.earn_base) == (256, D("256.00"))


async def test_refund_after_completion_takes_earned_points_back(shop: Chat) -> None:
    """Orders are refunded before they complete today, but the reaction stands ready: the
    event of a later refund takes back the earned points and the spend, in proportion."""
    log = capture(shop)
    no = await complete_order(shop, qty=2)  # 256 points, spend 256.00
    done = log.last(OrderCompleted)
    await give(shop, "alice", -200)  # most of them spent meanwhile

    def refund(amount: str, key: str) -> OrderRefunded:
        return OrderRefunded(
            order_id=done.order_id,
            order_no=no,
            shop_id=1,
            person_id=done.person_id,
            total=D("256.00"),
            currency="CNY",
            refunded=D(amount),
            payment_method="manual",
            provider_payment_id="",
            refund_key=key,
            final=False,
        )

    bus = shop.runtime.services.bus
    await bus.publish([refund("100.00", "k1"), refund("100.00", "k1")])
    assert await balance("alice") == 56 - 100
    await bus.publish([refund("156.00", "k2")])
    assert await balance("alice") == -200  # the spent points are owed now
    member = await Member.get(person_id=await person_id("alice"))
    assert member.total_spend_minor == 0
    text = await shop.text("alice", "/points")
    assert "-200" in text and "negative balance" in text
    await assert_balances_match_ledger()


async def test_member_level_follows_total_spend(shop: Chat) -> None:
    loyalty = shop.runtime.services.loyalty
    await loyalty.set_level(1, "银卡", D("200"), D("5"))
    await loyalty.set_level(1, "金卡", D("1000"), D("12.5"))
    await shop.say("alice", "/start")
    pid = await person_id("alice")
    assert await loyalty.member_level(1, pid) is None
    await complete_order(shop, qty=2)  # 256.00
    assert await loyalty.member_level(1, pid) == MemberLevel("银卡", D("5.00"))
    report = await loyalty.report(1, pid)
    assert report.next_level is not None and report.next_level.name == "金卡"
    assert report.to_next == D("744.00")


async def test_merging_two_people_sums_their_points(shop: Chat) -> None:
    await complete_order(shop, "alice", qty=1)  # 128
    await complete_order(shop, "bob", qty=2)  # 256
    alice, bob = await person_id("alice"), await person_id("bob")
    async with in_transaction():  # as accounts' /link runs it, with the generic pass after
        await merge_people(bob, alice, [shop.runtime.services.loyalty.merge_person])
    member = await Member.get(person_id=alice)
    assert (member.balance, member.total_spend_minor) == (384, 38400)
    assert not await Member.filter(person_id=bob).exists()
    assert not await PointsEntry.filter(person_id=bob).exists()
    await assert_balances_match_ledger()
