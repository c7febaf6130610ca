"""Referral through the command engine: share, bind, earn, settle, withdraw, export."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

from referral.ledger import balances, ledger_sums
from referral.models import Agent, Binding, LedgerEntry, Touch
from store.models import Product
from tests.conftest import MERCHANT, Chat, FakeClock
from tests.test_chat_flow import place_order


async def agent_code(chat: Chat, user: str) -> str:
    reply = (await chat.say(user, "/ref"))[0]
    found = re.search(r"agent code: ([2-9A-Z]{8})", reply.text)
    assert found, reply.text
    return found.group(1)


async def referred_order_received(chat: Chat, qty: int = 1) -> tuple[str, str]:
    """amy's agent code, and an order of `qty` tins of tea (128.00 each) that bob, invited by
    her, paid for and received: its commission is frozen, waiting for release."""
    code = await agent_code(chat, "amy")
    await chat.say("bob", f"/start ref_{code}")
    no = await place_order(chat, "bob", product=1, qty=qty)
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/ship {no} SF SF1")
    await chat.say("bob", f"/received {no}")
    return code, no


async def test_share_bind_earn_settle_withdraw(chat: Chat, clock: FakeClock) -> None:
    share = (await chat.say("amy", "/ref"))[0]
    assert share.image and "/referral/poster/" in share.image and share.private
    code = await agent_code(chat, "amy")  # asking again: the same agent, the same code
    assert code in share.text

    invited = await chat.text("bob", f"/start ref_{code}")
    assert "invited by a**" in invited
    no = await place_order(chat, "bob", product=1, qty=1)  # 128.00 of tea
    await chat.say(MERCHANT, f"/paid {no}")
    assert f"You earned CN¥12.80 on order {no} (level 1)" in chat.pushed("amy")
    earnings = await chat.text("amy", "/earnings")
    assert "Pending (orders not yet completed or still frozen): CN¥12.80" in earnings
    assert f"{no} · b** · level 1 · CN¥12.80" in earnings

    await chat.say(MERCHANT, f"/ship {no} SF SF1")
    await chat.say("bob", f"/received {no}")
    runtime = chat.runtime
    assert await runtime.referral.ledger.release_due() == 0  # frozen for 7 days
    clock.advance(days=7, seconds=1)
    assert await runtime.referral.ledger.release_due() == 1
    assert await runtime.referral.ledger.release_due() == 0  # a second sweep changes nothing
    assert "Available: CN¥12.80" in await chat.text("amy", "/earnings")

    assert "withdraw CN¥10.00 or more" in await chat.text("amy", "/withdraw 5")
    assert "not enough" in await chat.text("amy", "/withdraw 20")
    asked = await chat.text("amy", "/withdraw 12.80")
    assert "Withdrawal #1 of CN¥12.80 is waiting" in asked
    assert "asks to withdraw CN¥12.80 (#1)" in chat.pushed(MERCHANT)
    assert "#1 · amy" in await chat.text(MERCHANT, "/wd")
    assert "marked paid" in await chat.text(MERCHANT, "/wdok 1")
    assert "decided already" in await chat.text(MERCHANT, "/wdno 1 late")
    assert "withdrawal #1 was paid: CN¥12.80" in chat.pushed("amy")
    text = await chat.text("amy", "/earnings")
    assert "Available: CN¥0.00" in text and "Withdrawn: CN¥12.80" in text

    agent = await Agent.get(code=code)
    assert await ledger_sums(agent.id) == balances(agent)
    csv_text = await chat.text(MERCHANT, "/refexport ledger")
    assert csv_text.splitlines()[0].startswith("id,time,agent,order,level,kind")
    assert f"{code},{no},1,commission,12.80,0.00" in csv_text
    assert "payout" in csv_text
    wd_csv = await chat.text(MERCHANT, "/refexport withdrawals")
    assert "1,2026-11-28" in wd_csv and "approved" in wd_csv


async def test_rejected_withdrawal_returns_the_money(chat: Chat, clock: FakeClock) -> None:
    await referred_order_received(chat)
    clock.advance(days=8)
    await chat.runtime.referral.ledger.release_due()
    await chat.say("amy", "/withdraw 12")
    assert "Usage: /wdno" in await chat.text(MERCHANT, "/wdno 1")
    assert "refused" in await chat.text(MERCHANT, "/wdno 1 =wrong account name")
    text = await chat.text("amy", "/earnings")
    assert "Available: CN¥12.80" in text and "wrong account name" in text
    # the typed reason reaches the spreadsheet as text, never as a formula to run
    rows = list(csv.reader(io.StringIO(await chat.text(MERCHANT, "/refexport withdrawals"))))
    assert rows[1][rows[0].index("reason")] == "'=wrong account name"


async def test_refund_before_settlement_reverses_pending(chat: Chat) -> None:
    code = await agent_code(chat, "amy")
    await chat.say("bob", f"/start ref_{code}")
    no = await place_order(chat, "bob", product=1, qty=1)
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say("bob", f"/refund {no} changed my mind")
    await chat.say(MERCHANT, f"/refundok {no}")
    text = await chat.text("amy", "/earnings")
    assert "Pending (orders not yet completed or still frozen): CN¥0.00" in text
    assert "refunded: -CN¥12.80" in text
    kinds = sorted(e.kind.value for e in await LedgerEntry.all())
    assert kinds == ["commission", "reversal"]
    # Refunded in full: the order never completes, so "pending" would promise money forever.
    assert f"{no} · b** · level 1 · CN¥12.80 (refunded: -CN¥12.80) · refunded" in text


async def test_a_fully_refunded_order_after_release_reads_refunded(
    chat: Chat, clock: FakeClock
) -> None:
    _, no = await referred_order_received(chat)
    clock.advance(days=8)
    assert await chat.runtime.referral.ledger.release_due() == 1
    assert f"{no} · b** · level 1 · CN¥12.80 · available" in await chat.text("amy", "/earnings")
    await chat.say(MERCHANT, f"/refunditem {no} 1")
    text = await chat.text("amy", "/earnings")
    assert f"{no} · b** · level 1 · CN¥12.80 (refunded: -CN¥12.80) · refunded" in text
    await chat.say("amy", "/lang zh")
    text = await chat.text("amy", "/earnings")
    assert f"{no} · b** · 第 1 级 · ¥12.80 (已退款：-¥12.80) · 已退款" in text


async def test_the_ledger_csv_keeps_negative_amounts_as_numbers(
    chat: Chat, clock: FakeClock
) -> None:
    """A reversal or a release is a negative amount: written as -12.80, so the column adds up
    in Excel; an apostrophe (the guard against formulas in typed text) would make it text."""
    code, no = await referred_order_received(chat)
    clock.advance(days=8)
    await chat.runtime.referral.ledger.release_due()
    await chat.say("amy", "/withdraw 10")
    await chat.say(MERCHANT, "/refunditem " + no + " 1")
    rows = list(csv.reader(io.StringIO(await chat.text(MERCHANT, "/refexport ledger"))))
    header, body = rows[0], [r for r in rows[1:] if r]
    by_kind = {r[header.index("kind")]: r for r in body}
    assert by_kind["release"][header.index("pending")] == "-12.80"
    assert by_kind["hold"][header.index("available")] == "-10.00"
    assert by_kind["reversal"][header.index("available")] == "-12.80"
    agent = await Agent.get(code=code)
    for column in ("pending", "available", "held", "withdrawn"):
        total = sum(Decimal(r[header.index(column)]) for r in body)
        assert total * 100 == getattr(agent, f"{column}_minor")


async def test_two_levels_and_the_team(chat: Chat) -> None:
    top = await agent_code(chat, "amy")
    await chat.say("bob", f"/start ref_{top}")
    sub = await agent_code(chat, "bob")  # bob becomes an agent under amy
    await chat.say("cat", f"/start ref_{sub}")
    no = await place_order(chat, "cat", product=1, qty=1)
    await chat.say(MERCHANT, f"/paid {no}")
    assert "CN¥12.80" in await chat.text("bob", "/earnings")  # level 1: 10%
    amy = await chat.text("amy", "/earnings")
    assert f"{no} · c** · level 2 · CN¥6.40" in amy  # level 2: 5%
    team = await chat.text("amy", "/team")
    assert "Level 1: 1 customer, 1 agent" in team  # one of each, said so
    assert "Level 2: 1 customer, 0 agents" in team
    top_board = await chat.text("cat", "/top")
    assert top_board.index("b**") < top_board.index("a**")


async def test_days_policy_the_agent_sees_who_is_bound_now(chat: Chat, clock: FakeClock) -> None:
    await chat.say(MERCHANT, "/refpolicy days 10")
    code = await agent_code(chat, "amy")
    team = await chat.text("amy", "/team")
    assert "Nobody is bound to you now" in team and "yours for 10 days" in team
    await chat.say("bob", f"/start ref_{code}")
    team = await chat.text("amy", "/team")
    assert "Level 1: 1 customer, 0 agents" in team and "yours for 10 days" in team
    clock.advance(days=10, seconds=1)
    no = await place_order(chat, "bob", product=1, qty=1)
    await chat.say(MERCHANT, f"/paid {no}")
    assert "You earned" not in chat.pushed("amy")
    assert "Nobody is bound to you now" in await chat.text("amy", "/team")
    await chat.say("bob", f"/start ref_{code}")  # a new touch: bound again for 10 days
    assert "Level 1: 1 customer" in await chat.text("amy", "/team")


async def test_no_self_referral_and_no_cycles(chat: Chat) -> None:
    a = await agent_code(chat, "amy")
    assert "your own share link" in await chat.text("amy", f"/start ref_{a}")
    await chat.say("bob", f"/start ref_{a}")
    b = await agent_code(chat, "bob")
    await chat.say("amy", f"/start ref_{b}")  # amy is above bob: binding her under him loops
    amy = await Agent.get(code=a)
    assert not await Binding.exists(customer_id=amy.person_id)
    outcomes = [t.outcome for t in await Touch.all().order_by("id")]
    assert outcomes == ["self", "bound", "cycle"]


async def test_merchant_rules(chat: Chat) -> None:
    assert "Level 1: 10%" in await chat.text(MERCHANT, "/commission")
    text = await chat.text(MERCHANT, "/commission 20 10 5")
    assert "Level 3: 5%" in text and "Saved" in text
    assert "at most 50%" in await chat.text(MERCHANT, "/commission 40 20")
    assert "1 to 3 levels" in await chat.text(MERCHANT, "/commission 10 5 3 1")
    assert "“ten” is not a percentage" in await chat.text(MERCHANT, "/commission ten")
    text = await chat.text(MERCHANT, "/commission #1 ¥8")
    assert "per item" in text and "CN¥8.00" in text
    # More than the cap (50%) of the product's price (128.00) is refused, not shown as set.
    text = await chat.text(MERCHANT, "/commission #1 999")
    assert "can be CN¥64.00 at most: the cap, 50% of its price CN¥128.00" in text
    assert "CN¥8.00" in await chat.text(MERCHANT, "/commission")  # still the rate set before
    assert "Saved" in await chat.text(MERCHANT, "/commission #1 off")
    assert "CN¥8.00" not in await chat.text(MERCHANT, "/commission")  # the levels' rates again
    assert "no product 99" in await chat.text(MERCHANT, "/commission #99 off")
    assert "first touch, for 30 days" in await chat.text(MERCHANT, "/refpolicy days 30")
    assert "last touch" in await chat.text(MERCHANT, "/refpolicy last")
    assert "apply with /apply" in await chat.text(MERCHANT, "/refset join approval")
    assert "only the shop" in await chat.text("amy", "/commission 50")


async def test_settings_out_of_range_say_the_range(chat: Chat) -> None:
    """91 is a number: the merchant is told the range, not that it isn't one."""
    assert "between 0 and 90" in await chat.text(MERCHANT, "/refset freeze 91")
    assert "between 1 and 3650" in await chat.text(MERCHANT, "/refpolicy days 0")
    assert "between 1 and 3650" in await chat.text(MERCHANT, "/refpolicy days 4000")
    assert "14 days after the order completes" in await chat.text(MERCHANT, "/refset freeze 14")
    await chat.say(MERCHANT, "/lang zh")
    assert "这个值必须在 0 到 90 之间。" in await chat.text(MERCHANT, "/refset freeze 91")


