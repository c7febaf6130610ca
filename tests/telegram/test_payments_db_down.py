"""A payment that arrives while the database is down is not lost: the webhook answers 503 and
Telegram's next delivery records it; in polling mode, where Telegram delivers nothing again,
the process keeps trying until the database is back (and says so if it stops first).

Each test stops and starts a private PostgreSQL cluster (tests/pg_cluster.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from store.demo import DEMO_SLUG
from store.models import Order, OrderStatus, Payment
from store.money import to_minor
from store.orders import Contact
from tests.pg_cluster import Cluster

from . import updates as u
from .conftest import Harness, make_settings, start_harness
from .fake_bot_api import FakeBotAPI

ALICE = 111
RECOVERY_SECONDS = 20.0
Starter = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def start(tmp_path: Path, cluster: Cluster) -> AsyncIterator[Starter]:
    """Starts the app on the private cluster, webhook mode unless told otherwise."""
    started: list[Harness] = []

    async def start(fake: FakeBotAPI, **telegram: Any) -> Harness:
        settings = make_settings(fake, tmp_path, database_url=cluster.url, **telegram)
        harness, _ = await start_harness(fake, settings)
        started.append(harness)
        return harness

    try:
        yield start
    finally:
        for harness in started:
            await harness.client.close()
            await harness.runtime.close()


async def _order(tg: Harness) -> tuple[Order, int]:
    """Alice's order of one demo product, waiting for payment, and its amount in fen."""
    services = tg.runtime.services
    shop = await services.shops.by_slug(DEMO_SLUG)
    ident = await services.people.identify("telegram", str(ALICE), "Alice", private=True)
    await services.carts.add(ident.person_id, shop.id, 1, 1)  # type: ignore[attr-defined]
    order = await services.orders.place(
        ident.person_id,
        shop.id,  # type: ignore[attr-defined]
        Contact("Alice Zhang", "13800138000", "1 Tea Street, Hangzhou"),
    )
    return order, to_minor(order.total, order.currency)


async def _paid_once(tg: Harness, order: Order) -> None:
    await order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert await Payment.filter(order_id=order.id).count() == 1
    await tg.settle()
    told = [c for c in tg.to_chat(ALICE) if order.order_no in c.params["text"]]
    assert len(told) == 1  # the buyer hears "paid" once


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + RECOVERY_SECONDS
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)


async def test_webhook_payment_is_delivered_again_until_recorded(
    start: Starter, cluster: Cluster
) -> None:
    async with FakeBotAPI() as fake:
        tg = await start(fake)
        order, amount = await _order(tg)
        paid = u.successful_payment(ALICE, order.order_no, amount, charge_id="c-db-down")

        await cluster.stop()
        assert (await tg.post(paid)).status == 503  # Telegram: deliver it again later
        assert (await tg.post(paid)).status == 503

        await cluster.start()

        async def delivered() -> bool:  # Telegram keeps delivering until it is taken
            resp = await tg.post(paid)
            if resp.status == 503:
                return False
            assert resp.status == 200, await resp.text()
            await fake.webhook_answer(await resp.read())
            return True

        await _until(delivered, "the payment was never recorded after the database came back")
        await tg.send(paid)  # one more delivery changes nothing
        await _paid_once(tg, order)


async def test_polled_payment_is_retried_in_process_until_recorded(
    start: Starter, cluster: Cluster
) -> None:
    async with FakeBotAPI() as fake:
        tg, order = await _polled_while_down(start, cluster, fake, "c-polled")
        await asyncio.sleep(1.0)  # a few tries while the database is down

        await cluster.start()

        async def told() -> bool:  # the buyer hears "paid" once it is recorded
            await tg.settle()
            return any(order.order_no in c.params["text"] for c in tg.to_chat(ALICE))

        await _until(told, "the polled payment was never recorded")
        await _paid_once(tg, order)


async def test_polled_payment_still_waiting_at_shutdown_is_logged_for_a_person(
    start: Starter, cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeBotAPI() as fake:
        tg, order = await _polled_while_down(start, cluster, fake, "c-at-shutdown")
        with caplog.at_level(logging.ERROR, logger="bot.telegram.redelivery"):
            await tg.client.close()  # stops polling, and the waiting
        [record] = [r for r in caplog.records if "not applied before shutdown" in r.getMessage()]
        assert "c-at-shutdown" in record.getMessage() and order.order_no in record.getMessage()


async def _polled_while_down(
    start: Starter, cluster: Cluster, fake: FakeBotAPI, charge: str
) -> tuple[Harness, Order]:
    """Polling takes Alice's payment while the database is down, and has asked past it:
    Telegram will not deliver it again."""
    tg = await start(fake, mode="polling", webhook_secret=None)
    order, amount = await _order(tg)
    paid = u.successful_payment(ALICE, order.order_no, amount, charge_id=charge)
    await cluster.stop()
    fake.push_update(paid)

    async def asked_past() -> bool:
        offsets = (int(p.get("offset") or 0) for p in fake.sent("getUpdates"))
        return any(offset > paid["update_id"] for offset in offsets)

    await _until(asked_past, "polling never took the update")
    return tg, order
