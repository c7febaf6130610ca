"""Shared steps of the loyalty tests: a shop with points on, orders driven through the chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from store.events import OrderEvent
from store.loyalty.models import Member, OrderPoints, PointsEntry
from store.models import Identity, Order
from tests.conftest import MERCHANT, Chat
from tests.test_chat_flow import place_order


@dataclass
class Captured:
    """Every order event the bus publishes, to deliver some of them a second time."""

    events: list[OrderEvent] = field(default_factory=list)

    async def __call__(self, event: OrderEvent) -> None:
        self.events.append(event)

    def last(self, kind: type) -> OrderEvent:
        return [e for e in self.events if isinstance(e, kind)][-1]


def capture(chat: Chat) -> Captured:
    log = Captured()
    chat.runtime.services.bus.subscribe(OrderEvent, log)
    return log


async def person_id(user: str) -> int:
    ident = await Identity.get(platform="sim", platform_user_id=user)
    return ident.person_id  # type: ignore[attr-defined,no-any-return]


async def balance(user: str, shop_id: int = 1) -> int:
    member = await Member.get_or_none(shop_id=shop_id, person_id=await person_id(user))
    return member.balance if member else 0


async def ledger_state() -> tuple:
    """Everything loyalty stores, to show that a refused request changed none of it."""
    members = (
        await Member.all().order_by("id").values_list("person_id", "balance", "total_spend_minor")
    )
    entries = await PointsEntry.all().order_by("id").values_list("kind", "points", "ref")
    orders = await OrderPoints.all().order_by("id").values_list("order_id", "spent", "refunded")
    return tuple(map(tuple, (members, entries, orders)))


async def assert_balances_match_ledger() -> None:
    """The invariant: each balance equals the sum of its person's entries."""
    for member in await Member.all():
        row = (
            await PointsEntry.filter(shop_id=member.shop_id, person_id=member.person_id)  # type: ignore[attr-defined]
            .annotate(s=Sum("points"))
            .first()
            .values("s")
        )
        assert member.balance == int((row or {}).get("s") or 0), member


async def complete_order(chat: Chat, user: str = "alice", qty: int = 2) -> str:
    """Place, pay, ship and receive an order of `qty` Longjing teas (128.00 each)."""
    no = await place_order(chat, user, qty=qty)
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/ship {no} SF 1")
    await chat.say(user, f"/received {no}")
    return no


async def paid_order(chat: Chat, user: str = "alice", qty: int = 3) -> Order:
    no = await place_order(chat, user, qty=qty)
    await chat.say(MERCHANT, f"/paid {no}")
    return await Order.get(order_no=no)


async def spend(chat: Chat, order: Order, points: int) -> Decimal:
    """What the placing transaction does when the customer pays with points."""
    async with in_transaction():
        return await chat.runtime.services.loyalty.spend_for_order(
            order.shop_id,  # type: ignore[attr-defined]
            order.person_id,  # type: ignore[attr-defined]
            order.id,
            points,
        )


async def give(chat: Chat, user: str, points: int) -> None:
    await chat.runtime.services.loyalty.adjust(1, await person_id(user), points, "test")
