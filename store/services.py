"""The store core's services, built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from store.accounts.service import Accounts
from store.cart import CartService
from store.catalog import CatalogService
from store.clock import Clock, utcnow
from store.community.service import Community
from store.events import EventBus
from store.groupbuy.service import GroupBuyService
from store.groupbuy.sweep import GroupSweep
from store.login_links import LoginLinks
from store.loyalty.service import Loyalty
from store.orders import OrderService
from store.payments import PaymentService
from store.people import PeopleService
from store.pricing import Pricing
from store.product_admin import ProductAdmin
from store.promotions.service import Promotions
from store.refunds import RefundOutbox
from store.reviews.service import Reviews
from store.shop_cache import ShopCache
from store.shops import ShopService
from store.staff_invites import StaffInvites
from store.support.service import Support


@dataclass
class StoreServices:
    shops: ShopService
    people: PeopleService
    catalog: CatalogService
    product_admin: ProductAdmin  # the merchant's edits: dashboard forms, CSV, /edit
    carts: CartService
    orders: OrderService
    payments: PaymentService
    refunds: RefundOutbox
    bus: EventBus
    logins: LoginLinks
    groupbuys: GroupBuyService
    groupbuy_sweep: GroupSweep
    promotions: Promotions
    loyalty: Loyalty
    reviews: Reviews
    support: Support
    accounts: Accounts
    staff_invites: StaffInvites
    community: Community
    clock: Clock = field(default=utcnow)

    @classmethod
    def build(
        cls,
        *,
        default_shop: str = "demo",
        locale: str = "zh_CN",
        currency: str = "CNY",
        timezone: str = "Asia/Shanghai",
        clock: Clock = utcnow,
    ) -> StoreServices:
        bus = EventBus()
        cache = ShopCache()
        people = PeopleService()
        shops = ShopService(default_shop, locale, currency, people, cache, timezone)
        refunds = RefundOutbox(bus, clock)
        promotions = Promotions(bus, clock, cache, people.copies)
        loyalty = Loyalty(bus, clock, cache)
        pricing = Pricing(promotions, loyalty, clock, shops)
        orders = OrderService(bus, clock, refunds, pricing, shops)
        groupbuys = GroupBuyService(orders, bus, clock)
        groupbuys.subscribe()
        support = Support(bus, clock)
        catalog = CatalogService(cache)
        catalog.subscribe(bus)
        reviews = Reviews(bus, clock, catalog.listings)
        accounts = Accounts(
            bus,
            clock,
            merge_participants=[loyalty.merge_person, promotions.merge_person],
            cache=cache,
            identities=people.copies,
        )
        for service in (promotions, loyalty, reviews, support, accounts):
            service.subscribe()
        return cls(
            shops=shops,
            people=people,
            catalog=catalog,
            product_admin=ProductAdmin(catalog),
            carts=CartService(catalog),
            orders=orders,
            payments=PaymentService(bus, clock),
            refunds=refunds,
            bus=bus,
            logins=LoginLinks(clock),
            groupbuys=groupbuys,
            groupbuy_sweep=GroupSweep(groupbuys),
            promotions=promotions,
            loyalty=loyalty,
            reviews=reviews,
            support=support,
            accounts=accounts,
            staff_invites=StaffInvites(shops, clock),
            community=Community.build(people, clock),
            clock=clock,
        )
