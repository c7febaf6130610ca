"""Telegram Payments: pre-checkout answers, exactly-once confirmation, forged payments, refunds."""

from __future__ import annotations

import asyncio

from bot.telegram.gate import update_key
from bot.telegram.mount import TELEGRAM
from store.models import Order, OrderStatus, Payment, RefundJob, RefundStatus
from store.money import to_minor

from . import updates as u
from .conftest import Harness
from .flows import checkout_to_invoice, make_demo_staff

ALICE, MERCHANT = 111, 500


async def _order(tg: Harness) -> tuple[str, int]:
    invoice = await checkout_to_invoice(tg, ALICE)
    no = invoice["payload"]
    order = await tg.runtime.services.orders.get(no)
    return no, to_minor(order.total, order.currency)


async def _pre_checkout(tg: Harness, no: str, amount: int, currency: str = "CNY") -> dict:
    update = u.pre_checkout(ALICE, no, amount, currency)
    await tg.send(update)
    answers = [
        a
        for a in tg.fake.sent("answerPreCheckoutQuery")
        if a["pre_checkout_query_id"] == update["pre_checkout_query"]["id"]
    ]
    assert len(answers) == 1
    return answers[0]


async def test_pre_checkout_refuses_what_cannot_be_paid(tg: Harness) -> None:
    no, amount = await _order(tg)
    refused = [
        await _pre_checkout(tg, no, amount + 1),  # amount changed
        await _pre_checkout(tg, no, amount, "USD"),  # other currency
        await _pre_checkout(tg, "NOSUCH99", amount),  # unknown order
    ]
    for answer in refused:
        assert answer["ok"] is False and answer["error_message"]
    assert no in refused[0]["error_message"]
    assert (await _pre_checkout(tg, no, amount))["ok"] is True

    await tg.send(u.message(ALICE, f"/cancel {no}"))  # stock released, order cancelled
    cancelled = await _pre_checkout(tg, no, amount)
    assert cancelled["ok"] is False and no in cancelled["error_message"]


async def test_pre_checkout_for_a_paid_order_is_refused(tg: Harness) -> None:
    no, amount = await _order(tg)
    await tg.send(u.successful_payment(ALICE, no, amount, charge_id="c-1"))
    answer = await _pre_checkout(tg, no, amount)
    assert answer["ok"] is False and no in answer["error_message"]


async def test_concurrent_deliveries_of_one_payment_pay_once(tg: Harness) -> None:
    no, amount = await _order(tg)
    tg.fake.clear()
    # Telegram may re-deliver under a new update_id; the charge id is the natural key.
    deliveries = [u.successful_payment(ALICE, no, amount, charge_id="c-dup") for _ in range(3)]
    responses = await asyncio.gather(*(tg.post(d) for d in deliveries))
    assert [r.status for r in responses] == [200, 200, 200]
    await tg.settle()
    order = await Order.get(order_no=no)
    assert order.status == OrderStatus.PAID
    assert await Payment.filter(order_id=order.id).count() == 1
    paid_notes = [c for c in tg.to_chat(ALICE) if no in c.params["text"]]
    assert len(paid_notes) == 1  # the buyer hears "paid" once


async def test_a_payment_already_marked_seen_is_still_applied_once(tg: Harness) -> None:
    no, amount = await _order(tg)
    tg.fake.clear()
    payment = u.successful_payment(ALICE, no, amount, charge_id="c-lost")
    # A delivery whose check reached the de-dup store but whose answer was lost (the
    # connection dropped): its id is marked seen, yet it was never handled.
    bot = tg.client.server.app[TELEGRAM].bot
    await tg.runtime.dedup.first_time(update_key(bot, payment["update_id"]), 60)
    await tg.send(payment)  # Telegram's next delivery of it
    await tg.send(payment)  # and one more
    order = await Order.get(order_no=no)
    assert order.status == OrderStatus.PAID
    assert await Payment.filter(order_id=order.id).count() == 1
    assert len([c for c in tg.to_chat(ALICE) if no in c.params["text"]]) == 1


async def test_forged_payments_change_nothing(tg: Harness) -> None:
    await tg.send(u.successful_payment(ALICE, "NOSUCH99", 100, charge_id="forged-1"))
    assert await Payment.all().count() == 0

    no, amount = await _order(tg)
    await tg.send(u.successful_payment(ALICE, no, amount - 1, charge_id="forged-2"))
    assert (await Order.get(order_no=no)).status == OrderStatus.PENDING_PAYMENT

    await tg.send(u.successful_payment(ALICE, no, amount, charge_id="real"))
    await tg.send(u.successful_payment(ALICE, no, amount, charge_id="forged-3"))
    order = await Order.get(order_no=no)
    assert order.status == OrderStatus.PAID
    assert await Payment.filter(order_id=order.id).values_list(
        "provider_payment_id", flat=True
    ) == ["real"]


