"""The community from the chat: subscribing, segments, preview, send, progress."""

from __future__ import annotations

import re

from bot.broadcast.setup import Broadcasting
from store.community.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    Subscription,
    SubscriptionStatus,
)
from tests.community.conftest import wait_finished
from tests.conftest import MERCHANT, Chat, FakeClock


def broadcast_id(text: str) -> int:
    m = re.search(r"#(\d+)", text)
    assert m, text
    return int(m[1])


async def test_first_contact_subscribes_and_unsubscribe_leaves(chat: Chat) -> None:
    await chat.say("alice", "/start")
    assert await Subscription.filter(status=SubscriptionStatus.SUBSCRIBED).count() == 1
    assert "no longer" in await chat.text("alice", "/unsubscribe")
    sub = await Subscription.get()
    assert sub.status == SubscriptionStatus.UNSUBSCRIBED
    await chat.say("alice", "/catalog")  # talking again does not re-subscribe
    assert (await Subscription.get()).status == SubscriptionStatus.UNSUBSCRIBED
    assert "will receive" in await chat.text("alice", "/subscribe")
    assert (await Subscription.get()).status == SubscriptionStatus.SUBSCRIBED
    assert "no longer" in await chat.text("alice", "TD")  # 回复 TD 退订, as texts say
    assert (await Subscription.get()).status == SubscriptionStatus.UNSUBSCRIBED


async def test_unsubscribe_from_a_named_shop_while_in_another(chat: Chat) -> None:
    await chat.say("alice", "/start")
    await chat.say("carol", "/newshop Carol Cakes")
    await chat.say("alice", "/start shop_carol-cakes")  # now browsing Carol's shop
    left = await chat.say("alice", "/unsubscribe demo")
    assert "no longer receive news from 微店小铺 Demo Shop" in left[0].text
    assert [b.payload for row in left[0].buttons for b in row] == ["/subscribe demo"]
    statuses = {s.shop_id: s.status for s in await Subscription.all()}
    demo = await chat.runtime.services.shops.by_slug("demo")
    assert statuses[demo.id] == SubscriptionStatus.UNSUBSCRIBED
    assert set(statuses.values()) == {
        SubscriptionStatus.UNSUBSCRIBED,
        SubscriptionStatus.SUBSCRIBED,
    }
    assert "no such shop" in await chat.text("alice", "/unsubscribe nowhere")


async def test_group_messages_do_not_subscribe(chat: Chat) -> None:
    await chat.say("carol", "/catalog", group="g1")
    assert await Subscription.all().count() == 0


async def test_broadcast_reaches_subscribers_only(chat: Chat, broadcasting: Broadcasting) -> None:
    for user in ("alice", "bob", "dave", MERCHANT):
        await chat.say(user, "/start")
    await chat.say("bob", "/unsubscribe")
    preview = await chat.say(MERCHANT, "/broadcast all | Spring tea is in!")
    assert len(preview) == 1 and preview[0].private
    assert "Spring tea is in!" in preview[0].text
    assert "(3 recipients)" in preview[0].text  # alice, dave and the merchant
    payloads = [b.payload for row in preview[0].buttons for b in row]
    bid = broadcast_id(preview[0].text)
    assert payloads == [f"/broadcast send {bid}", f"/broadcast cancel {bid}"]
    assert chat.pushed("alice") == ""  # a draft goes nowhere

    await chat.say(MERCHANT, payloads[0], button=True)
    b = await wait_finished(bid)
    await chat.runtime.outbox.drain()
    assert b.status == BroadcastStatus.DONE
    got = chat.inbox.take("alice")
    assert [r.text for r in got] == ["Spring tea is in!"]
    # each one says how to stop them, naming the shop so it works from any shop
    assert [[(x.label, x.payload) for x in row] for row in got[0].buttons] == [
        [("Unsubscribe", "/unsubscribe demo")]
    ]
    assert chat.pushed("dave") == "Spring tea is in!"
    assert chat.pushed("bob") == ""
    listing = await chat.text(MERCHANT, "/broadcasts")
    assert f"#{bid} all · done" in listing
    assert "sent 3, failed 0, blocked 0, skipped 0, pending 0" in listing


async def test_tag_segment_and_sizes(chat: Chat) -> None:
    for user in ("alice", "bob"):
        await chat.say(user, "/start")
    assert "Tagged." in await chat.text(MERCHANT, "/tag alice VIP")
    assert "vip" in await chat.text(MERCHANT, "/tag alice")
    # Several words are several tags (a tag has no spaces); one bad tag adds none of them.
    assert "Tags of alice: new, vip, 老客" in await chat.text(MERCHANT, "/tag alice 老客 new vip")
    assert "A tag is one word" in await chat.text(MERCHANT, "/tag alice gold a|b")
    assert "gold" not in await chat.text(MERCHANT, "/tag alice")
    assert "reaches 1 recipient." in await chat.text(MERCHANT, "/audience tag:vip")
    assert "reaches 3 recipients" in await chat.text(MERCHANT, "/audience all")
    assert "reaches 0 recipients" in await chat.text(MERCHANT, "/audience groups")
    assert "not a segment" in await chat.text(MERCHANT, "/audience vip")
    refused = await chat.text("alice", "/broadcast all | hi")
    assert "only the shop's owner and staff can do that" in refused


