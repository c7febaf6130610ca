"""Every update once: unknown update types are ignored, repeats are dropped by update_id."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import ErrorEvent, TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from bot.runtime import Deduplicator

log = logging.getLogger(__name__)

# Telegram re-delivers an unanswered update for up to a day; remember ids a bit longer.
UPDATE_TTL_SECONDS = 48 * 3600

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def update_key(bot: Bot, update_id: int) -> str:
    return f"telegram:update:{bot.id}:{update_id}"


class UpdateGate(BaseMiddleware):
    """Outer middleware on the dispatcher's update observer."""

    def __init__(self, dedup: Deduplicator, ttl_seconds: int = UPDATE_TTL_SECONDS) -> None:
        self.dedup = dedup
        self.ttl = ttl_seconds

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if _event_type(event) is None:
            log.info("telegram update %s of a type we don't know: ignored", event.update_id)
            return UNHANDLED
        if not await self.dedup.first_time(update_key(data["bot"], event.update_id), self.ttl):
            log.info("telegram update %s seen before: ignored", event.update_id)
            return UNHANDLED
        return await handler(event, data)


def _event_type(update: Update) -> str | None:
    try:
        return update.event_type
    except UpdateTypeLookupError:
        return None


async def log_error(event: ErrorEvent) -> bool:
    """Nothing crashes the webhook: a failing update is logged and counted as handled."""
    log.error("telegram update %s failed", event.update.update_id, exc_info=event.exception)
    return True
