"""The store core's services, built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from store.cart import CartService
from store.catalog import CatalogService
from store.clock import Clock, utcnow
from store.events import EventBus
from store.orders import OrderService
from store.payments import PaymentService
from store.people import PeopleService
from store.refunds import RefundOutbox
from store.shops import ShopService


@dataclass
class StoreServices:
    shops: ShopService
    people: PeopleService
    catalog: CatalogService
    carts: CartService
    orders: OrderService
    payments: PaymentService
    refunds: RefundOutbox
    bus: EventBus
    clock: Clock = field(default=utcnow)

    @classmethod
    def build(
        cls,
        *,
        default_shop: str = "demo",
        locale: str = "zh_CN",
        currency: str = "CNY",
        clock: Clock = utcnow,
    ) -> StoreServices:
        bus = EventBus()
        refunds = RefundOutbox(bus, clock)
        return cls(
            shops=ShopService(default_shop, locale, currency),
            people=PeopleService(),
            catalog=CatalogService(),
            carts=CartService(),
            orders=OrderService(bus, clock, refunds),
            payments=PaymentService(bus, clock),
            refunds=refunds,
            bus=bus,
            clock=clock,
        )
