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
    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, max_age: float = MAX_AGE
    ) -> None:
        super().__init__()
        self._shops: dict[int | None, dict[str, tuple[float, Any]]] = {}
        self._count = 0
        self._monotonic = monotonic
        self.max_age = max_age

    async def get(self, shop_id: int | None, part: str, load: Callable[[], Awaitable[T]]) -> T:
        """The copy of `part` of a shop (None: not about one shop), loaded when missing."""
        now = self._monotonic()
        parts = self._shops.get(shop_id)
        kept = parts.get(part) if parts is not None else None
        if kept is not None and now - kept[0] < self.max_age:
            return kept[1]  # type: ignore[no-any-return]
        generation = self._generation
        value = await load()
        if self.keeps(generation):
            if self._count >= MAX_ENTRIES:  # dropping everything is always correct
                self.forget()
            parts = self._shops.setdefault(shop_id, {})
            self._count += part not in parts
            parts[part] = (now, value)
        return value

    def forget(self, shop_id: int | None = None) -> None:
        """Drop one shop's copies and those about no one shop; None: drop everything."""
        self._generation += 1
        if shop_id is None:
            self._shops.clear()
            self._count = 0
            return
        for key in (shop_id, None):
            self._count -= len(self._shops.pop(key, ()))
