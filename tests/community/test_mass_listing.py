"""Follower-wide sends (WeChat mass send) in /broadcasts and on the dashboard: waiting for
the platform's report, then its figures, counted once however often the report comes."""

from __future__ import annotations

from bot.runtime import Runtime
from store.community.broadcasts import MassReport
from store.community.models import Broadcast, BroadcastStatus, MassSend, MassSendStatus
from tests.community.test_engine import shop_and_owner
from tests.conftest import MERCHANT, Chat
from tests.dashboard.conftest import dashboard_client


async def test_broadcasts_shows_the_mass_send_report(chat: Chat, runtime: Runtime) -> None:
    shop_id, owner = await shop_and_owner(chat)
    service = runtime.services.community.broadcasts
    view = await service.draft(shop_id, owner, "all", "Anniversary sale")
    await Broadcast.filter(id=view.id).update(status=BroadcastStatus.DONE, audience_done=True)
    for channel, msg_id in (("main", "1001"), ("second", "")):
        await MassSend.create(
            broadcast_id=view.id,
            platform="wechat",
            channel=channel,
            client_msg_id=f"c-{channel}",
            status=MassSendStatus.SUBMITTED if msg_id else MassSendStatus.FAILED,
            msg_id=msg_id,
        )
    listing = await chat.text(MERCHANT, "/broadcasts")
    assert "followers (mass send): sent 0 of 0" in listing
    assert "waiting for the platform's report" in listing
    assert "mass send refused on 1 account(s)" in listing

    first = MassReport("send success", total=120, sent=110, errors=6, filtered=4)
    assert await service.record_mass_report("wechat", "main", "1001", first)
    again = MassReport("send success", total=120, sent=0, errors=120, filtered=0)
    assert not await service.record_mass_report("wechat", "main", "1001", again)
    assert not await service.record_mass_report("wechat", "second", "1001", first)
    assert not await service.record_mass_report("wechat", "main", "", first)
    listing = await chat.text(MERCHANT, "/broadcasts")
    assert "followers (mass send): sent 110 of 120, failed 6, filtered 4" in listing
    assert "waiting for the platform's report" not in listing


async def test_the_dashboard_shows_the_mass_send_report(chat: Chat, runtime: Runtime) -> None:
    shop_id, owner = await shop_and_owner(chat)
    service = runtime.services.community.broadcasts
    view = await service.draft(shop_id, owner, "all", "Anniversary sale")
    await Broadcast.filter(id=view.id).update(status=BroadcastStatus.DONE, audience_done=True)
    await MassSend.create(
        broadcast_id=view.id,
        platform="wechat",
        channel="main",
        client_msg_id="c-main",
        status=MassSendStatus.SUBMITTED,
        msg_id="1001",
    )
    async with dashboard_client(chat) as dash:
        await dash.login()
        _, body = await dash.get("/dashboard/broadcasts")
        assert "waiting for the platform" in body.split(f'id="mass-{view.id}"')[1].split("</p>")[0]
        report = MassReport("send success", total=50, sent=47, errors=2, filtered=1)
        assert await service.record_mass_report("wechat", "main", "1001", report)
        _, body = await dash.get("/dashboard/broadcasts")
        line = body.split(f'id="mass-{view.id}"')[1].split("</p>")[0]
        assert "sent 47 of 50, failed 2, filtered 1" in line and "waiting" not in line
        resp = await dash.client.get(f"/dashboard/broadcasts/{view.id}/progress")
        mass = (await resp.json())["mass"]
        assert mass == {
            "units": 1,
            "waiting": 0,
            "failed": 0,
            "total": 50,
            "sent": 47,
            "errors": 2,
            "filtered": 1,
        }