async def test_payment_the_order_cannot_take_is_reported_to_staff(tg: Harness) -> None:
    await make_demo_staff(tg, MERCHANT)
    no, amount = await _order(tg)
    await tg.send(u.message(ALICE, f"/cancel {no}"))  # e.g. the unpaid-order sweep won the race
    await tg.send(u.successful_payment(ALICE, no, amount, charge_id="late-charge"))
    assert (await Order.get(order_no=no)).status == OrderStatus.CANCELLED
    told = [c for c in tg.to_chat(MERCHANT) if "late-charge" in c.params["text"]]
    assert len(told) == 1 and no in told[0].params["text"]


async def test_provider_refund_is_left_to_the_merchant(tg: Harness) -> None:
    await make_demo_staff(tg, MERCHANT)
    no, amount = await _order(tg)
    await tg.send(u.successful_payment(ALICE, no, amount, charge_id="card-charge-9"))
    await tg.send(u.message(ALICE, f"/refund {no} arrived broken"))
    await tg.send(u.message(MERCHANT, f"/refundok {no}", name="Mia"))
    assert (await Order.get(order_no=no)).status == OrderStatus.REFUNDED
    assert await tg.runtime.services.refunds.process_due() == 1
    await tg.settle()
    job = await RefundJob.get(order__order_no=no)
    assert job.status == RefundStatus.MANUAL and job.provider_payment_id == "card-charge-9"
    assert tg.fake.sent("refundStarPayment") == []
    told = [c for c in tg.to_chat(MERCHANT) if no in c.params["text"]]
    assert told  # the core tells the merchant to return the money by hand


async def test_stars_invoice_payment_and_refund(stars: Harness) -> None:
    invoice = await checkout_to_invoice(stars, ALICE)
    no = invoice["payload"]
    order = await stars.runtime.services.orders.get(no)
    assert invoice["currency"] == "XTR"
    assert "provider_token" not in invoice
    assert invoice["prices"] == [{"label": "Total", "amount": int(order.total)}]

    assert (await _pre_checkout(stars, no, int(order.total), "XTR"))["ok"] is True
    await stars.send(
        u.successful_payment(ALICE, no, int(order.total), "XTR", charge_id="stars-charge-1")
    )
    paid = await Order.get(order_no=no)
    assert paid.status == OrderStatus.PAID and paid.payment_method == "telegram_stars"

    await stars.send(u.message(ALICE, f"/refund {no} changed my mind"))
    await stars.runtime.services.orders.approve_refund(await Order.get(order_no=no))
    # Telegram fails once: the outbox keeps the job and tries again later
    stars.fake.fail("refundStarPayment", 500, "Internal Server Error")
    assert await stars.runtime.services.refunds.process_due() == 0
    job = await RefundJob.get(order__order_no=no)
    assert job.status == RefundStatus.PENDING and job.last_error
    assert await stars.runtime.services.refunds.process_due(now=job.next_attempt_at) == 1
    assert stars.fake.sent("refundStarPayment") == [
        {"user_id": ALICE, "telegram_payment_charge_id": "stars-charge-1"}
    ]
    job = await RefundJob.get(order__order_no=no)
    assert job.status == RefundStatus.DONE and job.provider_refund_id == "stars-charge-1"


async def test_stars_refund_already_done_at_telegram_counts_as_done(stars: Harness) -> None:
    invoice = await checkout_to_invoice(stars, ALICE)
    no = invoice["payload"]
    total = int((await Order.get(order_no=no)).total)
    await stars.send(u.successful_payment(ALICE, no, total, "XTR", charge_id="stars-2"))
    await stars.send(u.message(ALICE, f"/refund {no} oops"))
    await stars.runtime.services.orders.approve_refund(await Order.get(order_no=no))
    stars.fake.fail("refundStarPayment", 400, "Bad Request: CHARGE_ALREADY_REFUNDED")
    assert await stars.runtime.services.refunds.process_due() == 1
    assert (await RefundJob.get(order__order_no=no)).status == RefundStatus.DONE


async def test_a_payment_the_order_cannot_take_delivered_again_is_reported_once(
    tg: Harness,
) -> None:
    await make_demo_staff(tg, MERCHANT)
    no, amount = await _order(tg)
    await tg.send(u.message(ALICE, f"/cancel {no}"))
    # Telegram may deliver one payment again under a new update_id: the charge is the key.
    for _ in range(3):
        await tg.send(u.successful_payment(ALICE, no, amount, charge_id="late-charge-2"))
    await tg.settle()
    told = [c for c in tg.to_chat(MERCHANT) if "late-charge-2" in c.params["text"]]
    assert len(told) == 1, [c.params["text"] for c in told]
