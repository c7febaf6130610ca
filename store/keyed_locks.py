"""In-process locks by key, for rows many requests of one process update at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @asynccontextmanager
    async def hold(self, keys: Iterable[int]) -> AsyncIterator[None]:
        """All of `keys`, taken in ascending order (so two holders never wait on each other)."""
        waited: list[int] = []
        held: list[int] = []
        try:
            for key in sorted(set(keys)):
                self._users[key] = self._users.get(key, 0) + 1
                waited.append(key)
                await self._locks.setdefault(key, asyncio.Lock()).acquire()
                held.append(key)
            yield
        finally:
            for key in held:
                self._locks[key].release()
            for key in waited:
                self._users[key] -= 1
                if not self._users[key]:  # nobody holds or waits: forget it
                    del self._users[key], self._locks[key]
