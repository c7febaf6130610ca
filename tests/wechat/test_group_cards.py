"""Group-buy cards on WeChat: the first carries a QR code that joins; changes send new cards."""

from __future__ import annotations

import re

from handlers.types import Incoming
from store.groupbuy.models import GroupCampaign

from .conftest import USER, HarnessFactory

FRIEND = "oUser0000000000000000000002"


async def take_seat(wx, openid: str, command: str) -> str:  # type: ignore[no-untyped-def]
    texts = [(await wx.say(command, openid=openid)).content]
    for answer in ("Li Lei", "13800138000", "88 Nanjing Road, Shanghai"):
        if not re.search(r"[123]/3", texts[-1]):
            break
        texts.append((await wx.say(answer, openid=openid)).content)
    await wx.settle()
    return "\n".join(texts + wx.sent_texts(openid))


async def test_card_with_qr_then_a_new_card_per_change(make_harness: HarnessFactory) -> None:
    wx = await make_harness()
    merchant = Incoming(
        platform="sim",
        user_id="merchant",
        chat_id="merchant",
        text="/gbnew 1 99 3 2h",
        message_id="m1",
    )
    await wx.runtime.engine.handle(merchant)
    campaign = await GroupCampaign.all().order_by("-id").first()
    assert campaign is not None

    opened = await take_seat(wx, USER, f"/gbopen {campaign.id}")
    code = re.search(r"\b([2-9A-Z]{6})\b", opened)
    assert code, opened
    await wx.say(f"/gbcard {code.group(1)}")
    await wx.settle()
    scenes = [
        c.body["action_info"]["scene"]["scene_str"]
        for c in wx.fake.calls_to("/cgi-bin/qrcode/create")
    ]
    assert f"gb_{code.group(1)}" in scenes
    news = [
        c
        for c in wx.fake.calls_to("/cgi-bin/message/custom/send")
        if c.body["msgtype"] == "news" and c.body["touser"] == USER
    ]
    assert news and "showqrcode" in news[-1].body["news"]["articles"][0]["picurl"]

    await take_seat(wx, FRIEND, f"/join {code.group(1)}")
    assert any("2/3" in text for text in wx.sent_texts(USER))  # a new card, not an edit
