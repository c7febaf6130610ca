"""Broadcasts to Telegram: aiogram's Bot, errors mapped to the delivery engine's outcomes.

Its own Bot session carries no retrying middleware: a 429 goes back to the engine, which
pauses the whole bot's pacer for ``retry_after`` instead of one request sleeping alone.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.utils.token import TokenValidationError

from bot.config import ConfigError, TelegramConfig
from bot.telegram.callbacks import CallbackCodec
from bot.telegram.client import api_server
from bot.telegram.render import MAX_CAPTION, escape, keyboard
from handlers.types import Button
from store.community.port import BLOCKED, SENT, BroadcastMessage, SendResult, failed, retry_after


def build_broadcast_bot(config: TelegramConfig) -> Bot:
    if config.token is None:
        raise ConfigError("telegram.token: required to broadcast on Telegram")
    try:
        return Bot(
            token=config.token.get_secret_value(),
            session=AiohttpSession(api=api_server(config)),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
        )
    except TokenValidationError:
        raise ConfigError("telegram.token: not a bot token (like 123456:ABC-...)") from None


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
