"""Live group-buy cards on Telegram: posted once per chat, then edited in place."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest

from bot.telegram.callbacks import CallbackCodec
from bot.telegram.render import MAX_TEXT, escape, keyboard
from handlers.groupbuy_cards import CardPlace
from handlers.types import Reply

log = logging.getLogger(__name__)


class TelegramCardPublisher:
    def __init__(self, bot: Bot, codec: CallbackCodec) -> None:
        self.bot = bot
        self.codec = codec

    async def post(self, place: CardPlace, card: Reply) -> str:
        sent = await self.bot.send_message(
            chat_id=int(place.chat_id),
            text=escape(card.text)[:MAX_TEXT],
            parse_mode=ParseMode.HTML,
            reply_markup=await keyboard(card.buttons, self.codec),
        )
        return str(sent.message_id)

    async def edit(self, place: CardPlace, message_ref: str, card: Reply) -> None:
        try:
            await self.bot.edit_message_text(
                chat_id=int(place.chat_id),
                message_id=int(message_ref),
                text=escape(card.text)[:MAX_TEXT],
                parse_mode=ParseMode.HTML,
                reply_markup=await keyboard(card.buttons, self.codec),
            )
        except TelegramBadRequest as e:
            # The card did not change (two events, one text), or someone deleted it.
            if "not modified" not in e.message:
                log.warning(
                    "telegram: group card %s in %s not edited: %s",
                    message_ref,
                    place.chat_id,
                    e.message,
                )
