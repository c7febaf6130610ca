"""What the per-process copies (store/shop_cache.py, store/identity_cache.py,
store/listings.py, referral/program.py) share: how a change is announced to the other
processes, when a copy may be kept at all, and how: as named parts per key.

Every service that changes what a copy holds calls `changed(key)` after its commit: this
process drops its copies at once, and `announce` (set by the composition root when
processes share Redis) tells the others to drop theirs. A process that cannot hear those
announcements (its subscription is down) keeps no copies: `live` is False until it hears
again, so a change can be missed only for the moment between a commit and the
announcement's arrival — the same as if the reader's request had come a moment earlier.
A copy also expires after MAX_AGE, so even an announcement lost on the way (the publisher
lost Redis right after its commit) cannot leave a stale copy for long.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Announce = Callable[[str], Awaitable[None]]  # a change, as `heard` reads it back
EVERYTHING = "*"
# Bounds memory on a platform with very many shops or people.
MAX_ENTRIES = 20_000
MAX_AGE = 60.0  # seconds


class Copies:
    """Named parts of what one key (a shop, a person) stands for, each loaded when missing
    or older than `max_age`. What `get` returns is shared: readers don't change it."""

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, max_age: float = MAX_AGE
    ) -> None:
        self._generation = 0  # moves on every change: a load that overlapped one is not kept
        self.live = True
        self.announce: Announce | None = None
        self._parts: dict[int | None, dict[str, tuple[float, Any]]] = {}
        self._count = 0
        self._monotonic = monotonic
        self.max_age = max_age

    async def get(self, key: int | None, part: str, load: Callable[[], Awaitable[T]]) -> T:
        """The copy of `part` of `key`'s, loaded when missing."""
        now = self._monotonic()
        parts = self._parts.get(key)
        kept = parts.get(part) if parts is not None else None
        if kept is not None and now - kept[0] < self.max_age:
            return kept[1]  # type: ignore[no-any-return]
        generation = self._generation
        value = await load()
        if self.keeps(generation):
            if self._count >= MAX_ENTRIES:  # dropping them all is always correct
                self._parts.clear()  # (only these: a subclass may keep more, see forget)
                self._count = 0
            parts = self._parts.setdefault(key, {})
            self._count += part not in parts
            parts[part] = (now, value)
        return value

    def forget(self, key: int | None = None) -> None:
        """Drop the copies about `key`; None: drop everything."""
        self._generation += 1
        if key is None:
            self._parts.clear()
            self._count = 0
        else:
            self._count -= len(self._parts.pop(key, ()))

    def keeps(self, generation: int) -> bool:
        """Whether what was loaded since `generation` may be kept: a change heard meanwhile
        may have been read half old, so it is used once, not kept."""
        return self.live and generation == self._generation

    async def changed(self, key: int | None) -> None:
        """After the commit of a change to what the copies about `key` hold (None: several)."""
        self.forget(key)
        await self._tell_others(EVERYTHING if key is None else str(key))

    def heard(self, change: str) -> None:
        """Another process announced `change` (what `_tell_others` sent): drop the same.
        ValueError when it is not one."""
        self.forget(None if change == EVERYTHING else int(change))

    async def _tell_others(self, change: str) -> None:
        if self.announce is not None:
            await self.announce(change)
