"""Broadcasts to WeChat followers end to end: the in-process broadcast worker sends through
the real API client to the stand-in, and WeChat's job reports come back through the real
webhook, signed. Customer-service messages within 48 hours, the template outside them (or
when WeChat says the window closed), skipped where no template is configured, blocked
followers marked; mass sends for `all` once per clientmsgid, even after a crash."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta
from typing import Any

import pytest

from bot.broadcast.setup import Broadcasting, start_broadcasting
from store.community.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    MassSend,
    MassSendStatus,
    Subscription,
    SubscriptionStatus,
)
from store.errors import InvalidInput
from store.models import Identity, Shop
from tests.community.conftest import wait_finished

from .conftest import (
    APP_ID,
    LITE_APP_ID,
    LITE_SECRET,
    LITE_TOKEN,
    SECRET,
    TOKEN,
    Harness,
    HarnessFactory,
)
from .wire import fixture

CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
MASS = "/cgi-bin/message/mass/sendall"
D = DeliveryStatus
_LATER = itertools.count(1)  # seconds added to each report's CreateTime
TEMPLATE_CONFIG = {
    "id": "TPL-broadcast-0001",
    "fields": {"first": "{title}", "keyword1": "{rest}", "remark": "回复 TD 退订"},
    "url": "https://shop.example.com/shop/demo",
}


def accounts(*, template: bool = True, mass: bool = False) -> list[dict[str, Any]]:
    """ "shop" (customer service; the broadcast template) and "lite" (neither), both for
    the demo shop."""
    shop: dict[str, Any] = {
        "name": "shop",
        "app_id": APP_ID,
        "secret": SECRET,
        "token": TOKEN,
        "shop": "demo",
        "mass_send": mass,
    }
    if template:
        shop["broadcast_template"] = TEMPLATE_CONFIG
    lite = {
        "name": "lite",
        "app_id": LITE_APP_ID,
        "secret": LITE_SECRET,
        "token": LITE_TOKEN,
        "shop": "demo",
        "customer_service": False,
        "mass_send": mass,
    }
    return [shop, lite]


async def harness(make_harness: HarnessFactory, **kw: Any) -> tuple[Harness, Broadcasting]:
    wx = await make_harness(pay=False, accounts=accounts(**kw))
    wx.runtime.settings.broadcast.poll_seconds = 0.05
    wx.runtime.settings.broadcast.lease_seconds = 0.5
    wx.runtime.settings.wechat.broadcast_rate_per_second = 500
    wx.runtime.settings.wechat.broadcast_backoff_seconds = 0.3
    return wx, await start_broadcasting(wx.runtime, send=True)


async def follower(wx: Harness, openid: str, account: str = "shop", hours_ago: float = 1) -> None:
    """Someone who wrote to `account` `hours_ago` hours ago (the stand-in forgets it)."""
    await wx.say("/help", openid=openid, account=account)
    await wx.settle()
    ident = await Identity.get(platform="wechat", platform_user_id=openid)
    seen = wx.runtime.services.clock() - timedelta(hours=hours_ago)
    await Subscription.filter(identity_id=ident.id).update(last_seen_at=seen)
    wx.fake.calls.clear()


async def broadcast(wx: Harness, text: str, segment: str = "all") -> int:
    shop = await Shop.get(slug="demo")
    owner = await wx.runtime.services.people.identify("sim", "merchant")
    b = wx.runtime.services.community.broadcasts
    view = await b.draft(shop.id, owner.person_id, segment, text)  # type: ignore[attr-defined]
    await b.send_now(shop.id, view.id)
    return view.id


async def kill(b: Broadcasting) -> None:
    """An in-process stand-in for SIGKILL: the worker and every send it has in flight stop
    where they are, nothing more is recorded (leases stay as they were)."""
    sends = [
        t
        for t in asyncio.all_tasks()
        if t.get_coro().__qualname__ == "DeliveryEngine._deliver"  # type: ignore[union-attr]
    ]
    doomed = [*sends, *b.tasks]
    for task in doomed:
        task.cancel()
    await asyncio.gather(*doomed, return_exceptions=True)


def to(wx: Harness, path: str, openid: str) -> list[dict[str, Any]]:
    return [c.body for c in wx.fake.calls_to(path) if c.body.get("touser") == openid]


async def delivery(bid: int, openid: str) -> Delivery:
    return await Delivery.get(broadcast_id=bid, platform="wechat", chat_id=openid)


async def report(wx: Harness, name: str, account: str = "shop", **values: Any) -> None:
    """WeChat pushes a job report to our webhook, signed with the account's token; a new
    CreateTime each time, so the webhook's de-duplication does not catch a repeat."""
    values.setdefault("time", int(time.time()) + next(_LATER))
    values.setdefault("openid", "oMassJobReporter00000000001")
    xml = fixture(name, **values)
    resp = await wx.post(xml, account=account)
    assert resp.status == 200 and await resp.text() == "success"
    await wx.settle()


