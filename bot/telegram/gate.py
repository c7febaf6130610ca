"""Every update once: repeats are dropped by update_id. When Redis can't say whether an
update is a repeat, a message or a button press is refused with a clear reply (nothing was
done, try again), as the engine refuses when Redis or the database is down; a payment's
update goes on, since nobody can send it again and it needs no de-dup: its confirmation is
idempotent by charge id, and a pre-checkout is a check."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod

from bot.runtime import Deduplicator
from bot.telegram.inbound import ButtonPress, ChatMessage
from bot.telegram.locales import app_locale
from bot.telegram.render import escape
from handlers.errors import MESSAGES
from handlers.i18n import translate
from store.errors import Unavailable

log = logging.getLogger(__name__)

# Telegram re-delivers an unanswered update for up to a day; remember ids a bit longer.
UPDATE_TTL_SECONDS = 48 * 3600


def update_key(bot: Bot, update_id: int) -> str:
    return f"telegram:update:{bot.id}:{update_id}"


class Refused(Exception):
    """Redis can't say whether the update is new: nothing was done."""


class UpdateGate:
    def __init__(
        self,
        bot: Bot,
        dedup: Deduplicator,
        default_locale: str = "zh_CN",
        ttl_seconds: int = UPDATE_TTL_SECONDS,
    ) -> None:
        self.bot = bot
        self.dedup = dedup
        self.default_locale = default_locale
        self.ttl = ttl_seconds

    async def first_time(self, update_id: int, *, payment: bool) -> bool:
        """Whether to handle the update. Raises `Refused` when Redis can't be asked."""
        try:
            first = await self.dedup.first_time(update_key(self.bot, update_id), self.ttl)
        except Unavailable:
            if payment:
                log.warning("telegram update %s: no de-dup, a payment goes on", update_id)
                return True
            log.warning("telegram update %s refused: Redis cannot be reached", update_id)
            raise Refused from None
        # A payment goes on even when seen: "seen" may be a delivery whose check reached Redis
        # but whose answer was lost.
        if not first and not payment:
            log.info("telegram update %s seen before: ignored", update_id)
            return False
        return True

    def refusal(
        self, message: ChatMessage | None, press: ButtonPress | None
    ) -> TelegramMethod[Any] | None:
        """The answer that tells the person nothing was done: to a private message, a command
        in a group (other group chatter gets none, as always) and a button press."""
        if press is not None:
            text = self._unavailable(press.sender.language_code)
            return AnswerCallbackQuery(callback_query_id=press.id, text=text, show_alert=True)
        if message is None or message.sender is None or message.text is None:
            return None
        if message.is_group and not message.text.startswith("/"):
            return None
        return SendMessage(
            chat_id=message.chat_id,
            text=escape(self._unavailable(message.sender.language_code)),
            message_thread_id=message.topic,
        )

    def _unavailable(self, language_code: str | None) -> str:
        return translate(app_locale(language_code, self.default_locale), MESSAGES["unavailable"])