async def test_approval_mode(chat: Chat) -> None:
    await chat.say(MERCHANT, "/refset join approval")
    assert "apply with /apply" in await chat.text("amy", "/ref")
    assert "waiting for the merchant" in await chat.text("amy", "/apply")
    assert "waiting for approval" in await chat.text(MERCHANT, "/agents")
    assert "is an agent now" in await chat.text(MERCHANT, "/agentok amy")
    assert "agent code" in await chat.text("amy", "/ref")
    # A confirmation, not a refusal ("amy is not an agent." read as "nothing to stop").
    assert "Done: amy is not one of your agents now." in await chat.text(MERCHANT, "/agentno amy")
    assert "has not accepted you" in await chat.text("amy", "/ref")
    assert "Available: CN¥0.00" in await chat.text("amy", "/earnings")  # what was earned stays
    assert "not an agent of this shop yet" in await chat.text("bob", "/earnings")


async def test_spend_mode(chat: Chat) -> None:
    await chat.say(MERCHANT, "/refset join spend 100")
    assert "spend CN¥100.00 more" in await chat.text("amy", "/ref")
    no = await place_order(chat, "amy", product=1, qty=1)
    await chat.say(MERCHANT, f"/paid {no}")
    assert "agent code" in await chat.text("amy", "/ref")