async def test_window_template_skip_and_blocked_per_follower(make_harness: HarnessFactory) -> None:
    wx, _ = await harness(make_harness)
    people = {
        "oInWindow": ("shop", 1),  # a customer-service message
        "oClosedEarly": ("shop", 2),  # WeChat says 45015 anyway: the template instead
        "oQuotaUsed": ("shop", 3),  # 45047: this window's quota is used up: the template
        "oStale": ("shop", 49),  # outside 48 hours: the template
        "oUnfollowed": ("shop", 4),  # 43004: blocked
        "oStaleGone": ("shop", 60),  # outside, and the template says 43004: blocked
        "oLite": ("lite", 1),  # no customer service, no template there: skipped
        "oLiteStale": ("lite", 50),  # skipped
    }
    for openid, (account, hours) in people.items():
        await follower(wx, openid, account, hours)
    wx.fake.refuse[(CUSTOM, "oClosedEarly")] = 45015
    wx.fake.refuse[(CUSTOM, "oQuotaUsed")] = 45047
    wx.fake.refuse[(CUSTOM, "oUnfollowed")] = 43004
    wx.fake.refuse[(TEMPLATE, "oStaleGone")] = 43004

    bid = await broadcast(wx, "春季上新\n新茶到店，全场九折")
    assert (await wait_finished(bid)).status == BroadcastStatus.DONE

    # What went over the wire, to whom, exactly once each.
    assert [c["text"]["content"] for c in to(wx, CUSTOM, "oInWindow")] == [
        "春季上新\n新茶到店，全场九折"
    ]
    for openid in ("oClosedEarly", "oQuotaUsed", "oStale", "oStaleGone"):
        (sent,) = to(wx, TEMPLATE, openid)
        assert sent["template_id"] == "TPL-broadcast-0001"
        assert sent["url"] == TEMPLATE_CONFIG["url"]
        assert sent["data"] == {
            "first": {"value": "春季上新"},
            "keyword1": {"value": "新茶到店，全场九折"},
            "remark": {"value": "回复 TD 退订"},
        }
    assert to(wx, TEMPLATE, "oInWindow") == [] and to(wx, TEMPLATE, "oUnfollowed") == []
    assert to(wx, CUSTOM, "oStale") == []  # never tried outside the window
    for openid in ("oLite", "oLiteStale"):
        assert to(wx, CUSTOM, openid) == to(wx, TEMPLATE, openid) == []

    expected = {
        "oInWindow": (D.SENT, "custom", ""),
        "oClosedEarly": (D.SENT, "template", ""),
        "oQuotaUsed": (D.SENT, "template", ""),
        "oStale": (D.SENT, "template", ""),
        "oUnfollowed": (D.BLOCKED, "custom", ""),
        "oStaleGone": (D.BLOCKED, "template", ""),
        "oLite": (D.SKIPPED, "", "no_customer_service"),
        "oLiteStale": (D.SKIPPED, "", "outside_window"),
    }
    for openid, (status, via, error) in expected.items():
        row = await delivery(bid, openid)
        assert (row.status, row.via, row.error) == (status, via, error), openid
        assert bool(row.external_id) == (via == "template" and status == D.SENT), openid
    for openid in ("oUnfollowed", "oStaleGone"):
        ident = await Identity.get(platform="wechat", platform_user_id=openid)
        assert ident.unreachable
        sub = await Subscription.get(identity_id=ident.id)
        assert sub.status == SubscriptionStatus.BLOCKED

    shop = await Shop.get(slug="demo")
    view = await wx.runtime.services.community.broadcasts.view(shop.id, bid)
    wechat_rows = await Delivery.filter(broadcast_id=bid, platform="wechat").count()
    assert wechat_rows == len(people)
    before = view.progress

    # WeChat reports that oStale refuses the account's template messages: twice.
    msg_id = (await delivery(bid, "oStale")).external_id
    event = fixture(
        "templatesendjobfinish", openid="oStale", msg_id=msg_id, status="failed:user block"
    )
    for _ in range(2):
        resp = await wx.post(event)  # the same event again: WeChat retried it
        assert resp.status == 200
    await wx.settle()
    await report(
        wx, "templatesendjobfinish", openid="oStale", msg_id=msg_id, status="failed:user block"
    )
    row = await delivery(bid, "oStale")
    assert row.status == D.BLOCKED
    stale = await Identity.get(platform="wechat", platform_user_id="oStale")
    assert (await Subscription.get(identity_id=stale.id)).status == SubscriptionStatus.BLOCKED
    after = (await wx.runtime.services.community.broadcasts.view(shop.id, bid)).progress
    assert (after.sent, after.blocked) == (before.sent - 1, before.blocked + 1)
    # A success report changes nothing; nor does a msgid from someone else.
    ok_id = (await delivery(bid, "oClosedEarly")).external_id
    await report(wx, "templatesendjobfinish", openid="oClosedEarly", msg_id=ok_id, status="success")
    await report(
        wx, "templatesendjobfinish", openid="oInWindow", msg_id=ok_id, status="failed:user block"
    )
    assert (await delivery(bid, "oClosedEarly")).status == D.SENT


