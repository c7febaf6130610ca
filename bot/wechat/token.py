"""Access tokens from `cgi-bin/stable_token`, shared by every process of one app id.

With Redis the token lives under one key guarded by a Redis lock, so many
workers share a single token and only one of them fetches at a time; without
Redis an in-process cache and an asyncio lock do the same for one process.

stable_token in normal mode never invalidates a token other processes hold; a
forced refresh does, so it is only used when normal mode hands back the very
token WeChat just rejected.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 300.0  # fetch a new token this long before the old one expires


@dataclass(frozen=True, slots=True)
class CachedToken:
    token: str
    expires_at: float  # wall clock (seconds since the epoch): shared between processes

    def fresh(self, now: float, margin: float = REFRESH_MARGIN_SECONDS) -> bool:
        return self.expires_at - now > margin


class TokenCache(Protocol):
    async def get(self, app_id: str) -> CachedToken | None: ...
    async def put(self, app_id: str, token: CachedToken) -> None: ...
    def lock(self, app_id: str) -> AbstractAsyncContextManager[None]: ...


class MemoryTokenCache:
    """One process: a dict and an asyncio lock per app id."""

    def __init__(self) -> None:
        self._tokens: dict[str, CachedToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, app_id: str) -> CachedToken | None:
        return self._tokens.get(app_id)

    async def put(self, app_id: str, token: CachedToken) -> None:
        self._tokens[app_id] = token

    def lock(self, app_id: str) -> AbstractAsyncContextManager[None]:
        return _asyncio_lock(self._locks.setdefault(app_id, asyncio.Lock()))


@asynccontextmanager
async def _asyncio_lock(lock: asyncio.Lock) -> AsyncIterator[None]:
    async with lock:
        yield


class RedisTokenCache:
    """Many processes: one Redis key per app id and a Redis lock around fetching."""

    def __init__(self, redis: Any, prefix: str = "microstore:wechat:token:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, app_id: str) -> CachedToken | None:
        raw = await self._redis.get(self._prefix + app_id)
        if raw is None:
            return None
        data = json.loads(raw)
        return CachedToken(token=data["token"], expires_at=float(data["expires_at"]))

    async def put(self, app_id: str, token: CachedToken) -> None:
        ttl = max(1, int(token.expires_at - time.time()))
        value = json.dumps({"token": token.token, "expires_at": token.expires_at})
        await self._redis.set(self._prefix + app_id, value, ex=ttl)

    @asynccontextmanager
    async def lock(self, app_id: str) -> AsyncIterator[None]:
        lock = self._redis.lock(self._prefix + app_id + ":lock", timeout=30, blocking_timeout=30)
        async with lock:
            yield


Fetch = Callable[[bool], Awaitable[tuple[str, int]]]  # force_refresh -> (token, expires_in)


class AccessTokens:
    """The token of one app id: `get()` for a call, `renew(rejected)` after 40001/42001."""

    def __init__(
        self,
        app_id: str,
        fetch: Fetch,
        cache: TokenCache,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN_SECONDS,
    ) -> None:
        self.app_id = app_id
        self._fetch = fetch
        self._cache = cache
        self._clock = clock
        self._margin = margin

    async def get(self) -> str:
        cached = await self._cache.get(self.app_id)
        if cached and cached.fresh(self._clock(), self._margin):
            return cached.token
        async with self._cache.lock(self.app_id):
            cached = await self._cache.get(self.app_id)  # another worker may have fetched
            if cached and cached.fresh(self._clock(), self._margin):
                return cached.token
            return await self._store(await self._fetch(False))

    async def renew(self, rejected: str) -> str:
        """WeChat refused `rejected`: get a different token, forcing only as a last resort."""
        async with self._cache.lock(self.app_id):
            cached = await self._cache.get(self.app_id)
            if cached and cached.token != rejected and cached.fresh(self._clock(), self._margin):
                return cached.token  # someone renewed it already
            token, expires_in = await self._fetch(False)
            if token == rejected:
                log.warning("wechat %s: stable token rejected, forcing a refresh", self.app_id)
                token, expires_in = await self._fetch(True)
            return await self._store((token, expires_in))

    async def _store(self, fetched: tuple[str, int]) -> str:
        token, expires_in = fetched
        await self._cache.put(self.app_id, CachedToken(token, self._clock() + expires_in))
        return token
