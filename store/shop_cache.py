"""Per-process copies of what every message and every order reads about a shop and
merchants rarely change: the shop row, its members' roles, member levels, the points rule,
满减 rules, when its flash sales run and its categories. Keyed by shop; how changes are
announced and when copies are kept: store/copies.py.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from store.copies import MAX_AGE, MAX_ENTRIES, Copies

T = TypeVar("T")


class ShopCache(Copies):
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._values: dict[tuple[int | None, str], tuple[float, Any]] = {}
        self._monotonic = monotonic

    async def get(self, shop_id: int | None, part: str, load: Callable[[], Awaitable[T]]) -> T:
        """The copy of `part` of a shop (None: not about one shop), loaded when missing."""
        key = (shop_id, part)
        now = self._monotonic()
        kept = self._values.get(key)
        if kept is not None and now - kept[0] < MAX_AGE:
            return kept[1]  # type: ignore[no-any-return]
        generation = self._generation
        value = await load()
        if self.keeps(generation):
            if len(self._values) >= MAX_ENTRIES:  # dropping everything is always correct
                self._values.clear()
            self._values[key] = (now, value)
        return value

    def forget(self, shop_id: int | None = None) -> None:
        """Drop one shop's copies and those about no one shop; None: drop everything."""
        self._generation += 1
        if shop_id is None:
            self._values.clear()
            return
        for key in [k for k in self._values if k[0] in (shop_id, None)]:
            del self._values[key]