async def test_back_off_on_the_accounts_frequency_limit(make_harness: HarnessFactory) -> None:
    wx, _ = await harness(make_harness)  # backing off for 0.3 s
    await follower(wx, "oBusy")
    wx.fake.fail_next(CUSTOM, 45011, times=2)  # "api minute-quota reach limit"
    loop = asyncio.get_running_loop()
    started = loop.time()
    bid = await broadcast(wx, "Hello")
    await wait_finished(bid)
    row = await delivery(bid, "oBusy")
    assert (row.status, row.attempts) == (D.SENT, 3)
    assert len(to(wx, CUSTOM, "oBusy")) == 3
    assert loop.time() - started >= 0.5  # it waited between the refusals


async def test_mass_send_once_per_account_and_reports_counted_once(
    make_harness: HarnessFactory,
) -> None:
    wx, _ = await harness(make_harness, mass=True)
    await follower(wx, "oFan1")
    await follower(wx, "oFan2", "lite", 100)
    bid = await broadcast(wx, "周年庆，全场八折")
    await wait_finished(bid)
    calls = wx.fake.calls_to(MASS)
    assert len(calls) == 2  # one per account of the shop, nobody one by one
    assert to(wx, CUSTOM, "oFan1") == [] and to(wx, TEMPLATE, "oFan1") == []
    assert await Delivery.filter(broadcast_id=bid, platform="wechat").count() == 0
    for c in calls:
        assert c.body["filter"] == {"is_to_all": True}
        assert c.body["msgtype"] == "text"
        assert c.body["text"] == {"content": "周年庆，全场八折"}
    ids = {c.body["clientmsgid"] for c in calls}
    assert len(ids) == 2 and all(f"-{bid}-" in i for i in ids)
    units = {u.channel: u for u in await MassSend.filter(broadcast_id=bid)}
    assert {u.status for u in units.values()} == {MassSendStatus.SUBMITTED}
    assert {u.msg_id for u in units.values()} == set(wx.fake.mass_sent.values())

    shop = await Shop.get(slug="demo")
    service = wx.runtime.services.community.broadcasts
    waiting = (await service.view(shop.id, bid)).progress
    assert (waiting.mass, waiting.mass_waiting, waiting.followers) == (2, 2, 0)

    counts = {"total": 1200, "sent": 1150, "errors": 30, "filtered": 20}
    event = fixture(
        "masssendjobfinish", msg_id=units["shop"].msg_id, status="send success", **counts
    )
    for _ in range(2):
        assert (await wx.post(event)).status == 200
    await wx.settle()
    # Pushed again later (a new CreateTime: the webhook's de-duplication does not catch it),
    # even with other figures: the first report stands.
    await report(
        wx,
        "masssendjobfinish",
        msg_id=units["shop"].msg_id,
        status="send fail",
        total=1200,
        sent=0,
        errors=1200,
        filtered=0,
    )
    await report(
        wx,
        "masssendjobfinish",
        account="lite",
        msg_id=units["lite"].msg_id,
        status="send success",
        total=300,
        sent=300,
        errors=0,
        filtered=0,
    )
    shop_unit = await MassSend.get(id=units["shop"].id)
    assert shop_unit.status == MassSendStatus.FINISHED
    assert (shop_unit.total_count, shop_unit.sent_count) == (1200, 1150)
    assert (shop_unit.error_count, shop_unit.filter_count) == (30, 20)
    assert shop_unit.job_status == "send success"
    p = (await service.view(shop.id, bid)).progress
    assert (p.mass, p.mass_waiting, p.mass_failed) == (2, 0, 0)
    assert (p.followers, p.followers_sent, p.followers_failed, p.followers_filtered) == (
        1500,
        1450,
        30,
        20,
    )
    # A report for the other account's msg_id posted to this account matches nothing.
    await report(wx, "masssendjobfinish", msg_id=units["lite"].msg_id, status="x", **counts)
    assert (await service.view(shop.id, bid)).progress.followers == 1500


