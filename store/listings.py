"""Per-process copies of what customers browse most: catalog pages, search results and
product cards, stock included (store/catalog.py reads through them), and each card's stars
(store/reviews). A change to a shop's products or reviews drops every copy of the shop
(`changed`); an order that moves stock drops only its products' cards and the pages that
show them (`stock_moved`): a page (of the catalog or of a search) lists a product whether
or not it is sold out, so no other page changes. Both reach the other processes on the
same channel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from store.shop_cache import ShopCache

# Stock moves with every order: a stock figure announced to no one (a crash between an
# order's commit and its event) is shown for this long at most.
LISTINGS_MAX_AGE = 10.0  # seconds


def card_part(product_id: int) -> str:
    return f"product {product_id}"


def page_part(category_id: int | None, page: int) -> str:
    return f"page {category_id} {page}"


def search_part(words: tuple[str, ...], page: int) -> str:
    return f"search {page} {' '.join(words)}"


def rating_part(product_id: int) -> str:
    return f"rating {product_id}"


class Listings(ShopCache):
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(monotonic, max_age=LISTINGS_MAX_AGE)

    async def stock_moved(self, shop_id: int, product_ids: Iterable[int]) -> None:
        """After the commit of an order that moved these products' stock."""
        ids = sorted(set(product_ids))
        if ids:
            self._drop_showing(shop_id, ids)
            await self._tell_others(f"{shop_id}:{','.join(map(str, ids))}")

    def heard(self, change: str) -> None:
        shop_id, stock, product_ids = change.partition(":")
        if not stock:
            super().heard(change)
            return
        self._drop_showing(int(shop_id), [int(p) for p in product_ids.split(",")])

    def _drop_showing(self, shop_id: int, product_ids: list[int]) -> None:
        self._generation += 1  # a load that overlapped the move is not kept
        parts = self._parts.get(shop_id)
        if not parts:
            return
        moved = set(product_ids)
        cards = {card_part(p) for p in moved}
        stale = [
            part
            for part, (_, value) in parts.items()
            if part in cards or any(p.id in moved for p in getattr(value, "products", ()))
        ]
        for part in stale:
            del parts[part]
        self._count -= len(stale)
