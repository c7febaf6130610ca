"""Deep links: made with aiogram's helpers, routed by the engine on /start <payload>."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from bot.telegram import TELEGRAM
from bot.telegram.convert import message_to_incoming
from bot.telegram.inbound import read_message
from bot.telegram.links import start_link

from . import updates as u
from .conftest import Harness
from .fake_bot_api import BOT_USERNAME

ALICE = 111


def _start_param(link: str) -> str:
    parsed = urlparse(link)
    assert parsed.netloc == "t.me" and parsed.path == f"/{BOT_USERNAME}"
    return parse_qs(parsed.query)["start"][0]


def test_start_payload_becomes_incoming_start_payload() -> None:
    for payload in ("shop_demo", "ref_AB12", "gb_x-9"):
        message = read_message(u.message(ALICE, f"/start {payload}")["message"])
        incoming = message_to_incoming(message, BOT_USERNAME)
        assert incoming is not None
        assert (incoming.text, incoming.start_payload) == ("/start", payload)
        assert incoming.platform == "telegram" and incoming.user_id == str(ALICE)


async def test_links_for_each_kind(tg: Harness) -> None:
    bot = tg.client.server.app[TELEGRAM].bot
    assert _start_param(await start_link(bot, "shop", "tea-house")) == "shop_tea-house"
    assert _start_param(await start_link(bot, "ref", "AB12")) == "ref_AB12"
    assert _start_param(await start_link(bot, "gb", "X9")) == "gb_X9"
    with pytest.raises(ValueError):
        await start_link(bot, "ref", "has space")
    with pytest.raises(ValueError):
        await start_link(bot, "ref", "x" * 80)  # refused, never shortened


async def test_shop_deep_link_chooses_the_shop(tg: Harness) -> None:
    await tg.send(u.message(500, "/newshop Tea House", name="Mia"))
    await tg.send(u.message(500, "/addproduct Green tea | 12.50 | 5", name="Mia"))
    shop = await tg.runtime.services.shops.by_slug("tea-house")
    bot = tg.client.server.app[TELEGRAM].bot
    param = _start_param(await start_link(bot, "shop", shop.slug))
    await tg.send(u.message(ALICE, f"/start {param}"))
    welcome = tg.last_to(ALICE)
    assert "Tea House" in welcome.params["text"]
    assert tg.buttons(welcome)  # the welcome keyboard
    await tg.send(u.message(ALICE, "/catalog"))
    assert "Green tea" in tg.last_to(ALICE).params["text"]


async def test_referral_link_is_made_by_the_adapter_and_binds_the_newcomer(tg: Harness) -> None:
    await tg.send(u.message(ALICE, "/ref"))
    offer = tg.last_to(ALICE, "sendMessage", "sendPhoto")
    text = offer.params.get("caption") or offer.params["text"]
    link = next(w for w in text.split() if w.startswith("https://t.me/"))
    param = _start_param(link)
    assert param.startswith("ref_")

    bob = 222
    await tg.send(u.message(bob, f"/start {param}", name="Bob"))
    answers = tg.to_chat(bob, "sendMessage", "sendPhoto")
    assert len(answers) == 2  # the welcome, and the referral's own greeting


async def test_group_buy_payload_reaches_group_buying(tg: Harness) -> None:
    await tg.send(u.message(ALICE, "/start gb_X9"))
    assert "X9" in tg.last_to(ALICE).params["text"]  # answered by the group-buy feature


async def test_unknown_payload_still_gets_the_welcome(tg: Harness) -> None:
    await tg.send(u.message(ALICE, "/start something_else"))
    assert tg.buttons(tg.last_to(ALICE))
