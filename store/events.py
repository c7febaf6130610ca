"""Domain events, published after the transaction that caused them commits."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StockMoved:
    """What an order's change did to stock (taken by placing it, given back by a cancellation
    or a refund with return): the products whose count moved, which their cards show, and
    those of them that sold out or came back by it, all a catalog or search page shows. And
    for units taken, each product's count left, when some are (store/listings.py)."""

    products: tuple[int, ...] = ()
    sold_out_changed: tuple[int, ...] = ()
    left: tuple[tuple[int, int], ...] = ()  # (product, units left) after a take

    def __add__(self, other: StockMoved) -> StockMoved:
        return StockMoved(
            self.products + other.products,
            self.sold_out_changed + other.sold_out_changed,
            self.left + other.left,
        )


NO_STOCK_MOVED = StockMoved()


@dataclass(frozen=True, slots=True)
class OrderEvent:
    order_id: int
    order_no: str
    shop_id: int
    person_id: int
    total: Decimal
    currency: str
    stock_moved: StockMoved = field(default=NO_STOCK_MOVED, kw_only=True)
    shipping: Decimal = field(default=Decimal("0.00"), kw_only=True)  # part of total

    @property
    def goods(self) -> Decimal:
        """What was paid for goods: the total less shipping."""
        return self.total - self.shipping


@dataclass(frozen=True, slots=True)
class OrderPlaced(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class OrderPaid(OrderEvent):
    payment_method: str
    provider_payment_id: str


@dataclass(frozen=True, slots=True)
class OrderCancelled(OrderEvent):
    reason: str  # "customer" | "merchant" | "timeout"


@dataclass(frozen=True, slots=True)
class OrderShipped(OrderEvent):
    carrier: str
    tracking_no: str


@dataclass(frozen=True, slots=True)
class OrderCompleted(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class RefundRequested(OrderEvent):
    reason: str


@dataclass(frozen=True, slots=True)
class RefundRejected(OrderEvent):
    reason: str


@dataclass(frozen=True, slots=True)
class OrderRefunded(OrderEvent):
    refunded: Decimal  # this refund's amount: the whole order, or a part of it
    payment_method: str
    provider_payment_id: str
    refund_key: str  # unique per refund: order:<no> in full, order:<no>:<n> the n-th part
    final: bool  # the order is now refunded in full


E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]


class EventBus:
    """In-process publish/subscribe. A failing subscriber is logged and never undoes a commit."""

    def __init__(self) -> None:
        self._subs: dict[type, list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._subs[event_type].append(handler)

    async def publish(self, events: Iterable[object]) -> None:
        for event in events:
            for etype in type(event).__mro__:
                for handler in self._subs.get(etype, ()):
                    try:
                        await handler(event)
                    except Exception:
                        log.exception("subscriber %s failed on %s", handler, type(event).__name__)
