"""Catalog pages: the page and its total come from one query (a window count), on both
backends; pages past the end show the last one, an empty result is one empty page."""

from __future__ import annotations

from decimal import Decimal

from store.catalog import PAGE_SIZE, NewProduct
from store.services import StoreServices
from tests.integration.conftest import Db
from tests.integration.world import make_shop

PRODUCTS = 2 * PAGE_SIZE + 2


async def test_pages_totals_and_past_the_end(any_db: Db, services: StoreServices) -> None:
    shop, _ = await make_shop(services)
    ids = [
        (
            await services.catalog.add_product(
                shop.id, NewProduct(title=f"Tea {i}", price=Decimal("9.90"), stock=5)
            )
        ).id
        for i in range(PRODUCTS)
    ]
    catalog = services.catalog

    first = await catalog.browse(shop.id)
    assert (first.page, first.pages, first.total) == (1, 3, PRODUCTS)
    assert [p.id for p in first.products] == ids[:PAGE_SIZE]
    last = await catalog.browse(shop.id, page=3)
    assert [p.id for p in last.products] == ids[2 * PAGE_SIZE :]
    assert (last.page, last.total) == (3, PRODUCTS)
    beyond = await catalog.browse(shop.id, page=99)
    assert (beyond.page, beyond.pages, beyond.total) == (3, 3, PRODUCTS)
    assert [p.id for p in beyond.products] == ids[2 * PAGE_SIZE :]
    assert (await catalog.browse(shop.id, page=0)).page == 1

    found = await catalog.search(shop.id, "tea 1")  # "Tea 1", "Tea 10", "Tea 11"
    assert (found.total, found.pages, len(found.products)) == (3, 1, 3)
    nothing = await catalog.search(shop.id, "coffee", page=4)
    assert (nothing.page, nothing.pages, nothing.total, nothing.products) == (1, 1, 0, [])