async def test_the_segment_list_speaks_the_readers_language(chat: Chat) -> None:
    """The segments /audience lists read as the refusal for a bad one does: the words typed
    (all, tag:) as they are, the placeholders in the merchant's language."""
    en = await chat.text(MERCHANT, "/audience all")
    assert "Segments: all, tag:<tag>, product:<id>, category:<name>, idle:<days>" in en
    await chat.say(MERCHANT, "/lang zh")
    zh = await chat.text(MERCHANT, "/audience all")
    assert "可用人群：all、tag:<标签>、product:<编号>、category:<分类名>、idle:<天数>" in zh
    assert "<tag>" not in zh and "<days>" not in zh


async def test_cancelled_broadcast_is_never_sent(chat: Chat) -> None:
    await chat.say("alice", "/start")
    bid = broadcast_id(await chat.text(MERCHANT, "/broadcast all | Nope"))
    assert "cancelled" in await chat.text(MERCHANT, f"/broadcast cancel {bid}")
    assert "can't do that now" in await chat.text(MERCHANT, f"/broadcast send {bid}")
    assert (await Broadcast.get(id=bid)).status == BroadcastStatus.CANCELLED


async def test_sending_now_to_nobody_is_refused_scheduling_is_not(
    chat: Chat, clock: FakeClock, broadcasting: Broadcasting
) -> None:
    await chat.say("alice", "/start")
    preview = await chat.text(MERCHANT, "/broadcast tag:vip | VIP night on Friday")
    assert "(0 recipients)" in preview
    bid = broadcast_id(preview)
    refused = await chat.text(MERCHANT, f"/broadcast send {bid}")
    assert f"Segment tag:vip reaches nobody now, so broadcast {bid} was not sent" in refused
    assert f"/broadcast at {bid} <HH:MM>" in refused
    b = await Broadcast.get(id=bid)
    assert b.status == BroadcastStatus.DRAFT and b.started_at is None
    assert not await Delivery.exists()
    assert f"#{bid} tag:vip · draft" in await chat.text(MERCHANT, "/broadcasts")

    # Scheduled, it may go: the segment can grow by then. Sending it now is still refused.
    await chat.say(MERCHANT, f"/broadcast at {bid} 12:00")
    assert (await Broadcast.get(id=bid)).status == BroadcastStatus.SCHEDULED
    assert "reaches nobody now" in await chat.text(MERCHANT, f"/broadcast send {bid}")
    assert (await Broadcast.get(id=bid)).status == BroadcastStatus.SCHEDULED
    await chat.say(MERCHANT, "/tag alice vip")
    clock.advance(days=1)
    assert await chat.runtime.services.community.broadcasts.start_due() == [bid]
    assert (await wait_finished(bid)).status == BroadcastStatus.DONE
    await chat.runtime.outbox.drain()
    assert chat.pushed("alice") == "VIP night on Friday"


async def test_post_puts_a_product_card_into_bound_groups(
    chat: Chat, broadcasting: Broadcasting
) -> None:
    assert "send /bindgroup there" in await chat.text(MERCHANT, "/post 1")
    assert not await Broadcast.exists()  # nothing to send to: no broadcast made
    await chat.say(MERCHANT, "/bindgroup", group="fans")
    reply = await chat.text(MERCHANT, "/post 1")
    assert "into 1 group." in reply
    bid = (await Broadcast.all().order_by("-id").first()).id  # type: ignore[union-attr]
    await wait_finished(bid)
    await chat.runtime.outbox.drain()
    posted = chat.inbox.take("group:fans")
    assert len(posted) == 1
    assert posted[0].text.startswith("#1 ")
    assert [b.payload for row in posted[0].buttons for b in row] == ["/product 1"]


async def test_deep_link_joins_the_linked_shops_community(chat: Chat) -> None:
    await chat.say(MERCHANT, "/newshop Tea House")
    tea = await Subscription.all().order_by("-id").first()
    assert tea is not None
    await chat.say("erin", f"/start shop_{(await tea.shop).slug}")
    erin = await Subscription.filter(identity__platform_user_id="erin").values_list(
        "shop_id", flat=True
    )
    assert erin == [tea.shop_id]  # type: ignore[attr-defined]


async def test_broadcast_usage_and_limits(chat: Chat) -> None:
    assert "Usage: /broadcast" in await chat.text(MERCHANT, "/broadcast all")
    assert "1 to 1000 characters" in await chat.text(MERCHANT, "/broadcast all | " + "x" * 1001)
    assert "not a time" in await chat.text(MERCHANT, "/broadcast at 1 25:99")
    assert "no broadcast 99" in await chat.text(MERCHANT, "/broadcast send 99")
