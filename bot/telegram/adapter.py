"""The Telegram adapter: updates in, engine in the middle, replies out."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from bot.telegram import texts
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.convert import (
    PLATFORM,
    anonymous_command,
    callback_to_incoming,
    is_group,
    message_to_incoming,
    topic_of,
)
from bot.telegram.delivery import Delivery, Origin
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

    async def on_message(self, message: Message) -> SendMessage | None:
        """The last reply comes back unsent when it can travel in the webhook's answer (or
        aiogram's polling sends it): see Delivery.deliver."""
        username = await self.username()
        incoming = message_to_incoming(message, username)
        if incoming is None:
            if anonymous_command(message, username):
                return await self._cannot_tell_who(message)
            return None  # group chatter, another bot's command, a sticker
        assert message.from_user is not None
        return await self._answer(
            incoming,
            Origin(
                chat_id=message.chat.id,
                user_id=message.from_user.id,
                is_group=is_group(message.chat),
                language_code=message.from_user.language_code,
                thread_id=topic_of(message),
            ),
            hand_back=True,
        )

    async def _cannot_tell_who(self, message: Message) -> SendMessage | None:
        """An anonymous admin's command (a /bindgroup, most likely): say why nothing happens,
        in the group's language, instead of staying silent."""
        locale = await self.locales.for_group(message.chat.id)
        reply = Reply(text=render(locale, "chat/anonymous_admin.j2"))
        return await self.delivery.deliver(
            [reply],
            Origin(
                chat_id=message.chat.id,
                user_id=None,
                is_group=True,
                thread_id=topic_of(message),
            ),
            hand_back=True,
        )

    async def on_group_moved(self, message: Message) -> None:
        """Telegram upgrades a group to a supergroup (made public, grown large, some settings
        changed) under a new chat id, and says so in both chats: the old one gets
        `migrate_to_chat_id`, the new one `migrate_from_chat_id`. The group's shop follows it,
        or its members would be answered by another shop and the merchant's posts would go
        to a chat that no longer takes messages."""
        if message.migrate_to_chat_id is not None:
            old, new = message.chat.id, message.migrate_to_chat_id
        else:
            assert message.migrate_from_chat_id is not None
            old, new = message.migrate_from_chat_id, message.chat.id
        shops = self.delivery.services.shops
        if await shops.move_group(PLATFORM, str(old), str(new)):
            log.info("telegram group %s is now supergroup %s; its shop moved with it", old, new)

    async def on_callback(self, query: CallbackQuery) -> AnswerCallbackQuery:
        """The answer that stops the button's spinner comes back unsent, after the work, for
        the webhook's answer to carry (as aiogram's CallbackAnswerMiddleware does by default)."""
        user = query.from_user
        payload = await self.codec.decode(query.data or "")
        if payload is None:
            locale = await self.locales.for_user(user.id, user.language_code)
            return query.answer(text=texts.t(locale, texts.BUTTON_EXPIRED), show_alert=True)
        incoming = callback_to_incoming(query, payload, await self.username())
        message = query.message
        chat_id = message.chat.id if message is not None else user.id
        await self._answer(
            incoming,
            Origin(
                chat_id=chat_id,
                user_id=user.id,
                is_group=incoming.is_group,
                language_code=user.language_code,
                message_id=message.message_id if message is not None else None,
                message_is_text=isinstance(message, Message) and message.text is not None,
                thread_id=topic_of(message) if isinstance(message, Message) else None,
            ),
        )
        return query.answer()

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
