"""The dashboard's order search on both backends: an order number, part of a name in any
case, digits of a phone; LIKE's wildcards typed into the box match only themselves."""

from __future__ import annotations

from store.orders import Contact
from store.reports import OrderFilter, ShopReports
from store.services import StoreServices
from tests.integration.conftest import Db
from tests.integration.world import CONTACT, make_customers, make_product, make_shop


async def test_search_by_number_name_or_phone(any_db: Db, services: StoreServices) -> None:
    shop, _ = await make_shop(services)
    product = await make_product(services, shop, stock=10)
    li, wang = await make_customers(services, shop, product, 2)
    lei = await services.orders.place(li, shop.id, CONTACT)  # Li Lei, 13800138000
    other = Contact("Wang_Wu 100%", "13912345678", "1 Hubin Road, Hangzhou")
    wu = await services.orders.place(wang, shop.id, other)
    reports = ShopReports(services.clock)

    async def found(query: str) -> list[str]:
        page = await reports.orders(shop, OrderFilter(query=query))
        return sorted(o.order_no for o in page.orders)

    assert await found(lei.order_no.lower()) == [lei.order_no]
    assert await found("LI LEI") == [lei.order_no]
    assert await found("3456") == [wu.order_no]
    assert await found("100%") == [wu.order_no]
    assert await found("%lei") == []  # "%" is a character here, not a wildcard
    assert await found("i_l") == []  # and "_" too (as a wildcard it would match "i L")
    assert await found("g_w") == [wu.order_no]
    assert await found("zzz") == []


async def test_status_counts_of_a_search(any_db: Db, services: StoreServices) -> None:
    shop, _ = await make_shop(services)
    product = await make_product(services, shop, stock=10)
    li, wang = await make_customers(services, shop, product, 2)
    lei = await services.orders.place(li, shop.id, CONTACT)  # Li Lei
    await services.orders.place(wang, shop.id, Contact("Wang Wu", "13912345678", "1 Road"))
    await services.payments.confirm_manual(lei)
    reports = ShopReports(services.clock)
    counts = await reports.filtered_status_counts(shop, OrderFilter(query="li lei"))
    assert (counts["paid"], counts["pending_payment"]) == (1, 0)
    counts = await reports.filtered_status_counts(shop, OrderFilter())
    assert (counts["paid"], counts["pending_payment"]) == (1, 1)
