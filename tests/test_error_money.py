"""An amount of money in a refusal reads like every other amount: ¥12.50, not a bare 12.50."""

from __future__ import annotations

from decimal import Decimal

from handlers.errors import error_text
from store.money import Money
from store.promotions.errors import PriceChanged
from tests.conftest import MERCHANT, Chat
from tests.test_chat_flow import place_order


def test_a_money_parameter_is_shown_in_the_currency_and_locale() -> None:
    err = PriceChanged(total=Money(Decimal("264.00")))
    assert "¥264.00" in error_text("zh_CN", err)
    assert "CN¥264.00" in error_text("en", err)
    assert "€264.00" in error_text("en", err, "EUR")


async def test_coupon_minimum_spend_is_money(chat: Chat) -> None:
    await chat.say(MERCHANT, "/coupon new BIG 10 min=500")
    await chat.say("alice", "/add 1 1")
    assert "at least CN¥500.00." in await chat.text("alice", "/coupon BIG")
    await chat.say("alice", "/lang zh")
    assert "需满 ¥500.00 才能使用" in await chat.text("alice", "/coupon BIG")


async def test_referral_refusals_show_money(chat: Chat) -> None:
    await chat.say("amy", "/ref")
    assert "withdraw CN¥10.00 or more" in await chat.text("amy", "/withdraw 5")
    await chat.say(MERCHANT, "/refset join spend 100")
    assert "spend CN¥100.00 more" in await chat.text("bob", "/ref")


async def test_checkout_total_changed_is_money(chat: Chat) -> None:
    await place_order(chat)  # so that /checkout last has an address
    await chat.say("alice", "/add 2 1")
    await chat.say("alice", "/checkout last")
    await chat.say("alice", "/add 3 1")  # the cart changes behind the confirmation
    text = await chat.text("alice", "/checkout confirm")
    assert "The total changed to CN¥264.00" in text


async def test_checkout_says_the_cart_may_have_changed(chat: Chat) -> None:
    """The total of a confirmation changes when the cart does, not only when a promotion
    ends: the note does not blame a promotion for an item the customer added."""
    await place_order(chat)
    await chat.say("alice", "/lang zh")
    await chat.say("alice", "/add 2 1")
    await chat.say("alice", "/checkout last")
    await chat.say("alice", "/add 3 1")
    assert "购物车有变动" in await chat.text("alice", "/checkout confirm")
