"""2,000 recipients through aiogram against the rate-limited stand-in: each subscribed,
unblocked one exactly once, unsubscribed ones never, blocked ones marked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.broadcast.setup import start_broadcasting
from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from store.community.models import (
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionStatus,
)
from store.models import Identity, Shop
from tests.community.conftest import wait_finished
from tests.community.standin import TOKEN, RateLimitedBotAPI
from tests.community.world import populate

RECIPIENTS = 2000


@pytest.fixture
async def standin() -> AsyncIterator[RateLimitedBotAPI]:
    async with RateLimitedBotAPI(rate=600, chat_interval=1.0, latency=0.002) as api:
        yield api


async def telegram_runtime(api: RateLimitedBotAPI, **broadcast: object) -> Runtime:
    settings = load_settings(
        database={"url": "sqlite://:memory:"},
        telegram={"token": TOKEN, "api_server": api.base_url},
        broadcast={"poll_seconds": 0.05, **broadcast},
    )
    return await build_runtime(settings, create_schema=True)


async def tea_shop(rt: Runtime) -> tuple[Identity, Shop]:
    """A shop and its owner, who talks to the bot on Telegram."""
    owner = await rt.services.people.identify("telegram", "1", "Owner", private=True)
    person = await rt.services.people.person(owner.person_id)  # type: ignore[attr-defined]
    return owner, await rt.services.shops.create("Tea", person)


async def test_two_thousand_recipients_exactly_once(standin: RateLimitedBotAPI) -> None:
    rt = await telegram_runtime(standin, rate_per_second=500, concurrency=16)
    try:
        owner, shop = await tea_shop(rt)
        chats = await populate(shop, RECIPIENTS, now=rt.services.clock(), unsubscribed_every=10)
        unsubscribed = set(chats[::10])
        blocked = {c for i, c in enumerate(chats) if i % 50 == 7}
        standin.blocked = blocked
        await start_broadcasting(rt, send=True)
        b = rt.services.community.broadcasts
        view = await b.draft(shop.id, owner.person_id, "all", "Big sale!")  # type: ignore[attr-defined]
        assert view.audience == RECIPIENTS - len(unsubscribed)
        await b.send_now(shop.id, view.id)
        await wait_finished(view.id, within=60)

        expected = set(chats) - unsubscribed - blocked
        assert set(standin.received) == expected
        assert standin.duplicates() == {}
        assert not unsubscribed & set(standin.received)
        assert standin.limited_at == []  # paced under the limit: no 429 at all

        counts = {
            s: await Delivery.filter(broadcast_id=view.id, status=s).count() for s in DeliveryStatus
        }
        assert counts[DeliveryStatus.SENT] == len(expected)
        assert counts[DeliveryStatus.BLOCKED] == len(blocked)
        assert counts[DeliveryStatus.PENDING] == counts[DeliveryStatus.SENDING] == 0
        assert await Subscription.filter(status=SubscriptionStatus.BLOCKED).count() == len(blocked)
        assert await Identity.filter(unreachable=True).count() == len(blocked)
        progress = (await b.view(shop.id, view.id)).progress
        assert (progress.sent, progress.blocked, progress.pending) == (
            len(expected),
            len(blocked),
            0,
        )
    finally:
        await rt.close()


async def test_retry_after_is_honoured_and_nothing_doubles() -> None:
    # The stand-in allows 40/s; the sender tries 200/s: 429s come, the pacer pauses for
    # retry_after, and every message still arrives exactly once.
    async with RateLimitedBotAPI(rate=40, chat_interval=0) as api:
        rt = await telegram_runtime(api, rate_per_second=200, concurrency=8)
        try:
            owner, shop = await tea_shop(rt)
            chats = await populate(shop, 120, now=rt.services.clock())
            await start_broadcasting(rt, send=True)
            b = rt.services.community.broadcasts
            view = await b.draft(shop.id, owner.person_id, "all", "Hi")  # type: ignore[attr-defined]
            await b.send_now(shop.id, view.id)
            await wait_finished(view.id, within=30)
            assert api.limited_at, "the sender never hit the stand-in's limit"
            assert set(api.received) == set(chats)
            assert api.duplicates() == {}
            # After each 429 the whole bot waited retry_after (1 s) before the next send.
            for t in api.limited_at:
                later = [a for a in api.accepted_at if a > t]
                assert not later or later[0] - t >= 0.9
        finally:
            await rt.close()


async def test_a_picture_telegram_cannot_fetch_still_sends_the_text_once() -> None:
    # Telegram fetches a broadcast's picture itself and refuses the whole sendPhoto when it
    # can't: each recipient still gets the text and its buttons, once, at the paced rate, and
    # the dead picture is not asked for again for every recipient.
    dead = "https://cdn.example.com/gone.jpg"
    async with RateLimitedBotAPI(rate=600, chat_interval=1.0, dead_pictures={dead}) as api:
        rt = await telegram_runtime(api, rate_per_second=500, concurrency=8)
        try:
            owner, shop = await tea_shop(rt)
            chats = await populate(shop, 200, now=rt.services.clock())
            await start_broadcasting(rt, send=True)
            b = rt.services.community.broadcasts
            view = await b.draft(
                shop.id,
                owner.person_id,  # type: ignore[attr-defined]
                "all",
                "New tea is in!",
                dead,
                opt_out=("Unsubscribe", f"/unsubscribe {shop.slug}"),
            )
            await b.send_now(shop.id, view.id)
            await wait_finished(view.id, within=30)

            assert set(api.received) == set(chats)
            assert api.duplicates() == {}
            assert api.limited_at == []
            for chat in chats:
                method, params = api.last[chat]
                assert method == "sendMessage" and params["text"] == "New tea is in!"
                [[button]] = params["reply_markup"]["inline_keyboard"]
                assert button["text"] == "Unsubscribe"
            assert 1 <= len(api.refused) <= 8  # at most the first sends in flight
            sent = await Delivery.filter(broadcast_id=view.id, status=DeliveryStatus.SENT)
            assert len(sent) == len(chats)
        finally:
            await rt.close()
