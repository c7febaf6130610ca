"""The composition root: configuration in, one wired Runtime out. Nothing is wired at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.broadcast.segments import wire_segments
from bot.cache_sync import LISTINGS, PEOPLE, PROGRAMS, SHOPS, CacheSync
from bot.config import ConfigError, Settings
from bot.ports import MemoryDedup, MemoryKV, RedisDedup, RedisKV, RedisStateStore
from handlers.commands import CONTACT_HOOKS, FLOWS, FREE_TEXT, ROUTERS, START_HOOKS
from handlers.engine import Engine
from handlers.groupbuy_cards import GroupCards
from handlers.groupbuy_notify import GroupBuyNotifier
from handlers.notify import Notifier
from handlers.outbox import Outbox
from handlers.referral_notify import ReferralNotifier
from handlers.state import MemoryStateStore, StateStore
from handlers.types import Outgoing
from referral.merge import merge_referral
from referral.services import ReferralServices
from store.clock import Clock, utcnow
from store.db import close_db, init_db
from store.services import StoreServices

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30.0


class Deduplicator(Protocol):
    async def first_time(self, key: str, ttl_seconds: int = 86400) -> bool: ...


class KeyValue(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_seconds: int = 86400) -> None: ...
    async def set_many(self, entries: Sequence[tuple[str, str, int]]) -> None: ...
    async def delete(self, key: str) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    services: StoreServices
    engine: Engine
    state: StateStore
    dedup: Deduplicator
    kv: KeyValue
    outbox: Outbox
    redis: Redis | None = None
    referral: ReferralServices | None = None
    # Adapters register a GroupCardPublisher here to edit live group cards in place.
    group_cards: GroupCards | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def register_sender(self, platform: str, send: Callable[[Outgoing], Awaitable[None]]) -> None:
        self.outbox.register(platform, send)

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        self._closers.append(closer)

    def start_sweeper(self, every: float = SWEEP_SECONDS) -> None:
        """Deadlines live in the database; this acts on them, restart-safe and idempotent."""
        self._tasks.append(asyncio.create_task(self._sweep_forever(every)))

    async def _sweep_forever(self, every: float) -> None:
        while True:
            done = await self.sweep_once()
            if any(done.values()):
                log.info("sweep: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
            await asyncio.sleep(every)

    async def sweep_once(self) -> dict[str, int]:
        """Every deadline sweep once, in order; one that fails is logged and the rest still run.

        Group buys go before refunds, so a failed group's refunds go out in the same round.
        """
        steps: list[tuple[str, Callable[[], Awaitable[dict[str, int]]]]] = [
            ("orders", self._sweep_orders),
            ("group buys", self._sweep_groups),
            ("refunds", self._sweep_refunds),
        ]
        if self.referral is not None:
            steps.append(("commission", self._sweep_commission))
        done: dict[str, int] = {}
        for name, step in steps:
            try:
                done |= await step()
            except Exception:
                log.exception("%s sweep failed; the next round retries it", name)
        return done

    async def _sweep_orders(self) -> dict[str, int]:
        cancelled, completed = await self.services.orders.sweep()
        return {"unpaid orders cancelled": cancelled, "shipped orders completed": completed}

    async def _sweep_groups(self) -> dict[str, int]:
        groups = await self.services.groupbuy_sweep.run()
        return {"group buys completed": groups.completed, "group buys failed": groups.failed}

    async def _sweep_refunds(self) -> dict[str, int]:
        return {"refunds finished": await self.services.refunds.process_due()}

    async def _sweep_commission(self) -> dict[str, int]:
        assert self.referral is not None
        return {"orders' commission released": await self.referral.ledger.release_due()}

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.outbox.drain()  # adapters still open: queued messages can go out
        for closer in reversed(self._closers):
            await closer()
        if self.redis is not None:
            await self.redis.aclose()
        await close_db()


def _describe_db(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url.split("?")[0]


async def build_runtime(
    settings: Settings, *, clock: Clock = utcnow, create_schema: bool = False
) -> Runtime:
    """Connect the database (and Redis when configured) and wire the core together."""
    redis: Redis | None = None
    if settings.redis.url:
        redis = Redis.from_url(settings.redis.url)
        try:
            await redis.ping()  # a configured Redis that is down stops start-up, loudly
        except (RedisError, OSError) as e:
            await redis.aclose()
            raise ConfigError(f"redis.url: cannot reach Redis ({e})") from None
    await init_db(settings.database.url, create_schema=create_schema)
    if redis is not None:
        state: StateStore = RedisStateStore(redis)
        dedup: Deduplicator = RedisDedup(redis)
        kv: KeyValue = RedisKV(redis)
    else:
        state, dedup, kv = MemoryStateStore(), MemoryDedup(), MemoryKV()
    log.info(
        "database: %s; state, de-dup and locks: %s",
        _describe_db(settings.database.url),
        "redis" if redis else "in-process",
    )
    services = StoreServices.build(
        default_shop=settings.shop.default_shop,
        locale=settings.shop.locale,
        currency=settings.shop.currency,
        timezone=settings.shop.timezone,
        clock=clock,
    )
    services.logins.link_base = f"{settings.server.public_url.rstrip('/')}/dashboard/login/"
    services.accounts.export_base = f"{settings.server.public_url.rstrip('/')}/mydata/"
    referral = ReferralServices.build(
        services.bus, clock=clock, public_url=settings.server.public_url
    )
    referral.subscribe()
    services.accounts.add_merge_participant(merge_referral)  # /link: agents, bindings
    wire_segments(services)  # the community's `agents` segment comes from referral
    engine = Engine(
        services,
        state,
        ROUTERS,
        FLOWS,
        default_locale=settings.shop.locale,
        start_hooks=START_HOOKS,
        contact_hooks=CONTACT_HOOKS,
        referral=referral,
        free_text=FREE_TEXT,
    )
    outbox = Outbox()
    Notifier(services, outbox).subscribe()
    ReferralNotifier(services, outbox).subscribe(services.bus)
    GroupBuyNotifier(services, outbox).subscribe()
    group_cards = GroupCards(services, outbox)
    group_cards.subscribe()
    runtime = Runtime(
        settings=settings,
        services=services,
        engine=engine,
        state=state,
        dedup=dedup,
        kv=kv,
        outbox=outbox,
        redis=redis,
        referral=referral,
        group_cards=group_cards,
    )
    if redis is not None:  # several processes: each hears the others' changes
        copies = {
            SHOPS: services.shops.cache,
            PEOPLE: services.people.copies,
            LISTINGS: services.catalog.listings,
            PROGRAMS: referral.program.copies,
        }
        sync = CacheSync(redis, copies)
        runtime._tasks.append(asyncio.create_task(sync.listen()))
    return runtime
