"""Linking two accounts (/link, owned by accounts) adds their points and spend together."""

from __future__ import annotations

import re

from handlers.types import Incoming, Reply
from store.loyalty.models import Member
from store.models import Identity
from tests.conftest import MERCHANT, Chat

from .helpers import assert_balances_match_ledger, complete_order, person_id


async def on_telegram(chat: Chat, text: str, n: int) -> list[Reply]:
    msg = Incoming(
        platform="telegram",
        user_id="777",
        chat_id="777",
        text=text,
        message_id=f"tg{n}",
        display_name="Alice TG",
    )
    return await chat.runtime.engine.handle(msg)


async def test_linking_accounts_sums_points_and_spend(chat: Chat) -> None:
    await chat.say(MERCHANT, "/pointsrule earn=1")
    await complete_order(chat, "alice", qty=1)  # 128 points, 128.00 spent
    await on_telegram(chat, "/start", 1)
    telegram = await Identity.get(platform="telegram", platform_user_id="777")
    await chat.runtime.services.loyalty.adjust(1, telegram.person_id, 72, "welcome")  # type: ignore[attr-defined]

    code = re.search(r"/link (\S+)", await chat.text("alice", "/link"))
    assert code is not None
    [linked] = await on_telegram(chat, f"/link {code.group(1)} confirm", 2)
    assert "linked" in linked.text

    [points] = await on_telegram(chat, "/points", 3)
    assert "Your points at 微店小铺 Demo Shop: 200" in points.text
    assert "Total spend: CN¥128.00" in points.text
    assert await Member.all().count() == 1
    assert (await Member.get()).person_id == await person_id("alice")  # type: ignore[attr-defined]
    await assert_balances_match_ledger()
