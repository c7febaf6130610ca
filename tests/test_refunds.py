"""The refund outbox: written with the decision, retried until confirmed, never lost."""

from __future__ import annotations

import asyncio

from store.models import Order, OrderStatus, Product, RefundJob, RefundStatus
from store.refunds import MAX_ATTEMPTS, RefundError, RefundFinished, RefundOutcome
from tests.conftest import MERCHANT, Chat, FakeClock
from tests.test_chat_flow import place_order


class FlakyGateway:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[str] = []

    async def refund(self, job: RefundJob) -> RefundOutcome:
        self.calls.append(job.key)
        if len(self.calls) <= self.failures:
            raise RefundError("provider busy")
        return RefundOutcome(provider_refund_id=f"r-{job.id}")


async def refunded_order(chat: Chat, method: str) -> str:
    no = await place_order(chat)
    order = await Order.get(order_no=no)
    await chat.runtime.services.payments.confirm(no, method, f"{method}-1", order.total)
    await chat.say("alice", f"/refund {no} broken")
    await chat.say(MERCHANT, f"/refundok {no}")
    assert (await Order.get(order_no=no)).status == OrderStatus.REFUNDED
    return no


def collect(chat: Chat) -> list[RefundFinished]:
    seen: list[RefundFinished] = []

    async def keep(event: RefundFinished) -> None:
        seen.append(event)

    chat.runtime.services.bus.subscribe(RefundFinished, keep)
    return seen


async def test_failed_attempts_are_retried_with_backoff(chat: Chat, clock: FakeClock) -> None:
    refunds = chat.runtime.services.refunds
    gateway = FlakyGateway(failures=2)
    refunds.register("telegram", gateway)
    finished = collect(chat)
    no = await refunded_order(chat, "telegram")
    assert await refunds.process_due() == 0  # 1st attempt fails
    assert await refunds.process_due() == 0  # not due again yet: nothing is hammered
    clock.advance(seconds=11)
    assert await refunds.process_due() == 0  # 2nd attempt fails
    clock.advance(seconds=31)
    assert await refunds.process_due() == 1
    job = await RefundJob.get(key=f"order:{no}")
    assert (job.status, job.attempts, job.provider_refund_id) == (
        RefundStatus.DONE,
        3,
        f"r-{job.id}",
    )
    assert len(gateway.calls) == 3 and len(finished) == 1
    clock.advance(days=1)
    assert await refunds.process_due() == 0 and len(gateway.calls) == 3  # done stays done


async def test_a_refund_that_keeps_failing_is_reported(chat: Chat, clock: FakeClock) -> None:
    refunds = chat.runtime.services.refunds
    refunds.register("telegram", FlakyGateway(failures=100))
    no = await refunded_order(chat, "telegram")
    for _ in range(MAX_ATTEMPTS):
        await refunds.process_due()
        clock.advance(hours=2)
    job = await RefundJob.get(key=f"order:{no}")
    assert job.status == RefundStatus.FAILED and "provider busy" in job.last_error
    await chat.runtime.outbox.drain()
    assert f"refund of ¥256.00 for order {no} failed" in chat.pushed(MERCHANT).replace("CN¥", "¥")
    assert no in await chat.text(MERCHANT, "/refunds")


async def test_transfers_are_listed_for_a_refund_by_hand(chat: Chat) -> None:
    no = await refunded_order(chat, "manual")
    assert await chat.runtime.services.refunds.process_due() == 1
    await chat.runtime.outbox.drain()
    assert f"order {no} yourself (it was paid by transfer)" in chat.pushed(MERCHANT)
    assert "· transfer · by hand" in await chat.text(MERCHANT, "/refunds")
    await chat.say(MERCHANT, "/lang zh")  # the method in words, not the code "manual"
    listing = await chat.text(MERCHANT, "/refunds")
    assert "· 转账 ·" in listing and "manual" not in listing


async def test_unknown_method_is_retried_not_lost(chat: Chat) -> None:
    no = await refunded_order(chat, "carrier-pigeon")
    assert await chat.runtime.services.refunds.process_due() == 0
    job = await RefundJob.get(key=f"order:{no}")
    assert job.status == RefundStatus.PENDING and "no refund gateway" in job.last_error


async def test_a_claimed_job_is_attempted_once(chat: Chat) -> None:
    refunds = chat.runtime.services.refunds
    gateway = FlakyGateway(failures=0)
    refunds.register("telegram", gateway)
    await refunded_order(chat, "telegram")
    await asyncio.gather(*(refunds.process_due() for _ in range(5)))
    assert len(gateway.calls) == 1


async def test_refundok_keep_refunds_without_restocking(chat: Chat) -> None:
    no = await place_order(chat, qty=2)
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/ship {no} SF SF1")
    await chat.say("alice", f"/refund {no} crushed")
    stock = (await Product.get(id=1)).stock
    assert "refunded" in await chat.text(MERCHANT, f"/refundok {no} keep")
    assert (await Order.get(order_no=no)).status == OrderStatus.REFUNDED
    assert (await Product.get(id=1)).stock == stock  # the customer keeps the goods
    other = await place_order(chat, qty=1)
    await chat.say(MERCHANT, f"/paid {other}")
    await chat.say("alice", f"/refund {other} changed my mind")
    await chat.say(MERCHANT, f"/refundok {other}")
    assert (await Product.get(id=1)).stock == stock  # without "keep": the unit came back


async def test_a_refund_returned_by_hand_leaves_the_list(chat: Chat) -> None:
    # /refunds listed every transfer to return for ever: nothing told it one was returned.
    no = await refunded_order(chat, "manual")
    other = await place_order(chat, "bob")
    await chat.say(MERCHANT, f"/paid {other}")
    await chat.say("bob", f"/refund {other}")
    await chat.say(MERCHANT, f"/refundok {other}")
    await chat.runtime.services.refunds.process_due()
    await chat.runtime.outbox.drain()
    assert f"/refunds done {no}" in chat.pushed(MERCHANT)
    listing = (await chat.say(MERCHANT, "/refunds"))[0]
    assert f"/refunds done {no}" in [b.payload for row in listing.buttons for b in row]
    text = await chat.text(MERCHANT, f"/refunds done {no}")
    assert f"refund of order {no} was returned by hand" in text
    assert no not in text.split("returned by hand.", 1)[1] and other in text
    job = await RefundJob.get(key=f"order:{no}")
    assert (job.status, job.provider_refund_id) == (RefundStatus.DONE, "by hand")
    await chat.runtime.outbox.drain()
    told = chat.pushed("alice")  # the buyer hears it once, with the amount
    assert told.count(f"The shop has returned CN¥{job.amount} to you for order {no}") == 1
    assert "no refund waiting" in await chat.text(MERCHANT, f"/refunds done {no}")  # twice
    await chat.runtime.outbox.drain()
    assert "has returned" not in chat.pushed("alice")
    assert "no order NOPE1234 in this shop" in await chat.text(MERCHANT, "/refunds done NOPE1234")
    assert "Usage" in await chat.text(MERCHANT, f"/refunds finished {other}")
    assert "only the shop's owner and staff" in await chat.text("alice", f"/refunds done {other}")
    assert (await RefundJob.get(key=f"order:{other}")).status == RefundStatus.MANUAL
