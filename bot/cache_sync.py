"""Processes that share Redis tell each other when what their per-process copies hold
changes (store/copies.py): `changed()` publishes the key on the copies' channel, and every
process drops its copies of it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.redis_batches import batches_of
from store.copies import Announce, Copies

log = logging.getLogger(__name__)
SHOPS = "ms:shop-changed"  # a shop id
PEOPLE = "ms:person-changed"  # a person id
LISTINGS = "ms:listing-changed"  # a shop id (its products), or shop:products (their stock)
PROGRAMS = "ms:referral-program-changed"  # a shop id
RETRY_SECONDS = 1.0


class CacheSync:
    def __init__(self, redis: Redis, copies: Mapping[str, Copies]) -> None:
        """`copies`: by the channel their changes travel on."""
        self.redis = redis
        self.copies = dict(copies)
        for channel, kept in self.copies.items():
            kept.live = False  # until this process hears the others
            kept.announce = self._announcer(channel)

    def _announcer(self, channel: str) -> Announce:
        batches = batches_of(self.redis)  # one write with the turn's other Redis commands

        async def announce(change: str) -> None:
            """After a commit. Not heard by the others (Redis lost just now): their copies
            still expire (MAX_AGE), so the change is logged rather than refused after the fact."""
            try:
                await batches.run("PUBLISH", channel, change)
            except (RedisError, OSError) as e:
                log.warning("could not announce a change on %s (%s): %r", channel, change, e)

        return announce

    async def listen(self) -> None:
        """Forever: subscribe, then drop what others changed; while not subscribed, keep
        nothing (what changed meanwhile was not heard)."""
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(*self.copies)
                async for message in pubsub.listen():
                    kept = self.copies.get(_text(message["channel"]))
                    if kept is None:
                        continue
                    if message["type"] == "subscribe":  # from now on every change is heard
                        kept.forget()
                        kept.live = True
                    elif message["type"] == "message":
                        _hear(kept, _text(message["data"]))
            except (RedisError, OSError) as e:
                log.warning("change announcements unheard, caching paused: %r", e)
            finally:
                for kept in self.copies.values():
                    kept.live = False
                    kept.forget()
                await pubsub.aclose()
            await asyncio.sleep(RETRY_SECONDS)


def _hear(kept: Copies, change: str) -> None:
    try:
        kept.heard(change)
    except ValueError:  # not from a process of ours: dropping everything is always correct
        log.warning("an announcement that is not a change: %r", change[:100])
        kept.forget()


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
