"""Per-process copies of what customers browse most: catalog pages, search results and
product cards, stock included (store/catalog.py reads through them), and each card's stars
(store/reviews). A change to a shop's products or reviews drops every copy of the shop
(`changed`). An order that moves stock drops its products' cards, which show the count,
and only when it sold one out or brought one back, the pages that show it (`stock_moved`):
a page (of the catalog or of a search) shows no count, only "sold out", and lists a product
whether or not it is sold out. So a page's products may carry an older count than their
cards, never another side of zero. Both reach the other processes on the same channel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from store.events import StockMoved
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

    async def stock_moved(self, shop_id: int, moved: StockMoved) -> None:
        """After the commit of an order's change that moved stock."""
        if moved.products:
            self._drop_showing(shop_id, set(moved.products), set(moved.sold_out_changed))
            await self._tell_others(
                f"{shop_id}:{_ids(moved.products)}:{_ids(moved.sold_out_changed)}"
            )

    def heard(self, change: str) -> None:
        """`shop` (a change to its products), or `shop:moved:sold out or back`."""
        shop_id, stock, moves = change.partition(":")
        if not stock:
            super().heard(change)
            return
        counts, _, sides = moves.partition(":")
        self._drop_showing(int(shop_id), _parse_ids(counts), _parse_ids(sides))

    def _drop_showing(self, shop_id: int, counts: set[int], sides: set[int]) -> None:
        """Drop the cards of the products in `counts` and what lists one in `sides`."""
        self._generation += 1  # a load that overlapped the move is not kept
        parts = self._parts.get(shop_id)
        if not parts:
            return
        cards = {card_part(p) for p in counts}
        stale = [
            part
            for part, (_, value) in parts.items()
            if part in cards or any(p.id in sides for p in getattr(value, "products", ()))
        ]
        for part in stale:
            del parts[part]
        self._count -= len(stale)


def _ids(ids: Iterable[int]) -> str:
    return ",".join(map(str, sorted(set(ids))))


def _parse_ids(text: str) -> set[int]:
    return {int(p) for p in text.split(",") if p}