async def test_spend_mode_counts_what_was_kept_not_what_was_refunded(chat: Chat) -> None:
    await chat.say(MERCHANT, "/refset join spend 200")
    no = await place_order(chat, "amy", product=1, qty=2)  # 256.00
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/refunditem {no} 1 1")  # 128.00 of it back
    assert "spend CN¥72.00 more" in await chat.text("amy", "/ref")


async def test_the_servers_sweeper_releases_commission(chat: Chat, clock: FakeClock) -> None:
    code, _ = await referred_order_received(chat)
    clock.advance(days=7, minutes=1)
    chat.runtime.start_sweeper(every=0.01)
    for _ in range(200):
        if (await Agent.get(code=code)).available_minor:
            break
        await asyncio.sleep(0.01)
    assert (await Agent.get(code=code)).available_minor == 1280


async def test_after_sales_refund_takes_back_released_commission_and_points(
    chat: Chat, clock: FakeClock
) -> None:
    """A completed order refunded by the shop (售后): the customer can't ask in chat any more,
    the merchant refunds a line; commission already available and points already earned are
    taken back in proportion, and the ledger still balances."""
    await chat.say(MERCHANT, "/pointsrule earn=1")
    code, no = await referred_order_received(chat, qty=2)  # 256.00
    clock.advance(days=8)
    assert await chat.runtime.referral.ledger.release_due() == 1
    assert "Available: CN¥25.60" in await chat.text("amy", "/earnings")
    assert "points at 微店小铺 Demo Shop: 256" in await chat.text("bob", "/points")

    assert "shop's decision" in await chat.text("bob", f"/refund {no} one tin was crushed")
    stock = (await Product.get(id=1)).stock
    refunded = await chat.text(MERCHANT, f"/refunditem {no} 1 1 keep crushed tin")
    assert (await Product.get(id=1)).stock == stock  # the customer keeps it: not restocked
    assert "Refunded CN¥128.00" in refunded
    assert f"Part of order {no} is refunded: CN¥128.00" in chat.pushed("bob")
    assert "Available: CN¥12.80" in await chat.text("amy", "/earnings")
    assert "points at 微店小铺 Demo Shop: 128" in await chat.text("bob", "/points")
    agent = await Agent.get(code=code)
    assert await ledger_sums(agent.id) == balances(agent)

    await chat.say(MERCHANT, f"/refunditem {no} 1")  # the other tin, sent back: nothing left
    assert (await Product.get(id=1)).stock == stock + 1
    assert "— refunded" in await chat.text("bob", f"/order {no}")
    assert "Available: CN¥0.00" in await chat.text("amy", "/earnings")


