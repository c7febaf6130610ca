"""Per-process copies of what customers browse most: catalog pages, search results and
product cards, stock included (store/catalog.py reads through them), and each card's stars
(store/reviews). A change to a shop's products or reviews drops every copy of the shop
(`changed`). An order that moves stock changes its products' cards, which show the count,
and only when it sold one out or brought one back, drops the pages that show it
(`stock_moved`): a page (of the catalog or of a search) shows no count, only "sold out",
and lists a product whether or not it is sold out. So a page's products may carry an older
count than their cards, never another side of zero. Both reach the other processes on the
same channel.

A card whose product had units taken, and some left, keeps its copy with the count the
order left, unless it already shows fewer: takes only lower a count, so whatever order two
processes' announcements arrive in, the lowest is the latest. Everything else that moves a
count drops the card (units given back, a take that sold it out, the merchant's edits), to
be read again. A card can then show fewer units than there are only when a take's
announcement arrives after a later give-back's, never none of them, and for LISTINGS_MAX_AGE
at most. Every order left a card to read again before: at the pipeline's peak, reading them
was about 5% of the server's CPU.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable

from store.events import StockMoved
from store.models import Product
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
            left = dict(moved.left)
            self._move(shop_id, set(moved.products), set(moved.sold_out_changed), left)
            await self._tell_others(
                f"{shop_id}:{_ids(moved.products)}:{_ids(moved.sold_out_changed)}:{_lefts(left)}"
            )

    def heard(self, change: str) -> None:
        """`shop` (a change to its products), or `shop:moved:sold out or back:product=left,...`
        (the last part may be missing: a process of the version before sends none)."""
        shop_id, stock, moves = change.partition(":")
        if not stock:
            super().heard(change)
            return
        counts, _, rest = moves.partition(":")
        sides, _, lefts = rest.partition(":")
        self._move(int(shop_id), _parse_ids(counts), _parse_ids(sides), _parse_lefts(lefts))

    def _move(self, shop_id: int, counts: set[int], sides: set[int], left: dict[int, int]) -> None:
        """The cards of the products in `counts` show what `left` says or go; what lists one in
        `sides` goes."""
        self._generation += 1  # a load that overlapped the move is not kept
        parts = self._parts.get(shop_id)
        if not parts:
            return
        cards = {card_part(p): p for p in counts}
        stale = []
        for part, (kept_at, value) in parts.items():
            if part in cards:
                count = left.get(cards[part])
                if count is None or value is None:
                    stale.append(part)
                elif count < value.stock:  # a copy: readers may hold the one kept
                    parts[part] = (kept_at, _with_stock(value, count))
            elif any(p.id in sides for p in getattr(value, "products", ())):
                stale.append(part)
        for part in stale:
            del parts[part]
        self._count -= len(stale)


def _with_stock(card: Product, stock: int) -> Product:
    moved = copy.copy(card)
    moved.stock = stock
    return moved


def _lefts(left: dict[int, int]) -> str:
    return ",".join(f"{p}={n}" for p, n in sorted(left.items()))


def _parse_lefts(text: str) -> dict[int, int]:
    """ValueError when it is not what `_lefts` writes."""
    pairs = (item.split("=") for item in text.split(",") if item)
    return {int(p): int(n) for p, n in pairs}


def _ids(ids: Iterable[int]) -> str:
    return ",".join(map(str, sorted(set(ids))))


def _parse_ids(text: str) -> set[int]:
    return {int(p) for p in text.split(",") if p}
