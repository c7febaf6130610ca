"""Durations, and the two order methods group buying adds to the store core."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.runtime import Runtime
from store.db import transaction
from store.errors import IllegalTransition, InvalidInput, OutOfStock, ProductNotFound
from store.events import OrderPlaced, OrderRefunded
from store.groupbuy.durations import parse_duration
from store.models import Order, OrderStatus, Product, RefundJob
from store.orders import Contact
from store.services import StoreServices
from tests.conftest import Chat

CONTACT = Contact("Li Lei", "13800138000", "88 Nanjing Road, Shanghai")


async def _seat_order(
    services: StoreServices, person_id: int, shop_id: int, product_id: int, deadline: datetime
) -> Order:
    """A seat's order as group buying places it: reserve_single inside the caller's
    transaction, its event published after the commit."""
    async with transaction():
        order, placed = await services.orders.reserve_single(
            person_id, shop_id, product_id, Decimal("9.90"), CONTACT, deadline
        )
    await services.bus.publish([placed])
    return await services.orders.get(order.order_no)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("24h", 86400), ("2d", 172800), ("1H", 3600)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0s", "0m", "31d", "", "5", "h", "1.5h", "-1h", "1w", "１h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


async def test_reserve_single_takes_one_unit_at_the_given_price(chat: Chat) -> None:
    services = chat.runtime.services
    placed: list[OrderPlaced] = []

    async def seen(e: OrderPlaced) -> None:
        placed.append(e)

    services.bus.subscribe(OrderPlaced, seen)
    alice = await services.people.identify("sim", "alice", "Alice")
    product = await Product.get(id=9)  # the porcelain cup: 3 in stock
    deadline = services.clock() + timedelta(minutes=7)
    for _ in range(3):
        order = await _seat_order(services, alice.person_id, product.shop_id, 9, deadline)  # type: ignore[attr-defined]
    assert (order.total, order.pay_deadline, order.items[0].quantity) == (
        Decimal("9.90"),
        deadline,
        1,
    )
    assert [e.order_no for e in placed][-1] == order.order_no
    with pytest.raises(OutOfStock):
        await _seat_order(services, alice.person_id, product.shop_id, 9, deadline)  # type: ignore[attr-defined]
    with pytest.raises(ProductNotFound):
        await _seat_order(services, alice.person_id, product.shop_id, 999, deadline)  # type: ignore[attr-defined]
    assert (await Product.get(id=9)).stock == 0 and await Order.all().count() == 3


async def test_refund_in_full_restocks_and_queues_the_refund_once(
    runtime: Runtime, chat: Chat
) -> None:
    services = runtime.services
    refunded: list[OrderRefunded] = []

    async def seen(e: OrderRefunded) -> None:
        refunded.append(e)

    services.bus.subscribe(OrderRefunded, seen)
    alice = await services.people.identify("sim", "alice", "Alice")
    deadline = services.clock() + timedelta(hours=1)
    order = await _seat_order(services, alice.person_id, 1, 9, deadline)  # type: ignore[attr-defined]
    with pytest.raises(IllegalTransition):  # not paid: nothing to refund
        await services.orders.refund_in_full(order, "group_failed")
    order = (await services.payments.confirm_manual(order)).order
    await services.orders.request_refund(order, "too slow")  # a pending request is settled too
    done = await services.orders.refund_in_full(order, "group_failed")
    assert (done.status, done.refund_reason) == (OrderStatus.REFUNDED, "group_failed")
    with pytest.raises(IllegalTransition):
        await services.orders.refund_in_full(order, "group_failed")
    assert (await Product.get(id=9)).stock == 3
    job = await RefundJob.get(order_id=order.id)
    assert (job.amount, job.method, job.reason) == (Decimal("9.90"), "manual", "group_failed")
    assert [e.order_no for e in refunded] == [order.order_no]


async def test_overlong_references_are_unknown_not_failures(chat: Chat) -> None:
    """Core fixes found on the way: longer than the column used to be "Something went wrong"."""
    assert "There is no order" in await chat.text("bob", "/cancel " + "0" * 17)
    assert "There is no category" in await chat.text("bob", "/catalog " + "x" * 41)