async def test_the_daily_maximum_counts_the_whole_local_day(chat: Chat, clock: FakeClock) -> None:
    """The shop's day (Asia/Shanghai) starts at 16:00 UTC the day before: a withdrawal at
    01:30 local counts against the same day as one at 11:00 local."""
    await referred_order_received(chat, qty=2)  # 256.00: 25.60 of commission
    clock.advance(days=8)
    assert await chat.runtime.referral.ledger.release_due() == 1
    await chat.say(MERCHANT, "/refset daymax 15")
    clock.now = datetime(2026, 11, 29, 17, 30, tzinfo=UTC)  # 30 November, 01:30 local
    assert "is waiting for the merchant" in await chat.text("amy", "/withdraw 10")
    clock.now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # the same local day, 11:00
    refused = await chat.text("amy", "/withdraw 10")
    assert "Over the daily limit: you can withdraw CN¥5.00 more today." in refused
    clock.now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 1 December, 00:30 local
    assert "is waiting for the merchant" in await chat.text("amy", "/withdraw 10")


async def test_the_leaderboard_counts_from_local_midnight(chat: Chat, clock: FakeClock) -> None:
    """Commission earned at 01:00 on the 1st (shop time) is this month's, on the 1st too."""
    code = await agent_code(chat, "amy")
    await chat.say("bob", f"/start ref_{code}")
    clock.now = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 December, 01:00 local
    no = await place_order(chat, "bob", product=1, qty=1)
    await chat.say(MERCHANT, f"/paid {no}")
    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 1 December, 10:00 local
    board = await chat.text("bob", "/top month")
    assert "Top agents this month:" in board and "1. a** · CN¥12.80" in board


