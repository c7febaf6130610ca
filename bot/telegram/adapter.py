"""The Telegram adapter: updates in, engine in the middle, replies out."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, SendMessage

from bot.telegram import texts
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.convert import (
    PLATFORM,
    anonymous_command,
    callback_to_incoming,
    message_to_incoming,
)
from bot.telegram.delivery import Delivery, Origin
from bot.telegram.inbound import ButtonPress, ChatMessage
from bot.telegram.locales import Locales
from handlers.engine import Engine
from handlers.i18n import render
from handlers.types import Incoming, Outgoing, Reply
from store.keyed_locks import KeyedLocks

log = logging.getLogger(__name__)


class TelegramAdapter:
    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        codec: CallbackCodec,
        delivery: Delivery,
        locales: Locales,
        username: str | None = None,
    ) -> None:
        self.bot = bot
        self._username = (username or "").lstrip("@")
        self.engine = engine
        self.codec = codec
        self.delivery = delivery
        self.locales = locales
        # One update at a time per person, in this process: Telegram may deliver a person's
        # updates at once (webhook connections, polling tasks), and their conversation state
        # (a checkout step by step) is read and written per update, so two handled at once
        # could lose a step. Other people's updates still run in parallel.
        self._serial: KeyedLocks[str] = KeyedLocks()

    async def username(self) -> str:
        """telegram.bot_username when configured, else what getMe says (asked once)."""
        if self._username:
            return self._username
        me = await self.bot.me()
        return me.username or ""

    async def on_message(self, message: ChatMessage) -> SendMessage | None:
        """The last reply comes back unsent when it can travel in the webhook's answer (or
        aiogram's polling sends it): see Delivery.deliver."""
        username = await self.username()
        incoming = message_to_incoming(message, username)
        if incoming is None:
            if anonymous_command(message, username):
                return await self._cannot_tell_who(message)
            return None  # group chatter, another bot's command, a sticker
        assert message.sender is not None
        return await self._answer(
            incoming,
            Origin(
                chat_id=message.chat_id,
                user_id=message.sender.id,
                is_group=message.is_group,
                language_code=message.sender.language_code,
                thread_id=message.topic,
            ),
            hand_back=True,
        )

    async def _cannot_tell_who(self, message: ChatMessage) -> SendMessage | None:
        """An anonymous admin's command (a /bindgroup, most likely): say why nothing happens,
        in the group's language, instead of staying silent."""
        locale = await self.locales.for_group(message.chat_id)
        reply = Reply(text=render(locale, "chat/anonymous_admin.j2"))
        return await self.delivery.deliver(
            [reply],
            Origin(
                chat_id=message.chat_id,
                user_id=None,
                is_group=True,
                thread_id=message.topic,
            ),
            hand_back=True,
        )

    async def on_group_moved(self, message: ChatMessage) -> None:
        """Telegram upgrades a group to a supergroup (made public, grown large, some settings
        changed) under a new chat id, and says so in both chats: the old one gets
        `migrate_to_chat_id`, the new one `migrate_from_chat_id`. The group's shop follows it,
        or its members would be answered by another shop and the merchant's posts would go
        to a chat that no longer takes messages."""
        if message.migrate_to_chat_id is not None:
            old, new = message.chat_id, message.migrate_to_chat_id
        else:
            assert message.migrate_from_chat_id is not None
            old, new = message.migrate_from_chat_id, message.chat_id
        shops = self.delivery.services.shops
        if await shops.move_group(PLATFORM, str(old), str(new)):
            log.info("telegram group %s is now supergroup %s; its shop moved with it", old, new)

    async def on_callback(self, press: ButtonPress) -> AnswerCallbackQuery:
        """The answer that stops the button's spinner comes back unsent, after the work, for
        the webhook's answer to carry (as aiogram's CallbackAnswerMiddleware does by default)."""
        user = press.sender
        payload = await self.codec.decode(press.data)
        if payload is None:
            locale = await self.locales.for_user(user.id, user.language_code)
            return AnswerCallbackQuery(
                callback_query_id=press.id,
                text=texts.t(locale, texts.BUTTON_EXPIRED),
                show_alert=True,
            )
        incoming = callback_to_incoming(press, payload, await self.username())
        message = press.message
        await self._answer(
            incoming,
            Origin(
                chat_id=message.chat_id if message is not None else user.id,
                user_id=user.id,
                is_group=incoming.is_group,
                language_code=user.language_code,
                message_id=message.message_id if message is not None else None,
                message_is_text=(
                    message is not None and message.accessible and message.text is not None
                ),
                thread_id=message.topic if message is not None and message.accessible else None,
            ),
        )
        return AnswerCallbackQuery(callback_query_id=press.id)

    async def _answer(
        self, incoming: Incoming, origin: Origin, *, hand_back: bool = False
    ) -> SendMessage | None:
        async with self._serial.hold((incoming.user_id,)):
            replies = await self.engine.handle(incoming)
            return await self.delivery.deliver(replies, origin, hand_back=hand_back)

    async def send_outgoing(self, outgoing: Outgoing) -> None:
        """Notifications and broadcasts from the core (runtime.register_sender)."""
        chat_id = int(outgoing.chat_id)
        await self.delivery.deliver(
            [outgoing.reply],
            Origin(
                chat_id=chat_id,
                user_id=chat_id if chat_id > 0 else None,
                is_group=chat_id < 0,
            ),
        )
