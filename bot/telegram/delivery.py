"""Replies -> Telegram: messages, photos, in-place edits, private routing from groups."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.link import create_telegram_link

from bot.telegram import texts
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.convert import PLATFORM
from bot.telegram.links import start_link
from bot.telegram.locales import Locales
from bot.telegram.refusals import send_photo
from bot.telegram.render import MAX_CAPTION, chunks, escape, keyboard, url_keyboard
from handlers.types import Reply
from store.services import StoreServices

log = logging.getLogger(__name__)

# (chat id, order number, locale) -> sends the invoice; set when Telegram payments are on.
InvoiceSender = Callable[[int, str, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the replies to one update go."""

    chat_id: int
    user_id: int | None  # the person who wrote or pressed; None for a group notification
    is_group: bool
    language_code: str | None = None  # the Telegram app's language, a fallback
    message_id: int | None = None  # the message whose button was pressed
    message_is_text: bool = False  # that message can be edited with editMessageText
    # The forum topic the update came from: answers in the group go back into it (without it
    # Telegram puts them in the group's General topic, away from the person who asked).
    thread_id: int | None = None

    def thread_for(self, chat_id: int) -> int | None:
        return self.thread_id if chat_id == self.chat_id else None


class Delivery:
    def __init__(
        self,
        bot: Bot,
        codec: CallbackCodec,
        services: StoreServices,
        locales: Locales,
        invoice: InvoiceSender | None = None,
    ) -> None:
        self.bot = bot
        self.codec = codec
        self.services = services
        self.locales = locales
        self.invoice = invoice

    async def deliver(
        self, replies: list[Reply], origin: Origin, *, hand_back: bool = False
    ) -> SendMessage | None:
        """Send every reply; a failing one is logged and never stops the update's handling.

        With `hand_back`, a last reply that is one plain message to the chat it answers is
        returned instead of sent, for the webhook's answer to carry: the commonest reply
        costs no Bot API call. Telegram does not report how that send went, so anything
        whose outcome matters (a photo, an invoice, a reply routed to a private chat, an
        edit that may fall back to a new message) is still sent here."""
        can_edit = origin.message_id is not None and origin.message_is_text
        prompted = False
        for i, reply in enumerate(replies):
            try:
                if origin.is_group and (reply.private or reply.pay_order_no):
                    if origin.user_id is None:
                        log.warning(
                            "a personal reply for group %s, no person: dropped", origin.chat_id
                        )
                        continue
                    if not await self._to_private(reply, origin) and not prompted:
                        await self._prompt_private(origin)
                        prompted = True
                    continue
                edit_id = origin.message_id if (reply.edit and can_edit) else None
                can_edit = False  # one message is edited, at most once
                if hand_back and edit_id is None and i == len(replies) - 1:
                    message = await self._plain_message(reply, origin.chat_id, origin.thread_id)
                    if message is not None:
                        return message
                await self.send(reply, origin, origin.chat_id, edit_message_id=edit_id)
            except TelegramForbiddenError:
                log.info("telegram chat %s is closed to the bot", origin.chat_id)
                return
            except TelegramAPIError:
                log.exception("telegram refused a reply in chat %s", origin.chat_id)
        return None

    async def send(
        self, reply: Reply, origin: Origin, chat_id: int, *, edit_message_id: int | None = None
    ) -> None:
        markup = await keyboard(reply.buttons, self.codec)
        thread = origin.thread_for(chat_id)
        if reply.image:
            await self._send_photo(reply, chat_id, markup, thread)
        elif not (edit_message_id and await self._edit(reply, chat_id, edit_message_id, markup)):
            await self._send_text(reply.text, chat_id, markup, thread)
        if reply.pay_order_no and self.invoice is not None:
            locale = await self.locales.for_user(origin.user_id, origin.language_code)
            await self.invoice(chat_id, reply.pay_order_no, locale)

    async def _send_text(
        self,
        text: str,
        chat_id: int,
        markup: InlineKeyboardMarkup | None,
        thread: int | None = None,
    ) -> None:
        if not text.strip():
            if markup is not None:
                log.warning("a reply with buttons but no text for chat %s: dropped", chat_id)
            return
        pieces = chunks(text)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            await self.bot(_message(chat_id, piece, markup if last else None, thread))

    async def _plain_message(
        self, reply: Reply, chat_id: int, thread: int | None = None
    ) -> SendMessage | None:
        """The reply as one sendMessage, when that is all it is (an order to pay is more
        where an invoice follows it)."""
        if reply.image or (reply.pay_order_no and self.invoice) or not reply.text.strip():
            return None
        if len(chunks(reply.text)) != 1:
            return None
        return _message(chat_id, reply.text, await keyboard(reply.buttons, self.codec), thread)

    async def _send_photo(
        self,
        reply: Reply,
        chat_id: int,
        markup: InlineKeyboardMarkup | None,
        thread: int | None = None,
    ) -> None:
        """The picture with the text as its caption (or followed by the text when that is too
        long for one). Telegram fetches the picture itself and refuses the whole message when
        it can't (a dead link, not an image): then the text and its buttons go alone, so a
        product with a broken picture can still be seen and bought."""
        assert reply.image is not None
        text = reply.text.strip()
        fits = len(text) <= MAX_CAPTION
        shown = await send_photo(
            self.bot,
            chat_id,
            reply.image,
            caption=escape(text) if text and fits else None,
            markup=markup if fits else None,
            thread=thread,
        )
        if not (shown and fits):
            await self._send_text(text, chat_id, markup, thread)

    async def _edit(
        self, reply: Reply, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
    ) -> bool:
        """Replace the pressed message's text; False when it can't be (send a new one)."""
        pieces = chunks(reply.text)
        if len(pieces) != 1 or not reply.text.strip():
            return False
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=message_id,
                text=escape(reply.text),
                reply_markup=markup,
            )
        except TelegramBadRequest as e:
            if "message is not modified" in e.message:
                return True  # the same page pressed twice
            log.info("could not edit message %s in chat %s: %s", message_id, chat_id, e.message)
            return False
        return True

    # -- groups: personal replies go to the private chat -------------------------------

    async def _to_private(self, reply: Reply, origin: Origin) -> bool:
        assert origin.user_id is not None
        if not await self.services.people.private_chat_ok(PLATFORM, str(origin.user_id)):
            return False
        try:
            await self.send(reply, origin, origin.user_id)
        except TelegramForbiddenError:
            return False  # blocked meanwhile; the request middleware marked them
        return True

    async def _prompt_private(self, origin: Origin) -> None:
        link = await self._private_chat_link(origin.chat_id)
        locale = await self.locales.for_user(origin.user_id, origin.language_code)
        await self.bot.send_message(
            chat_id=origin.chat_id,
            message_thread_id=origin.thread_id,
            text=escape(texts.t(locale, texts.OPEN_PRIVATE)),
            reply_markup=url_keyboard(texts.t(locale, texts.OPEN_PRIVATE_BUTTON), link),
        )

    async def _private_chat_link(self, group_chat_id: int) -> str:
        """A deep link into the private chat that lands in the group's shop."""
        shop = await self.services.shops.shop_for_group(PLATFORM, str(group_chat_id))
        if shop is not None:
            try:
                return await start_link(self.bot, "shop", shop.slug)
            except ValueError:
                pass  # a slug a deep link can't carry; the plain link still opens the chat
        me = await self.bot.me()
        return create_telegram_link(me.username or "")


def _message(
    chat_id: int, text: str, markup: InlineKeyboardMarkup | None, thread: int | None = None
) -> SendMessage:
    return SendMessage(
        chat_id=chat_id, text=escape(text), reply_markup=markup, message_thread_id=thread
    )