async def test_a_mass_send_says_how_to_stop_in_the_shops_language(
    make_harness: HarnessFactory,
) -> None:
    wx, _ = await harness(make_harness, mass=True)
    await follower(wx, "oFan1")
    shop = await Shop.get(slug="demo")
    await Shop.filter(id=shop.id).update(locale="zh_CN")
    owner = await wx.runtime.services.people.identify("sim", "merchant")
    # as /broadcast and the dashboard draft it: with the opt-out button, here with a picture
    view = await wx.runtime.services.community.broadcasts.draft(
        shop.id,
        owner.person_id,  # type: ignore[attr-defined]
        "all",
        "春茶上新",
        "https://img.example.com/tea.jpg",
        opt_out=("退订", "/unsubscribe demo"),
    )
    await wx.runtime.services.community.broadcasts.send_now(shop.id, view.id)
    await wait_finished(view.id)
    texts = {c.body["text"]["content"] for c in wx.fake.calls_to(MASS)}
    assert texts == {"春茶上新\n\nhttps://img.example.com/tea.jpg\n\n退订：/unsubscribe demo"}

    await wx.say("/unsubscribe demo", openid="oFan1")  # typed as the mass send says
    await wx.settle()
    ident = await Identity.get(platform="wechat", platform_user_id="oFan1")
    sub = await Subscription.get(identity_id=ident.id)
    assert sub.status == SubscriptionStatus.UNSUBSCRIBED


async def test_worker_killed_during_mass_send_never_sends_twice(
    make_harness: HarnessFactory,
) -> None:
    wx, first = await harness(make_harness, mass=True)
    wx.fake.delays[MASS] = 0.4  # accepted at once; the answer takes a while
    bid = await broadcast(wx, "限时秒杀")

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while not wx.fake.calls_to(MASS):  # the request is on its way
        assert loop.time() < deadline, "no mass send"
        await asyncio.sleep(0.01)
    await kill(first)  # the worker dies between the request and recording the answer
    claimed = await MassSend.filter(broadcast_id=bid, status=MassSendStatus.SENDING)
    assert claimed and all(u.msg_id == "" for u in claimed)
    accepted = dict(wx.fake.mass_sent)
    assert accepted  # WeChat has it, we do not know

    wx.fake.delays.pop(MASS)
    await start_broadcasting(wx.runtime, send=True)  # a new worker, after the lease
    deadline = loop.time() + 10
    while await MassSend.filter(
        broadcast_id=bid, status__in=(MassSendStatus.PENDING, MassSendStatus.SENDING)
    ).exists():
        assert loop.time() < deadline, "the mass sends were not recovered"
        await asyncio.sleep(0.05)
    await wait_finished(bid)
    units = await MassSend.filter(broadcast_id=bid)
    assert len(units) == 2
    assert all(u.status == MassSendStatus.SUBMITTED for u in units)
    # Each clientmsgid was accepted once; the repeat got 45065 and the first msg_id.
    assert len(wx.fake.mass_sent) == 2
    for client_id, msg_id in accepted.items():
        (unit,) = [u for u in units if u.client_msg_id == client_id]
        assert unit.msg_id == msg_id
    repeated = [c.body["clientmsgid"] for c in wx.fake.calls_to(MASS)]
    assert len(repeated) > len(set(repeated))  # the crash did cause a second request


