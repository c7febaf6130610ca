"""Broadcasts to Telegram: aiogram's Bot, errors mapped to the delivery engine's outcomes.

Its own Bot session carries no retrying middleware: a 429 goes back to the engine, which
pauses the whole bot's pacer for ``retry_after`` instead of one request sleeping alone.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)

from bot.config import TelegramConfig
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.client import build_bot
from bot.telegram.render import MAX_CAPTION, escape, keyboard
from handlers.types import Button
from store.community.port import BLOCKED, SENT, BroadcastMessage, SendResult, failed, retry_after


def build_broadcast_bot(config: TelegramConfig) -> Bot:
    return build_bot(config, retrying=False, purpose="broadcast on Telegram")


class TelegramBroadcastSender:
    def __init__(self, bot: Bot, codec: CallbackCodec) -> None:
        self.bot = bot
        self.codec = codec

    async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult:
        rows = tuple(
            tuple(Button(label, payload) for label, payload in row) for row in message.buttons
        )
        markup = await keyboard(rows, self.codec)
        try:
            if message.image_url and len(message.text) <= MAX_CAPTION:
                await self.bot.send_photo(
                    chat_id=int(chat_id),
                    photo=message.image_url,
                    caption=escape(message.text),
                    reply_markup=markup,
                )
            else:
                await self.bot.send_message(
                    chat_id=int(chat_id), text=escape(message.text), reply_markup=markup
                )
        except TelegramRetryAfter as e:
            return retry_after(e.retry_after)
        except TelegramForbiddenError:
            return BLOCKED
        except TelegramNetworkError as e:  # may or may not have arrived: not sent again
            return failed(f"network: {e.message}")
        except TelegramAPIError as e:
            return failed(e.message)
        return SENT

    async def close(self) -> None:
        await self.bot.session.close()
