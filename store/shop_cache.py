"""Per-process copies of what every message and every order reads about a shop and
merchants rarely change: the shop row, its members' roles, member levels, the points rule,
满减 rules, when its flash sales run and its categories. Keyed by shop; how changes are
announced and when copies are kept: store/copies.py.
"""

from __future__ import annotations

from store.copies import Copies


class ShopCache(Copies):
    def forget(self, shop_id: int | None = None) -> None:
        """Drop one shop's copies and those about no one shop (which shop is the default may
        have changed with it); None: drop everything."""
        super().forget(shop_id)
        if shop_id is not None:
            self._count -= len(self._parts.pop(None, ()))
