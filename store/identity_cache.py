"""Per-process copies of identities with their persons, by platform and user id: every
message starts by reading its sender's, and they change rarely (a language, the shop one
chats with, a name, reachability, a merge or an erasure). Every write to an identity or a
person goes through PeopleService or Accounts, which call `changed(person_id)` after
their commit (tests/test_identity_cache.py holds the code to that). How changes reach the
other processes and when copies are kept: store/copies.py.

Readers get their own copy of the identity and its person: handlers set attributes on
them (the shop just entered), which must not leak into another message's.

A newcomer's identity is kept from its creation (`created`). Other parts about a person
are kept by person id (`get`, from Copies): the person, their reachable identities (whom a
notification goes to), their checkout choice in a shop. The same `changed(person_id)`
drops them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from store.copies import MAX_AGE, MAX_ENTRIES, Copies
from store.models import Identity

Key = tuple[str, str]  # (platform, platform user id)
M = TypeVar("M")


class IdentityCache(Copies):
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(monotonic)
        self._kept: dict[Key, tuple[float, Identity]] = {}  # oldest first
        self._keys_of: dict[int, set[Key]] = {}  # person id -> its identities' keys

    async def identity(
        self, platform: str, user_id: str, load: Callable[[], Awaitable[Identity | None]]
    ) -> Identity | None:
        """The identity with its person (None: no such identity yet), loaded when missing."""
        key = (platform, user_id)
        now = self._monotonic()
        kept = self._kept.get(key)
        if kept is not None and now - kept[0] < MAX_AGE:
            return _own_copy(kept[1])

        def keep(loaded: Identity | None) -> None:
            if loaded is not None:
                self._keep(key, now, loaded)

        identity = await self.loaded(("identity", *key), load, keep)
        if identity is None:
            return None
        return _own_copy(identity)  # the one loaded may be kept, or shared with waiters

    async def created(
        self, platform: str, user_id: str, create: Callable[[], Awaitable[Identity]]
    ) -> Identity:
        """`create()`'s new identity with its person, kept as if loaded after its commit: a
        newcomer's next message (a burst of them follows a shared link) reads nothing.
        Created inside a caller's transaction, it is kept only once that commits."""
        generation = self._generation
        identity = await create()
        key = (platform, user_id)
        self.keep_unless_changed(generation, lambda: self._keep(key, self._monotonic(), identity))
        return _own_copy(identity)

    def _keep(self, key: Key, now: float, identity: Identity) -> None:
        self._drop(key)
        while len(self._kept) >= MAX_ENTRIES:
            self._drop(next(iter(self._kept)))
        self._kept[key] = (now, identity)
        self._keys_of.setdefault(identity.person_id, set()).add(key)  # type: ignore[attr-defined]

    def _drop(self, key: Key) -> None:
        kept = self._kept.pop(key, None)
        if kept is None:
            return
        person_id = kept[1].person_id  # type: ignore[attr-defined]
        keys = self._keys_of.get(person_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._keys_of[person_id]

    def forget(self, person_id: int | None = None) -> None:
        """Drop the copies about one person; None: drop everything."""
        super().forget(person_id)
        if person_id is None:
            self._kept.clear()
            self._keys_of.clear()
            return
        for key in list(self._keys_of.get(person_id, ())):
            self._drop(key)


def _own_copy(identity: Identity) -> Identity:
    mine = _shallow(identity)
    # The relation's own setter; Model.__setattr__ would check the type of what it made.
    object.__setattr__(mine, "person", _shallow(identity.person))
    return mine


def _shallow(model: M) -> M:
    """What copy.copy makes, without its __reduce_ex__ round: 2.6 µs an identity, not 6."""
    mine = object.__new__(type(model))
    mine.__dict__.update(model.__dict__)
    return mine
