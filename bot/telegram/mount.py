"""Composition of the Telegram adapter and its place in the aiohttp app's lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiohttp import web

from bot.config import ConfigError, Settings
from bot.runtime import Runtime
from bot.telegram.adapter import TelegramAdapter
from bot.telegram.admins import GroupAdmins
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.cards import TelegramCardPublisher
from bot.telegram.client import build_bot
from bot.telegram.commands import publish_commands
from bot.telegram.convert import PLATFORM
from bot.telegram.delivery import Delivery
from bot.telegram.gate import UpdateGate
from bot.telegram.links import share_link
from bot.telegram.locales import Locales
from bot.telegram.payments import TelegramPayments
from bot.telegram.polling import Polling
from bot.telegram.redelivery import RetryInProcess
from bot.telegram.refunds import register_refund_gateways
from bot.telegram.refusals import GroupMoves
from bot.telegram.router import ALLOWED_UPDATES, UpdateRouter
from bot.telegram.webhook import WEBHOOK_PATH, WebhookHandler

log = logging.getLogger(__name__)

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a secret token
STARTUP_CLAIM_SECONDS = 300  # processes starting within this window set the webhook once


@dataclass
class TelegramParts:
    """The adapter's wired pieces, kept on the app under ``TELEGRAM``."""

    runtime: Runtime
    bot: Bot
    router: UpdateRouter
    adapter: TelegramAdapter
    payments: TelegramPayments
    mode: str
    polling: Polling | None  # polling mode: aiogram's loop feeding the router
    polling_task: asyncio.Task[Any] | None = field(default=None)


TELEGRAM = web.AppKey("telegram", TelegramParts)


def _check_settings(settings: Settings) -> str | None:
    """The webhook secret (webhook mode), after checking what the mode needs."""
    tg = settings.telegram
    if tg.mode != "webhook":
        if settings.server.workers > 1:
            raise ConfigError(
                "telegram.mode: polling runs in one process; with server.workers > 1 "
                "use webhook mode"
            )
        return None
    secret = tg.webhook_secret.get_secret_value() if tg.webhook_secret else ""
    if not secret:
        raise ConfigError("telegram.webhook_secret: required in webhook mode")
    if not _SECRET.fullmatch(secret):
        raise ConfigError("telegram.webhook_secret: 1-256 characters of A-Z, a-z, 0-9, _ and -")
    if not settings.server.public_url.startswith("https://"):
        raise ConfigError("server.public_url: Telegram webhooks need an https:// address")
    return secret


async def mount(app: web.Application, runtime: Runtime) -> None:
    settings = runtime.settings
    secret = _check_settings(settings)
    services = runtime.services

    async def unreachable(user_id: int) -> None:
        await services.people.mark_unreachable(PLATFORM, str(user_id))

    bot = build_bot(settings.telegram, on_forbidden=unreachable)
    locales = Locales(services, settings.shop.locale)
    payments = TelegramPayments(
        bot, services, settings.telegram, locales, runtime.outbox, runtime.dedup
    )
    codec = CallbackCodec(runtime.kv)
    invoice = payments.send_invoice if payments.enabled else None
    if payments.enabled:
        runtime.engine.pays_in_chat.add(PLATFORM)
    runtime.engine.group_admins[PLATFORM] = GroupAdmins(bot)  # who may bind a group
    delivery = Delivery(bot, codec, services, locales, invoice=invoice)
    adapter = TelegramAdapter(
        bot, runtime.engine, codec, delivery, locales, username=settings.telegram.bot_username
    )

    router = UpdateRouter(
        bot, adapter, payments, UpdateGate(bot, runtime.dedup, settings.shop.locale)
    )
    polling = Polling(router, RetryInProcess()) if settings.telegram.mode == "polling" else None

    runtime.register_sender(PLATFORM, adapter.send_outgoing)
    register_refund_gateways(services.refunds, bot)
    if runtime.group_cards is not None:  # group-buy cards edited in place
        runtime.group_cards.register(
            PLATFORM, TelegramCardPublisher(bot, codec, GroupMoves(services.shops))
        )
    if runtime.referral is not None:  # referral share links, made with aiogram's helpers
        runtime.referral.links[PLATFORM] = share_link

    parts = TelegramParts(runtime, bot, router, adapter, payments, settings.telegram.mode, polling)
    app[TELEGRAM] = parts
    if secret is not None:
        WebhookHandler(router, secret).register(app)
    app.on_startup.append(_on_startup)
    app.on_cleanup.append(_on_cleanup)
    log.info(
        "telegram: %s mode, Bot API at %s, payments %s",
        parts.mode,
        settings.telegram.api_server or "api.telegram.org",
        f"in {settings.telegram.currency}" if payments.enabled else "off",
    )


async def _on_startup(app: web.Application) -> None:
    parts = app[TELEGRAM]
    settings = parts.runtime.settings
    bot = parts.bot
    if parts.polling is not None:
        await _publish_commands(parts)
        parts.polling_task = asyncio.create_task(
            parts.polling.poll_forever(bot), name="telegram-polling"
        )
        return
    secret = settings.telegram.webhook_secret
    assert secret is not None
    url = settings.server.public_url.rstrip("/") + WEBHOOK_PATH
    allowed = ALLOWED_UPDATES
    # Several serving processes start together: one of them tells Telegram (Redis decides).
    fingerprint = hashlib.sha256(
        "|".join([url, secret.get_secret_value(), *allowed]).encode()
    ).hexdigest()[:16]
    if not await parts.runtime.dedup.first_time(
        f"telegram:startup:{bot.id}:{fingerprint}", STARTUP_CLAIM_SECONDS
    ):
        log.info("telegram: webhook and menu already set by another process")
        return
    await _publish_commands(parts)
    try:
        await bot.set_webhook(
            url=url, secret_token=secret.get_secret_value(), allowed_updates=allowed
        )
    except Exception:
        log.exception("telegram: setWebhook failed; updates will not arrive until it works")


async def _publish_commands(parts: TelegramParts) -> None:
    try:
        await publish_commands(parts.bot, parts.runtime.engine.registry)
    except Exception:
        log.exception("telegram: could not publish the command menu")


async def _on_cleanup(app: web.Application) -> None:
    parts = app[TELEGRAM]
    if parts.polling is not None:
        if parts.polling_task is not None:
            with contextlib.suppress(RuntimeError):  # not started yet
                await parts.polling.stop_polling()
            parts.polling_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await parts.polling_task
        await parts.polling.retry.give_up()
    await parts.runtime.outbox.drain()  # notifications already queued still go out
    await parts.bot.session.close()
