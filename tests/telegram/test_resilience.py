"""Errors from Telegram: 429 retry_after honoured, 403 marks the person unreachable."""

from __future__ import annotations

import time

from handlers.types import Button, Outgoing, Reply

from . import updates as u
from .conftest import Harness

ALICE = 111


async def test_retry_after_is_honoured(tg: Harness) -> None:
    tg.fake.rate_limit("sendMessage", retry_after=1)
    started = time.monotonic()
    tg.runtime.outbox.send(Outgoing("telegram", str(ALICE), Reply(text="Your order shipped")))
    await tg.settle()
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in tg.fake.attempts("sendMessage")] == [429, 200]
    assert tg.to_chat(ALICE)


async def test_blocked_user_is_marked_unreachable_and_webhook_stays_up(tg: Harness) -> None:
    await tg.send(u.message(ALICE, "/help"))
    assert await tg.runtime.services.people.private_chat_ok("telegram", str(ALICE))
    tg.fake.block(ALICE)
    # a notification to them is refused: they are marked, the adapter carries on
    tg.runtime.outbox.send(Outgoing("telegram", str(ALICE), Reply(text="Your order shipped")))
    await tg.settle()
    assert tg.fake.attempts("sendMessage")[-1].status == 403
    assert not await tg.runtime.services.people.private_chat_ok("telegram", str(ALICE))
    resp = await tg.post(u.message(ALICE, "/catalog"))
    assert resp.status == 200
    # they unblock and write again: reachable again
    tg.fake.unblock(ALICE)
    await tg.send(u.message(ALICE, "/help"))
    assert await tg.runtime.services.people.private_chat_ok("telegram", str(ALICE))


async def test_notifications_reach_telegram_through_the_outbox(tg: Harness) -> None:
    reply = Reply(
        text="Order <ABC> shipped & on its way", buttons=((Button("Order", "/order ABC"),),)
    )
    tg.runtime.outbox.send(Outgoing("telegram", str(ALICE), reply))
    await tg.settle()
    sent = tg.last_to(ALICE)
    assert sent.params["text"] == "Order &lt;ABC&gt; shipped &amp; on its way"
    assert sent.params["parse_mode"] == "HTML"
    assert tg.buttons(sent) == [{"text": "Order", "callback_data": "/order ABC"}]
