"""Per-process copies of what every message and every order reads about a shop and
merchants rarely change: the shop row, its members' roles, member levels, the points rule,
满减 rules and when its flash sales run.

Every service that changes one of these calls `changed(shop_id)` after its commit: the
copies here are dropped, and `announce` (set by the composition root when processes share
Redis) tells the other processes to drop theirs. A process that cannot hear those
announcements (its subscription is down) keeps no copies: `live` is False until it hears
again, so a change can be missed only for the moment between a commit and the
announcement's arrival — the same as if the reader's request had come a moment earlier.
A copy also expires after MAX_AGE, so even an announcement lost on the way (the publisher
lost Redis right after its commit) cannot leave a stale role or rule for long.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Announce = Callable[[int | None], Awaitable[None]]
# Bounds memory on a platform with very many shops; dropping everything is always correct.
MAX_ENTRIES = 20_000
MAX_AGE = 60.0  # seconds


class ShopCache:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._values: dict[tuple[int | None, str], tuple[float, Any]] = {}
        self._monotonic = monotonic
        self._generation = 0
        self.live = True
        self.announce: Announce | None = None

    async def get(self, shop_id: int | None, part: str, load: Callable[[], Awaitable[T]]) -> T:
        """The copy of `part` of a shop (None: not about one shop), loaded when missing."""
        key = (shop_id, part)
        now = self._monotonic()
        kept = self._values.get(key)
        if kept is not None and now - kept[0] < MAX_AGE:
            return kept[1]  # type: ignore[no-any-return]
        generation = self._generation
        value = await load()
        # A change heard while this loaded may have been read half old: used once, not kept.
        if self.live and generation == self._generation:
            if len(self._values) >= MAX_ENTRIES:
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

    async def changed(self, shop_id: int | None) -> None:
        """After the commit of a change to a shop's cached parts (None: to several shops)."""
        self.forget(shop_id)
        if self.announce is not None:
            await self.announce(shop_id)
