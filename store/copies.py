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

Misses of one copy that arrive while it is being loaded wait for that load instead of each
asking the database: a product that sells out drops the pages every viewer then misses at
once, and all copies expire together a minute after a busy process starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from store.db import in_a_transaction, on_commit

T = TypeVar("T")
Announce = Callable[[str], Awaitable[None]]  # a change, as `heard` reads it back
EVERYTHING = "*"
# Bounds memory on a platform with very many shops or people.
MAX_ENTRIES = 20_000
MAX_AGE = 60.0  # seconds
_ABANDONED = object()  # a load that failed or was cancelled: its waiters load themselves


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
        self._loads: dict[Hashable, tuple[int, asyncio.Future[Any]]] = {}  # under way
        self._monotonic = monotonic
        self.max_age = max_age

    async def get(self, key: int | None, part: str, load: Callable[[], Awaitable[T]]) -> T:
        """The copy of `part` of `key`'s, loaded when missing."""
        now = self._monotonic()
        parts = self._parts.get(key)
        kept = parts.get(part) if parts is not None else None
        if kept is not None and now - kept[0] < self.max_age:
            return kept[1]  # type: ignore[no-any-return]

        def keep(value: T) -> None:
            if self._count >= MAX_ENTRIES:  # dropping them all is always correct
                self._parts.clear()  # (only these: a subclass may keep more, see forget)
                self._count = 0
            parts = self._parts.setdefault(key, {})
            self._count += part not in parts
            parts[part] = (now, value)

        return await self.loaded((key, part), load, keep)

    async def loaded(
        self, what: Hashable, load: Callable[[], Awaitable[T]], keep: Callable[[T], None]
    ) -> T:
        """`load()`'s value, or that of the load of `what` already under way. The caller
        that ran the load gets `keep(value)` called, unless a change overlapped the load.
        A waiter joins only a load that started after the last change. A transaction neither
        joins nor leads one, and keeps what it loaded only once it commits: its reads may see
        its own writes, and the connection it holds may be what the load under way waits for
        (SQLite's only one, or the pool's last)."""
        generation = self._generation
        if in_a_transaction():
            value = await load()
            self.keep_unless_changed(generation, lambda: keep(value))
            return value
        while (under_way := self._loads.get(what)) is not None:
            generation, future = under_way
            if generation != self._generation:
                break  # that load may be half old: this reader needs a new one
            value = await asyncio.shield(future)  # its loader's cancellation is not ours
            if value is not _ABANDONED:
                return value  # type: ignore[no-any-return]
        generation = self._generation
        future = asyncio.get_running_loop().create_future()
        self._loads[what] = (generation, future)
        try:
            value = await load()
        except BaseException:
            future.set_result(_ABANDONED)
            raise
        else:
            future.set_result(value)
        finally:
            if self._loads.get(what, (0, None))[1] is future:
                del self._loads[what]
        self.keep_unless_changed(generation, lambda: keep(value))
        return value

    def forget(self, key: int | None = None) -> None:
        """Drop the copies about `key`; None: drop everything."""
        self._generation += 1
        if key is None:
            self._parts.clear()
            self._count = 0
        else:
            self._count -= len(self._parts.pop(key, ()))

    def keep_unless_changed(self, generation: int, keep: Callable[[], None]) -> None:
        """`keep()`, now or once this task's transaction commits (never if it rolls back),
        if by then no change was heard since `generation`: what a change overlapped may have
        been read half old, so it is used once, not kept (nor while changes can't be heard)."""

        def then() -> None:
            if self.live and generation == self._generation:
                keep()

        on_commit(then)

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