@pytest.mark.parametrize("code", [45028, 48001])
async def test_mass_send_refused_is_reported_not_retried(
    make_harness: HarnessFactory, code: int
) -> None:
    wx, _ = await harness(make_harness, mass=True)
    wx.fake.fail_next(MASS, code, errmsg="has no masssend quota")
    bid = await broadcast(wx, "Hi")
    assert (await wait_finished(bid)).status == BroadcastStatus.DONE
    units = await MassSend.filter(broadcast_id=bid).order_by("id")
    assert [u.status for u in units].count(MassSendStatus.FAILED) == 1
    assert str(code) in next(u.error for u in units if u.status == MassSendStatus.FAILED)
    assert len(wx.fake.calls_to(MASS)) == 2
    shop = await Shop.get(slug="demo")
    p = (await wx.runtime.services.community.broadcasts.view(shop.id, bid)).progress
    assert (p.mass, p.mass_failed, p.mass_waiting) == (2, 1, 1)


async def test_a_segment_other_than_all_goes_one_by_one(make_harness: HarnessFactory) -> None:
    wx, _ = await harness(make_harness, mass=True)
    await follower(wx, "oTagged")
    ident = await Identity.get(platform="wechat", platform_user_id="oTagged")
    shop = await Shop.get(slug="demo")
    await wx.runtime.services.community.subscriptions.tag(shop.id, ident.person_id, "vip")  # type: ignore[attr-defined]
    bid = await broadcast(wx, "VIP only", "tag:vip")
    await wait_finished(bid)
    assert wx.fake.calls_to(MASS) == []
    assert (await delivery(bid, "oTagged")).status == D.SENT
    assert await MassSend.filter(broadcast_id=bid).count() == 0


async def test_worker_killed_mid_broadcast_repeats_at_most_the_claimed(
    make_harness: HarnessFactory,
) -> None:
    wx, first = await harness(make_harness)
    openids = [f"oCrash{i:02d}" for i in range(12)]
    for openid in openids:
        await follower(wx, openid)
    wx.fake.delays[CUSTOM] = 0.3  # requests arrive; answers are slow
    bid = await broadcast(wx, "Flash sale")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while len(wx.fake.calls_to(CUSTOM)) < 4:
        assert loop.time() < deadline, "nothing sent"
        await asyncio.sleep(0.01)
    await kill(first)  # requests in flight, their answers never recorded
    concurrency = wx.runtime.settings.broadcast.concurrency
    in_flight = await Delivery.filter(broadcast_id=bid, status=D.SENDING).count()
    assert 0 < in_flight <= concurrency

    wx.fake.delays.pop(CUSTOM)
    await start_broadcasting(wx.runtime, send=True)
    await wait_finished(bid)
    received = {o: len(to(wx, CUSTOM, o)) for o in openids}
    assert all(n >= 1 for n in received.values())  # everyone got it
    recovered = (await Broadcast.get(id=bid)).recovered
    assert sum(n - 1 for n in received.values()) <= recovered <= concurrency
    assert await Delivery.filter(broadcast_id=bid, platform="wechat", status=D.SENT).count() == 12


@pytest.mark.parametrize("mass", [True, False])
async def test_all_with_nobody_written_is_sent_only_where_it_is_a_mass_send(
    make_harness: HarnessFactory, mass: bool
) -> None:
    """Nobody has written to the shop yet: `all` still reaches every follower where it goes
    as mass sends (counted by WeChat afterwards), and nobody where it does not."""
    wx, _ = await harness(make_harness, mass=mass)
    shop = await Shop.get(slug="demo")
    owner = await wx.runtime.services.people.identify("sim", "merchant")
    service = wx.runtime.services.community.broadcasts
    tagged = await service.draft(shop.id, owner.person_id, "tag:vip", "VIP night")  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as refused:
        await service.send_now(shop.id, tagged.id)
    assert refused.value.code == "broadcast_nobody"
    everyone = await service.draft(shop.id, owner.person_id, "all", "春茶上新")  # type: ignore[attr-defined]
    if mass:
        await service.send_now(shop.id, everyone.id)
        await wait_finished(everyone.id)
        assert wx.fake.calls_to(MASS)
    else:
        with pytest.raises(InvalidInput):
            await service.send_now(shop.id, everyone.id)
        assert (await service.view(shop.id, everyone.id)).status == BroadcastStatus.DRAFT
