"""Every update once: unknown update types are ignored, repeats are dropped by update_id.
When Redis can't say whether an update is a repeat, a message or a button press is refused
with a clear reply (nothing was done, try again), as the engine refuses when Redis or the
database is down; a payment's update goes on, since nobody can send it again and it needs no
de-dup: its confirmation is idempotent by charge id, and a pre-checkout is a check."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import ErrorEvent, TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from bot.runtime import Deduplicator
from bot.telegram.convert import is_group, topic_of
from bot.telegram.locales import app_locale
from bot.telegram.redelivery import Handler, Redeliver
from bot.telegram.render import escape
from handlers.errors import MESSAGES
from handlers.i18n import translate
from store.errors import Unavailable

log = logging.getLogger(__name__)

# Telegram re-delivers an unanswered update for up to a day; remember ids a bit longer.
UPDATE_TTL_SECONDS = 48 * 3600


def update_key(bot: Bot, update_id: int) -> str:
    return f"telegram:update:{bot.id}:{update_id}"


class UpdateGate(BaseMiddleware):
    """Outer middleware on the dispatcher's update observer."""

    def __init__(
        self,
        dedup: Deduplicator,
        default_locale: str = "zh_CN",
        ttl_seconds: int = UPDATE_TTL_SECONDS,
    ) -> None:
        self.dedup = dedup
        self.default_locale = default_locale
        self.ttl = ttl_seconds

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if _event_type(event) is None:
            log.info("telegram update %s of a type we don't know: ignored", event.update_id)
            return UNHANDLED
        paid = event.message is not None and event.message.successful_payment is not None
        try:
            first = await self.dedup.first_time(update_key(data["bot"], event.update_id), self.ttl)
        except Unavailable:
            if paid or event.pre_checkout_query is not None:
                log.warning("telegram update %s: no de-dup, a payment goes on", event.update_id)
                return await handler(event, data)
            log.warning("telegram update %s refused: Redis cannot be reached", event.update_id)
            return refusal(event, self.default_locale) or UNHANDLED
        # A payment goes on even when seen: "seen" may be a delivery whose check reached Redis
        # but whose answer was lost.
        if not first and not paid:
            log.info("telegram update %s seen before: ignored", event.update_id)
            return UNHANDLED
        return await handler(event, data)


def refusal(update: Update, default_locale: str) -> TelegramMethod[Any] | None:
    """The answer that tells the person nothing was done: to a private message, a command in
    a group (other group chatter gets none, as always) and a button press."""
    if (query := update.callback_query) is not None:
        text = _unavailable(query.from_user.language_code, default_locale)
        return query.answer(text=text, show_alert=True)
    message = update.message
    if message is None or message.from_user is None or message.text is None:
        return None
    if is_group(message.chat) and not message.text.startswith("/"):
        return None
    text = _unavailable(message.from_user.language_code, default_locale)
    return SendMessage(
        chat_id=message.chat.id, text=escape(text), message_thread_id=topic_of(message)
    )


def _unavailable(language_code: str | None, default_locale: str) -> str:
    return translate(app_locale(language_code, default_locale), MESSAGES["unavailable"])


def _event_type(update: Update) -> str | None:
    try:
        return update.event_type
    except UpdateTypeLookupError:
        return None


async def log_error(event: ErrorEvent) -> Any:
    """Nothing crashes the webhook: a failing update is logged and counted as handled (but
    one to deliver again goes on to the webhook handler; in polling mode RetryInProcess,
    inside this, has taken it already)."""
    if isinstance(event.exception, Redeliver):
        return UNHANDLED
    log.error("telegram update %s failed", event.update.update_id, exc_info=event.exception)
    return True
