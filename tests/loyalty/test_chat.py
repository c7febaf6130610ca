"""Loyalty through the chat: the owner sets the rules, customers see points and levels, and
bad input gets a clear reply and changes nothing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.errors import MESSAGES
from store.loyalty.models import LevelRule, PointsProgram
from store.models import Order
from tests.conftest import MERCHANT, Chat

from .helpers import (
    assert_balances_match_ledger,
    balance,
    complete_order,
    ledger_state,
    person_id,
)


async def rules_state() -> tuple:
    program = await PointsProgram.all().values_list(
        "enabled", "earn_rate", "redeem_points", "cap_percent"
    )
    levels = (
        await LevelRule.all().order_by("id").values_list("name", "min_spend", "discount_percent")
    )
    return tuple(program), tuple(levels)


async def test_points_are_off_until_the_owner_switches_them_on(chat: Chat) -> None:
    assert "Points are off" in await chat.text(MERCHANT, "/pointsrule")
    await complete_order(chat)
    assert await balance("alice") == 0
    text = await chat.text("alice", "/points")
    assert "does not give points" in text and "No points yet." in text
    assert "Total spend: CN¥256.00" in text  # spend counts for levels all the same


async def test_one_point_per_yuan_reads_point_not_points(chat: Chat) -> None:
    saved = await chat.text(MERCHANT, "/pointsrule earn=1")
    assert "Earn: 1 point per CN¥1.00" in saved, saved
    assert "earns 1 point when" in await chat.text("alice", "/points")
    assert "Earn: 0.5 points per" in await chat.text(MERCHANT, "/pointsrule earn=0.5")
    await chat.say(MERCHANT, "/lang zh")
    assert "得 1 积分" in await chat.text(MERCHANT, "/pointsrule earn=1")


async def test_owner_sets_the_rule_and_points_are_earned_at_that_rate(chat: Chat) -> None:
    saved = await chat.text(MERCHANT, "/pointsrule earn=2 value=50 cap=30")
    assert "Saved." in saved and "2 points per CN¥1.00" in saved and "30%" in saved
    # A subset changes only what it names.
    assert "at most 10%" in await chat.text(MERCHANT, "积分规则 cap=10")
    assert await rules_state() == (((True, D("2.00"), 50, 10),), ())

    no = await complete_order(chat)  # 256.00 paid
    assert await balance("alice") == 512
    text = await chat.text("alice", "/points")
    assert "Your points at 微店小铺 Demo Shop: 512" in text
    assert "Worth CN¥10.24" in text  # 512 points at 50 a yuan
    assert f"+512 · points earned · {no}" in text
    await chat.say("alice", "/lang zh")
    zh = await chat.text("alice", "积分")
    assert "的积分：512" in zh and "获得积分" in zh


async def test_switching_off_keeps_balances_and_stops_earning(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1")
    await complete_order(chat, qty=1)
    assert "Points are off" in await chat.text(MERCHANT, "/pointsrule off")
    await complete_order(chat, qty=1)
    assert await balance("alice") == 128
    assert "Earn: 1 point per" in await chat.text(MERCHANT, "/pointsrule on")


async def test_levels_by_total_spend_give_their_discount(chat: Chat) -> None:
    await chat.say(MERCHANT, "/level add 银卡 200 5")
    listed = await chat.text(MERCHANT, "等级 add 金卡 1000 9.5")
    assert "银卡: from CN¥200.00, 5% off" in listed and "金卡: from CN¥1,000.00, 9.5% off" in listed
    assert "9.5% off" in await chat.text("alice", "/levels")

    await complete_order(chat, qty=2)  # 256.00: 银卡
    text = await chat.text("alice", "/points")
    assert "Member level: 银卡, 5% off every order" in text
    assert "Spend CN¥744.00 more to become 金卡 (9.5% off)" in text
    level = await chat.runtime.services.loyalty.member_level(1, await person_id("alice"))
    assert level is not None and (level.name, level.discount_percent) == ("银卡", D("5.00"))

    # The next order is priced with the member discount.
    await chat.say("alice", "/add 1 1")
    await chat.say("alice", "/checkout last")
    await chat.say("alice", "/checkout confirm")
    order = await Order.filter(person_id=await person_id("alice")).order_by("-id").first()
    assert order is not None and order.total == D("121.60")  # 128.00 less 5%

    await chat.say(MERCHANT, "/level add 银卡 100 6")  # the same name changes the level
    await chat.say(MERCHANT, "/level remove 金卡")
    assert (await rules_state())[1] == (("银卡", D("100.00"), D("6.00")),)
    assert "That is the top level." in await chat.text("alice", "/points")


async def test_level_names_ignore_case(chat: Chat) -> None:
    await chat.say(MERCHANT, "/level add Gold 1000 5")
    before = await rules_state()
    for line in ("/level add gold 2000 8", "/level add GOLD 1000 6"):
        text = await chat.text(MERCHANT, line)
        assert "There is a level “Gold” already" in text and "write its name as it is: Gold" in text
        assert await rules_state() == before
    await chat.say(MERCHANT, "/level add Gold 1500 6")  # spelled as it is: changes it
    assert (await rules_state())[1] == (("Gold", D("1500.00"), D("6.00")),)
    assert "Saved" in await chat.text(MERCHANT, "/level remove gOLD")
    assert (await rules_state())[1] == ()


async def test_levels_made_in_two_cases_before_stay_reachable(chat: Chat) -> None:
    """A shop that made `Gold` and `gold` before names ignored case: the exact name wins."""
    await LevelRule.create(shop_id=1, name="Gold", min_spend=D("1000"), discount_percent=D("5"))
    await LevelRule.create(shop_id=1, name="gold", min_spend=D("2000"), discount_percent=D("8"))
    await chat.say(MERCHANT, "/level add gold 3000 9")
    await chat.say(MERCHANT, "/level remove Gold")
    assert (await rules_state())[1] == (("gold", D("3000.00"), D("9.00")),)


async def test_owner_adjusts_points_by_hand(chat: Chat) -> None:
    await chat.say("alice", "/start")
    assert "+300 points for alice. Balance now: 300" in await chat.text(
        MERCHANT, "/pointsadjust alice +300 birthday gift"
    )
    assert "-100 points" in await chat.text(MERCHANT, "积分调整 alice -100")
    text = await chat.text("alice", "/points")
    assert "+300 · adjusted by the shop · birthday gift" in text
    assert "200" in await chat.text(MERCHANT, "/points alice")
    await assert_balances_match_ledger()


async def test_points_asked_in_a_group_are_answered_privately(chat: Chat) -> None:
    await chat.say("alice", "/start")
    [reply] = await chat.say("alice", "/points", group="fans")
    assert reply.private and "Your points" in reply.text


BAD_RULES = [
    ("/pointsrule earn=abc", "“earn” is the points per 1 paid"),
    ("/pointsrule earn=-1", "“earn” is the points per 1 paid"),
    ("/pointsrule earn=101", "“earn” is the points per 1 paid"),
    ("/pointsrule earn=0.005", "“earn” is the points per 1 paid"),
    ("/pointsrule value=0", "“value” is how many points pay 1"),
    ("/pointsrule value=1.5", "“value” is how many points pay 1"),
    ("/pointsrule cap=101", "“cap” is a whole percentage"),
    ("/pointsrule cap=-3", "“cap” is a whole percentage"),
    ("/pointsrule bonus=5", "“bonus=5” is not an option here. Options: cap, earn, value."),
    ("/pointsrule earn 1", "Usage: /pointsrule"),
    ("/pointsrule earn=1 earn=2", "“earn” is given twice"),
    ("/pointsrule value=5 VALUE=6", "“value” is given twice"),
    ("/pointsrule off now", "Usage: /pointsrule"),
    ("/level", "Usage: /level"),
    ("/level add 银卡 1000", "Usage: /level"),
    ("/level add 银卡 lots 5", "not an amount of money"),
    ("/level add 银卡 -5 5", "can't be below zero"),
    ("/level add 银卡 100 100", "percentage below 100"),
    ("/level add 银卡 100 five", "percentage below 100"),
    ("/level add 一二三四五六七八九十一二三四五六七八九十X 100 5", "1 to 20 characters"),
    ("/level add 铜卡 500 2", "Another level already starts"),
    ("/level remove 钻石卡", "There is no level “钻石卡”"),
    ("/level rename 银卡", "Usage: /level"),
    ("/pointsadjust alice", "Usage: /pointsadjust"),
    ("/pointsadjust alice lots", "not a whole number of points"),
    (
        "/pointsadjust alice 0",
        "Adjust by a whole number of points from -100000000 to +100000000, not 0",
    ),
    ("/pointsadjust alice -0", "not 0"),
    ("/pointsadjust alice -", "not a whole number of points"),
    ("/pointsadjust alice 1.5", "not a whole number of points"),
    ("/pointsadjust alice -301", "The customer has 300 points: taking away 301 would go"),
    ("/pointsadjust nobody 5", "I don't know the user"),
]


@pytest.mark.parametrize(("line", "expected"), BAD_RULES)
async def test_bad_input_is_answered_and_changes_nothing(
    chat: Chat, line: str, expected: str
) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1")
    await chat.say(MERCHANT, "/level add 银卡 500 5")
    await chat.say("alice", "/start")
    await chat.say(MERCHANT, "/pointsadjust alice 300")
    before = (await rules_state(), await ledger_state())
    text = await chat.text(MERCHANT, line)
    assert expected in text, text
    assert MESSAGES["error"] not in text
    assert (await rules_state(), await ledger_state()) == before


@pytest.mark.parametrize(
    "line",
    ["/pointsrule earn=5", "/pointsrule off", "/level add 银卡 1 1", "/pointsadjust alice 5"],
)
async def test_only_the_owner_changes_loyalty(chat: Chat, line: str) -> None:
    for user in ("alice", "bob"):
        await chat.say(user, "/start")
    await chat.say(MERCHANT, "/staff add bob")
    before = (await rules_state(), await ledger_state())
    assert "only the shop's owner can" in await chat.text("bob", line)
    assert "only the shop's owner and staff" in await chat.text("carol", line)
    assert (await rules_state(), await ledger_state()) == before
    assert "Points are off" in await chat.text("bob", "/pointsrule")  # staff may look
    assert "only" in await chat.text("carol", "/points alice")


ARG = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["earn=", "value=1e9", "cap=NaN", "=", "+", "-0", "１２", "add", "remove"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    word=st.sampled_from(["/points", "/pointsrule", "/levels", "/level", "/pointsadjust"]),
    args=st.lists(ARG, max_size=4),
)
async def test_garbage_arguments_get_a_clear_reply(chat: Chat, word: str, args: list[str]) -> None:
    await chat.say("alice", "/start")
    for user in (MERCHANT, "alice"):
        for reply in await chat.say(user, " ".join([word, *args])):
            assert reply.text.strip()
            assert MESSAGES["error"] not in reply.text, args
    await assert_balances_match_ledger()
