"""One sender per bot token: a Redis lock with a TTL, renewed while held; in-process, a
flag (one process is the whole deployment then)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Extend / delete the key only while it still holds our token.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class SenderLock(Protocol):
    @property
    def held(self) -> bool: ...
    async def acquire(self) -> bool: ...
    async def release(self) -> None: ...


class MemoryLock:
    def __init__(self) -> None:
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    async def acquire(self) -> bool:
        if self._held:
            return False
        self._held = True
        return True

    async def release(self) -> None:
        self._held = False


class RedisLock:
    """Held while the key has our token; renewed every third of the TTL. A failed renewal
    drops `held` at once, so the engine stops claiming before anyone else may start."""

    def __init__(self, redis: Redis, key: str, ttl_seconds: float) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = max(1, int(ttl_seconds * 1000))
        self._token = ""
        self._renewer: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        return bool(self._token)

    async def acquire(self) -> bool:
        token = secrets.token_hex(16)
        if not await self.redis.set(self.key, token, nx=True, px=self.ttl_ms):
            return False
        self._token = token
        self._renewer = asyncio.create_task(self._renew(token))
        return True

    async def _renew(self, token: str) -> None:
        while self._token == token:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                kept = await self.redis.eval(_RENEW, 1, self.key, token, self.ttl_ms)  # type: ignore[misc]
            except RedisError:
                log.exception("could not renew the broadcast lock %s", self.key)
                kept = 0
            if not kept and self._token == token:
                log.warning("lost the broadcast lock %s: this worker stops sending", self.key)
                self._token = ""

    async def release(self) -> None:
        token, self._token = self._token, ""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        if token:
            with contextlib.suppress(RedisError):
                await self.redis.eval(_RELEASE, 1, self.key, token)  # type: ignore[misc]
