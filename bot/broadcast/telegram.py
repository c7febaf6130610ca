"""Broadcasts to Telegram: aiogram's Bot, errors mapped to the delivery engine's outcomes.

Its own Bot session carries no retrying middleware: a 429 goes back to the engine, which
pauses the whole bot's pacer for ``retry_after`` instead of one request sleeping alone.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup

from bot.config import TelegramConfig
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.client import build_bot
from bot.telegram.refusals import GroupMoves, send_photo
from bot.telegram.render import MAX_CAPTION, escape, keyboard
from handlers.types import Button
from store.community.port import BLOCKED, SENT, BroadcastMessage, SendResult, failed, retry_after

Monotonic = Callable[[], float]
REFUSED_PICTURE_SECONDS = 600.0  # a refused picture is tried again after this
KEPT_REFUSED = 256


def build_broadcast_bot(config: TelegramConfig) -> Bot:
    return build_bot(config, retrying=False, purpose="broadcast on Telegram")


class TelegramBroadcastSender:
    def __init__(
        self,
        bot: Bot,
        codec: CallbackCodec,
        *,
        moves: GroupMoves | None = None,
        clock: Monotonic = time.monotonic,
    ) -> None:
        self.bot = bot
        self.codec = codec
        self.moves = moves  # a post to a group Telegram moved follows it (and its shop)
        self._clock = clock
        # Pictures Telegram refused lately (URL -> when to try again): every recipient of a
        # broadcast gets the same one, and asking again for each would double the requests
        # the pacer counts as one send.
        self._refused: OrderedDict[str, float] = OrderedDict()

    async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult:
        rows = tuple(
            tuple(Button(label, payload) for label, payload in row) for row in message.buttons
        )
        markup = await keyboard(rows, self.codec)
        try:
            chat = int(chat_id)
            if self.moves is not None:
                await self.moves.send(chat, lambda moved: self._send(moved, message, markup))
            else:
                await self._send(chat, message, markup)
        except TelegramRetryAfter as e:
            return retry_after(e.retry_after)
        except TelegramForbiddenError:
            return BLOCKED
        except TelegramNetworkError as e:  # may or may not have arrived: not sent again
            return failed(f"network: {e.message}")
        except TelegramAPIError as e:
            return failed(e.message)
        return SENT

    async def _send(
        self, chat_id: int, message: BroadcastMessage, markup: InlineKeyboardMarkup | None
    ) -> None:
        """The picture with the text as its caption, or the text alone: when the text is too
        long for a caption, or Telegram can't fetch the picture (refusing the whole sendPhoto,
        so nothing arrived and the text may go without it: one message either way)."""
        url = message.image_url
        if url and len(message.text) <= MAX_CAPTION and not self._was_refused(url):
            caption = escape(message.text)
            if await send_photo(self.bot, chat_id, url, caption=caption, markup=markup):
                return
            await self.bot.send_message(chat_id=chat_id, text=caption, reply_markup=markup)
            self._refuse(url)  # the text went: the picture, not the chat, was refused
            return
        await self.bot.send_message(chat_id=chat_id, text=escape(message.text), reply_markup=markup)

    def _was_refused(self, url: str) -> bool:
        until = self._refused.get(url)
        if until is None:
            return False
        if until > self._clock():
            return True
        del self._refused[url]  # time to see whether the link works again
        return False

    def _refuse(self, url: str) -> None:
        self._refused[url] = self._clock() + REFUSED_PICTURE_SECONDS
        self._refused.move_to_end(url)
        if len(self._refused) > KEPT_REFUSED:
            self._refused.popitem(last=False)

    async def close(self) -> None:
        await self.bot.session.close()
