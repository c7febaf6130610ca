"""The delivery engine on its own: platform windows, unsubscribes mid-broadcast, failures,
pauses, quiet hours and segments, with a recording sender."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.runtime import Runtime
from store.community.delivery import DeliveryEngine, EngineSettings
from store.community.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionStatus,
)
from store.community.pacing import Limits, Pacer
from store.community.port import (
    BLOCKED,
    SENT,
    BroadcastMessage,
    SendResult,
    failed,
)
from store.models import Identity, Order, OrderItem, OrderStatus, Product
from tests.conftest import MERCHANT, Chat, FakeClock


class Recorder:
    def __init__(self, answers: dict[str, SendResult] | None = None) -> None:
        self.sent: list[tuple[str, BroadcastMessage]] = []
        self.answers = answers or {}

    async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult:
        self.sent.append((chat_id, message))
        return self.answers.get(chat_id, SENT)


def engine(rt: Runtime, senders: dict[str, Recorder]) -> DeliveryEngine:
    return DeliveryEngine(
        senders,  # type: ignore[arg-type]
        {p: Pacer(Limits(rate_per_second=1000)) for p in senders},
        rt.services.community.subscriptions,
        rt.services.community.audience,
        EngineSettings(concurrency=4, status_check_seconds=0),  # a pause is seen at once
        clock=rt.services.clock,
    )


async def shop_and_owner(chat: Chat) -> tuple[int, int]:
    await chat.say(MERCHANT, "/start")
    ident = await Identity.get(platform="sim", platform_user_id=MERCHANT)
    return (await Subscription.get(identity_id=ident.id)).shop_id, ident.person_id  # type: ignore[attr-defined]


async def send(rt: Runtime, shop_id: int, owner: int, segment: str, text: str = "News") -> int:
    b = rt.services.community.broadcasts
    view = await b.draft(shop_id, owner, segment, text)
    await b.send_now(shop_id, view.id)
    return view.id


async def test_wechat_outside_48_hours_is_skipped_and_counted(
    chat: Chat, runtime: Runtime, clock: FakeClock
) -> None:
    shop_id, owner = await shop_and_owner(chat)
    for user, hours_ago in (("w-recent", 47), ("w-stale", 49)):
        await runtime.services.people.identify("wechat", user, private=True)
        ident = await Identity.get(platform="wechat", platform_user_id=user)
        await Subscription.create(
            shop_id=shop_id, identity_id=ident.id, last_seen_at=clock() - timedelta(hours=hours_ago)
        )
    wechat = Recorder()
    bid = await send(runtime, shop_id, owner, "all")
    report = await engine(runtime, {"wechat": wechat, "sim": Recorder()}).run(bid)
    assert [c for c, _ in wechat.sent] == ["w-recent"]
    stale = await Delivery.get(broadcast_id=bid, chat_id="w-stale")
    assert (stale.status, stale.error) == (DeliveryStatus.SKIPPED, "outside_window")
    assert report.finished and report.skipped == 1
    progress = (await runtime.services.community.broadcasts.view(shop_id, bid)).progress
    assert progress.skipped == 1


async def test_a_message_refreshes_the_window(
    chat: Chat, runtime: Runtime, clock: FakeClock
) -> None:
    await chat.say("alice", "/start")
    first = (await Subscription.get()).last_seen_at
    clock.advance(minutes=1)
    await chat.say("alice", "/catalog")  # within TOUCH_EVERY: no write
    assert (await Subscription.get()).last_seen_at == first
    clock.advance(minutes=10)
    await chat.say("alice", "/catalog")
    assert (await Subscription.get()).last_seen_at == clock()


async def test_writing_again_moves_last_seen_but_never_resubscribes(
    chat: Chat, runtime: Runtime, clock: FakeClock
) -> None:
    await chat.say("alice", "/unsubscribe")  # the very first message: her identity is new
    await chat.say("bob", "/start")
    await chat.say("bob", "/unsubscribe")
    clock.advance(minutes=10)
    for user in ("alice", "bob"):
        await chat.say(user, "/catalog")
    subs = await Subscription.all().order_by("id")
    assert [s.status for s in subs] == [SubscriptionStatus.UNSUBSCRIBED] * 2
    assert [s.last_seen_at for s in subs] == [clock(), clock()]


async def test_unsubscribed_after_drafting_is_skipped_and_blocked_is_marked(
    chat: Chat, runtime: Runtime, clock: FakeClock
) -> None:
    shop_id, owner = await shop_and_owner(chat)
    for user in ("alice", "bob", "carol"):
        await chat.say(user, "/start")
    b = runtime.services.community.broadcasts
    view = await b.draft(shop_id, owner, "all", "Hi")
    await b.send_now(shop_id, view.id)
    eng = engine(runtime, {"sim": Recorder({"carol": BLOCKED, "alice": failed("chat not found")})})
    await eng._copy_audience(await Broadcast.get(id=view.id))  # audience fixed at send time
    await chat.say("bob", "/unsubscribe")  # ... and bob leaves before his turn
    report = await eng.run(view.id)
    assert (report.sent, report.blocked, report.failed, report.skipped) == (1, 1, 1, 1)
    assert (await Delivery.get(chat_id="bob")).error == "unsubscribed"
    carol = await Identity.get(platform_user_id="carol")
    assert carol.unreachable
    assert (await Subscription.get(identity_id=carol.id)).status == SubscriptionStatus.BLOCKED
    clock.advance(minutes=6)  # (last-seen is written at most every TOUCH_EVERY)
    await chat.say("carol", "/catalog")  # she unblocked the bot and writes again
    assert (await Subscription.get(identity_id=carol.id)).status == SubscriptionStatus.SUBSCRIBED


async def test_paused_broadcast_stops_and_resumes_where_it_stopped(
    chat: Chat, runtime: Runtime
) -> None:
    shop_id, owner = await shop_and_owner(chat)
    for i in range(30):
        await chat.say(f"u{i}", "/start")
    bid = await send(runtime, shop_id, owner, "all")
    service = runtime.services.community.broadcasts
    rec = Recorder()

    class Pausing(Recorder):
        async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult:
            result = await rec.send(chat_id, message)
            if len(rec.sent) == 10:  # the merchant presses pause after the 10th
                await service.pause(shop_id, bid)
            return result

    report = await engine(runtime, {"sim": Pausing()}).run(bid)
    assert not report.finished
    assert (await Broadcast.get(id=bid)).status == BroadcastStatus.PAUSED
    first = len(rec.sent)
    assert 10 <= first <= 10 + 4  # what was claimed before the pause was seen
    await service.resume(shop_id, bid)
    report = await engine(runtime, {"sim": rec}).run(bid)
    assert report.finished
    chats = [c for c, _ in rec.sent]
    assert len(chats) == len(set(chats)) == 31


async def test_scheduled_broadcast_waits_for_its_time_and_quiet_hours(
    chat: Chat, runtime: Runtime, clock: FakeClock
) -> None:
    # The clock says 12:00 UTC = 20:00 in Shanghai.
    await shop_and_owner(chat)
    text = await chat.text(MERCHANT, "/broadcast all | Night owl sale")
    bid = int(text.split("#")[1].split()[0])
    listing = await chat.text(MERCHANT, f"/broadcast at {bid} 23:00")
    assert "scheduled" in listing and "23:00" in listing
    service = runtime.services.community.broadcasts
    assert await service.start_due() == []
    clock.advance(hours=3, minutes=1)  # 23:01 local: due, but quiet hours
    assert await service.start_due() == []
    clock.advance(hours=9)  # 08:01 local
    assert await service.start_due() == [bid]
    assert await service.start_due() == []  # once
    assert (await Broadcast.get(id=bid)).status == BroadcastStatus.SENDING


async def test_segments_buyers_and_idle(chat: Chat, runtime: Runtime, clock: FakeClock) -> None:
    shop_id, _ = await shop_and_owner(chat)
    for user in ("alice", "bob"):
        await chat.say(user, "/start")
    alice = await Identity.get(platform_user_id="alice")
    product = await Product.filter(shop_id=shop_id).order_by("id").first()
    assert product is not None
    order = await Order.create(
        order_no="ABCDEFGH",
        shop_id=shop_id,
        person_id=alice.person_id,  # type: ignore[attr-defined]
        status=OrderStatus.PAID,
        subtotal=Decimal("10"),
        total=Decimal("10"),
        currency="CNY",
        contact_name="A",
        phone="13800138000",
        address="1 Road, City",
        pay_deadline=clock(),
        created_at=clock(),  # the segment counts days on the shop's clock, not the machine's
    )
    await OrderItem.create(
        order=order, product=product, title=product.title, unit_price=Decimal("10"), quantity=1
    )
    b = runtime.services.community.broadcasts
    assert await b.size(shop_id, f"product:{product.id}") == 1
    assert await b.size(shop_id, "idle:30") == 2  # bob and the merchant never ordered
    clock.advance(days=31)
    assert await b.size(shop_id, "idle:30") == 3
    assert await b.size(shop_id, "all") == 3


async def test_agents_segment_comes_from_referral(chat: Chat, runtime: Runtime) -> None:
    from referral.models import Agent, AgentStatus

    shop_id, _ = await shop_and_owner(chat)
    for user in ("alice", "bob"):
        await chat.say(user, "/start")
    alice = await Identity.get(platform_user_id="alice")
    bob = await Identity.get(platform_user_id="bob")
    await Agent.create(
        shop_id=shop_id,
        person_id=alice.person_id,
        code="A1",  # type: ignore[attr-defined]
        status=AgentStatus.ACTIVE,
    )
    await Agent.create(
        shop_id=shop_id,
        person_id=bob.person_id,
        code="B1",  # type: ignore[attr-defined]
        status=AgentStatus.PENDING,
    )
    assert await runtime.services.community.broadcasts.size(shop_id, "agents") == 1
    assert "reaches 1 recipient." in await chat.text(MERCHANT, "/audience 代理")


async def test_quiet_hours_are_per_shop(chat: Chat, runtime: Runtime, clock: FakeClock) -> None:
    await shop_and_owner(chat)
    assert "22:00–08:00 (Asia/Shanghai)" in await chat.text(MERCHANT, "/quiet")
    assert "13:00–15:00" in await chat.text(MERCHANT, "/quiet 13 15")
    assert "0 to 23" in await chat.text(MERCHANT, "/quiet 13 24")
    bid = int((await chat.text(MERCHANT, "/broadcast all | Lunch deal")).split("#")[1].split()[0])
    await chat.say(MERCHANT, f"/broadcast at {bid} 23:30")  # 23:30 is no longer quiet here
    service = runtime.services.community.broadcasts
    clock.advance(hours=3, minutes=31)  # 23:31 in Shanghai
    assert await service.start_due() == [bid]
    assert "No quiet hours" in await chat.text(MERCHANT, "/quiet off")
