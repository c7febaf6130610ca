"""Wiring broadcasts into a runtime: senders per platform, pacers, engine, lock, queue."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from bot.broadcast.lock import MemoryLock, RedisLock, SenderLock
from bot.broadcast.outbox import OutboxSender
from bot.broadcast.queue import BroadcastQueue
from bot.broadcast.telegram import TelegramBroadcastSender, build_broadcast_bot
from bot.broadcast.wechat import WeChatBroadcastSender, follower_wide
from bot.broadcast.worker import BroadcastWorker
from bot.config import Settings
from bot.runtime import Runtime
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.refusals import GroupMoves
from store.community.delivery import DeliveryEngine, EngineSettings
from store.community.pacing import Limits, Pacer
from store.community.port import BroadcastSender, MassSender

log = logging.getLogger(__name__)
OUTBOX_PLATFORMS = ("sim",)


def lock_key(settings: Settings) -> str:
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    digest = hashlib.sha256(token.encode()).hexdigest()[:16] if token else "default"
    return f"microstore:broadcast:sender:{digest}"


def limits(settings: Settings, platform: str = "telegram") -> Limits:
    cfg = settings.broadcast
    rate = settings.wechat.broadcast_rate_per_second if platform == "wechat" else None
    return Limits(
        rate_per_second=rate or cfg.rate_per_second,
        burst=cfg.burst,
        chat_interval_seconds=cfg.chat_interval_seconds,
        group_per_minute=cfg.group_per_minute,
    )


@dataclass
class Senders:
    each: dict[str, BroadcastSender] = field(default_factory=dict)  # platform -> sender
    mass: dict[str, MassSender] = field(default_factory=dict)  # follower-wide, where offered


def default_senders(runtime: Runtime) -> Senders:
    senders = Senders()
    if runtime.settings.telegram.token is not None:
        bot = build_broadcast_bot(runtime.settings.telegram)
        senders.each["telegram"] = TelegramBroadcastSender(
            bot, CallbackCodec(runtime.kv), moves=GroupMoves(runtime.services.shops)
        )
        runtime.on_close(bot.session.close)
    if runtime.settings.wechat.accounts:
        wechat = WeChatBroadcastSender.build(runtime)
        senders.each["wechat"] = senders.mass["wechat"] = wechat
    for platform in OUTBOX_PLATFORMS:
        if runtime.outbox.can_send(platform):
            senders.each[platform] = OutboxSender(runtime.outbox, platform)
    return senders


async def attach_wechat(runtime: Runtime) -> None:
    """A worker has no web app: mount the WeChat adapter on a throwaway one, so that
    notifications raised in the worker reach WeChat followers too (broadcasts have their
    own WeChat sender)."""
    if runtime.settings.wechat.accounts and not runtime.outbox.can_send("wechat"):
        from aiohttp import web

        from bot.wechat import mount

        await mount(web.Application(), runtime)


@dataclass
class Broadcasting:
    queue: BroadcastQueue
    worker: BroadcastWorker | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        await self.queue.close()


async def start_broadcasting(
    runtime: Runtime,
    *,
    send: bool,
    senders: Senders | None = None,
) -> Broadcasting:
    """Make ready broadcasts reach a sender. `send`: this process also sends (the embedded
    default, and `microstore worker`); otherwise it only queues wake-ups for the workers."""
    settings = runtime.settings
    queue = BroadcastQueue(settings.redis.url)
    runtime.services.community.broadcasts.kick = queue.kick
    runtime.services.community.broadcasts.follower_wide = follower_wide(settings)
    runtime.services.community.broadcasts.rate_per_second = settings.broadcast.rate_per_second
    b = Broadcasting(queue)
    if send:
        senders = default_senders(runtime) if senders is None else senders
        engine = DeliveryEngine(
            senders.each,
            {platform: Pacer(limits(settings, platform)) for platform in senders.each},
            runtime.services.community.subscriptions,
            runtime.services.community.audience,
            EngineSettings(
                concurrency=settings.broadcast.concurrency,
                lease_seconds=settings.broadcast.lease_seconds,
            ),
            clock=runtime.services.clock,
            mass_senders=senders.mass,
        )
        lock: SenderLock = (
            RedisLock(runtime.redis, lock_key(settings), settings.broadcast.lock_ttl_seconds)
            if runtime.redis is not None
            else MemoryLock()
        )
        b.worker = BroadcastWorker(
            runtime.services.community.broadcasts, engine, lock, settings.broadcast.poll_seconds
        )
        queue.serve(b.worker)
        b.tasks.append(asyncio.create_task(b.worker.run(b.stop)))
        if queue.distributed:
            b.tasks.append(asyncio.create_task(queue.listen(b.stop)))
        log.info(
            "broadcasts: sending from this process via %s (%s/s per bot)",
            ", ".join(sorted(senders.each)) or "no platform",
            settings.broadcast.rate_per_second,
        )
    else:
        log.info("broadcasts: queued on Redis for `microstore worker` processes")
    await queue.startup()
    runtime.on_close(b.close)
    return b
