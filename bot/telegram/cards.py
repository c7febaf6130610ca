"""Live group-buy cards on Telegram: posted once per chat, then edited in place."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramMigrateToChat

from bot.telegram.callbacks import CallbackCodec
from bot.telegram.refusals import GroupMoves
from bot.telegram.render import MAX_TEXT, escape, keyboard
from handlers.groupbuy_cards import CardPlace
from handlers.types import Reply

log = logging.getLogger(__name__)


class TelegramCardPublisher:
    def __init__(self, bot: Bot, codec: CallbackCodec, moves: GroupMoves | None = None) -> None:
        self.bot = bot
        self.codec = codec
        self.moves = moves  # a card for a group Telegram moved follows it (and its shop)

    async def post(self, place: CardPlace, card: Reply) -> str:
        text = escape(card.text)[:MAX_TEXT]
        markup = await keyboard(card.buttons, self.codec)

        async def send(chat_id: int) -> int:
            sent = await self.bot.send_message(
                chat_id=chat_id, text=text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
            return sent.message_id

        chat_id = int(place.chat_id)
        if self.moves is not None:
            return str(await self.moves.send(chat_id, send))
        return str(await send(chat_id))

    async def edit(self, place: CardPlace, message_ref: str, card: Reply) -> None:
        try:
            await self.bot.edit_message_text(
                chat_id=int(place.chat_id),
                message_id=int(message_ref),
                text=escape(card.text)[:MAX_TEXT],
                parse_mode=ParseMode.HTML,
                reply_markup=await keyboard(card.buttons, self.codec),
            )
        except TelegramMigrateToChat as e:
            # The card stays in the old group's history, under an id the new chat doesn't
            # have: nothing to edit there. The group's shop still follows it.
            if self.moves is not None:
                await self.moves.follow(int(place.chat_id), e.migrate_to_chat_id)
            log.warning(
                "telegram: group card %s not edited: %s is now supergroup %s",
                message_ref,
                place.chat_id,
                e.migrate_to_chat_id,
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
