"""A group-buy card posted in a Telegram group is edited in place as people join."""

from __future__ import annotations

import re

from store.groupbuy.models import GroupCampaign
from store.models import Product

from . import updates as u
from .conftest import Harness
from .fake_bot_api import BOT_USERNAME
from .test_groups import (
    ALICE,
    BOB,
    GROUP,
    MERCHANT,
    bind_basic_group,
    open_tea_house,
    refused_for,
    until_sent,
)


async def take_seat(tg: Harness, user: int, command: str) -> str:
    """Send the command privately, answering the contact questions if asked; the last text."""
    await tg.send(u.message(user, command))
    for answer in ("Li Lei", "13800138000", "88 Nanjing Road, Shanghai"):
        if "1/3" not in tg.last_to(user).params["text"] and not re.search(
            r"[23]/3", tg.last_to(user).params["text"]
        ):
            break
        await tg.send(u.message(user, answer))
    return "\n".join(c.params.get("text", "") for c in tg.to_chat(user)[-3:])


async def test_card_is_posted_once_then_edited(tg: Harness) -> None:
    slug = await open_tea_house(tg)
    for user in (ALICE, BOB):
        await tg.send(u.message(user, f"/start shop_{slug}"))
    tea = await Product.get(title="Green tea")
    await tg.send(u.message(MERCHANT, f"/gbnew {tea.id} 10 3 2h", name="Mia"))
    campaign = await GroupCampaign.all().order_by("-id").first()
    assert campaign is not None
    opened = await take_seat(tg, ALICE, f"/gbopen {campaign.id}")
    code = re.search(r"\b([2-9A-Z]{6})\b", opened)
    assert code, opened

    await tg.send(u.message(ALICE, f"/gbcard@{BOT_USERNAME} {code.group(1)}", chat_id=GROUP))
    card = tg.last_to(GROUP)
    assert "1/3" in card.params["text"]
    assert any(b.get("callback_data") for b in tg.buttons(card))  # a Join button
    edits_before = len(tg.to_chat(GROUP, "editMessageText"))

    await take_seat(tg, BOB, f"/join {code.group(1)}")
    edits = tg.to_chat(GROUP, "editMessageText")
    assert len(edits) > edits_before
    assert edits[-1].params["message_id"] == card.result["message_id"]
    assert "2/3" in edits[-1].params["text"]
    # the card was edited, not posted again
    assert [c for c in tg.to_chat(GROUP) if "2/3" in c.params.get("text", "")] == []


async def test_card_posted_into_a_group_upgraded_unseen_follows_it(tg: Harness) -> None:
    """/gbpost into a bound group that became a supergroup while the bot wasn't told: the
    card goes to the new chat id, and the group's shop moves with it."""
    old, new = -4_055_555_555, -1_004_055_555_555
    slug = await open_tea_house(tg)
    await bind_basic_group(tg, old)
    tg.fake.upgrade_group(old, new)
    await tg.send(u.message(ALICE, f"/start shop_{slug}"))
    tea = await Product.get(title="Green tea")
    await tg.send(u.message(MERCHANT, f"/gbnew {tea.id} 10 3 2h", name="Mia"))
    campaign = await GroupCampaign.all().order_by("-id").first()
    assert campaign is not None
    code = re.search(r"\b([2-9A-Z]{6})\b", await take_seat(tg, ALICE, f"/gbopen {campaign.id}"))
    assert code

    await tg.send(u.message(MERCHANT, f"/gbpost {code.group(1)}", name="Mia"))
    await until_sent(tg, new)
    [card] = tg.to_chat(new)
    assert "1/3" in card.params["text"]
    assert "1/3" in tg.last_to(GROUP).params["text"]  # the other bound group, as before
    assert refused_for(tg, old) == [400]
    shop = await tg.runtime.services.shops.shop_for_group("telegram", str(new))
    assert shop is not None and shop.slug == slug