async def test_no_freeze_period_reads_as_such(chat: Chat) -> None:
    text = await chat.text(MERCHANT, "/refset freeze 0")
    assert "Commission becomes available as soon as the order completes" in text
    assert "0 days" not in text
    await chat.say(MERCHANT, "/lang zh")
    assert "订单完成后佣金即可提现" in await chat.text(MERCHANT, "/refset")


async def test_another_shops_agent_link_welcomes_to_that_shop(chat: Chat) -> None:
    """Browsing one shop, a customer opens an agent's link of another: they land in the
    agent's shop, and the welcome names it (not the shop they were in)."""
    code = await agent_code(chat, "amy")  # an agent of the demo shop
    await chat.say("zed", "/newshop Zed Tea")
    await chat.say("carol", "/start shop_zed-tea")
    text = await chat.text("carol", f"/start ref_{code}")
    assert "Welcome to 微店小铺 Demo Shop!" in text and "Zed Tea" not in text
    assert "invited by a**" in text
    assert "微店小铺 Demo Shop" in await chat.text("carol", "/catalog")


async def test_the_team_counts_everyone_not_only_the_names_shown(chat: Chat) -> None:
    code = await agent_code(chat, "amy")
    for n in range(12):
        await chat.say(f"c{n:02d}", f"/start ref_{code}")
    team = await chat.text("amy", "/team")
    assert "Level 1: 12 customers, 0 agents" in team  # ten names are shown, twelve counted
    assert team.count("c**") == 10 and "c**, …" in team
