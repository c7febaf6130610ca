"""Processes that share Redis tell each other when a shop's cached parts change
(store/shop_cache.py): `changed()` publishes the shop id, every process drops its copies."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from store.shop_cache import ShopCache

log = logging.getLogger(__name__)
CHANNEL = "ms:shop-changed"
EVERYTHING = b"*"
RETRY_SECONDS = 1.0


class ShopCacheSync:
    def __init__(self, redis: Redis, cache: ShopCache, channel: str = CHANNEL) -> None:
        self.redis = redis
        self.cache = cache
        self.channel = channel
        cache.live = False  # until this process hears the others
        cache.announce = self.announce

    async def announce(self, shop_id: int | None) -> None:
        """After a commit. Not heard by the others (Redis lost just now): their copies still
        expire (MAX_AGE), so the change is logged rather than refused after the fact."""
        try:
            await self.redis.publish(self.channel, EVERYTHING if shop_id is None else shop_id)
        except (RedisError, OSError) as e:
            log.warning("could not announce a change of shop %s to other processes: %r", shop_id, e)

    async def listen(self) -> None:
        """Forever: subscribe, then drop what others changed; while not subscribed, keep
        nothing (what changed meanwhile was not heard)."""
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":  # from now on every change is heard
                        self.cache.forget()
                        self.cache.live = True
                    elif message["type"] == "message":
                        data = message["data"]
                        self.cache.forget(None if data == EVERYTHING else int(data))
            except (RedisError, OSError) as e:
                log.warning("shop change announcements unheard, caching paused: %r", e)
            finally:
                self.cache.live = False
                self.cache.forget()
                await pubsub.aclose()
            await asyncio.sleep(RETRY_SECONDS)
