"""The store core's services, built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from store.cart import CartService
from store.catalog import CatalogService
from store.clock import Clock, utcnow
from store.community.service import Community
from store.events import EventBus
from store.groupbuy.service import GroupBuyService
from store.groupbuy.sweep import GroupSweep
from store.login_links import LoginLinks
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
    logins: LoginLinks
    groupbuys: GroupBuyService
    groupbuy_sweep: GroupSweep
    clock: Clock = field(default=utcnow)
    community: Community = field(default_factory=Community.build)

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
        orders = OrderService(bus, clock, refunds)
        groupbuys = GroupBuyService(orders, bus, clock)
        groupbuys.subscribe()
        return cls(
            shops=ShopService(default_shop, locale, currency),
            people=PeopleService(),
            catalog=CatalogService(),
            carts=CartService(),
            orders=orders,
            payments=PaymentService(bus, clock),
            refunds=refunds,
            bus=bus,
            logins=LoginLinks(clock),
            groupbuys=groupbuys,
            groupbuy_sweep=GroupSweep(groupbuys),
            clock=clock,
            community=Community.build(clock),
        )
