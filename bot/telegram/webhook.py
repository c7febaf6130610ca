"""Webhook mode: aiogram's aiohttp request handler on /telegram/webhook, hardened.

- the secret token is required and compared in constant time (401 otherwise, nothing read);
- a body that is not a JSON update answers 400;
- an update is processed before the answer (so a crash can't lose it silently), and
  whatever happens while processing, Telegram gets 200: a retry would not help; except a
  payment that could not be recorded for now (`Redeliver`): 503, and Telegram delivers it
  again;
- the update's last reply, when the adapter hands it back instead of sending it, goes in
  the answer itself (a Bot API method in the webhook's response body, which Telegram runs),
  unless Telegram stopped waiting meanwhile: then it is sent as a call.

The update runs in the request's own task (aiogram's `feed_webhook_update` would start one
more task with a 55 s timer for each): the answer waits for the work either way, and the
work is not cancelled when the connection goes (aiohttp no longer cancels handlers).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import orjson
from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.telegram.client import JsonSession
from bot.telegram.redelivery import Redeliver

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
JSON = "application/json"


class WebhookHandler(SimpleRequestHandler):
    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str, **data: Any) -> None:
        if not secret_token:
            raise ValueError("a webhook secret token is required")
        super().__init__(
            dispatcher, bot, handle_in_background=False, secret_token=secret_token, **data
        )
        self._secret = secret_token

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        return bool(telegram_secret_token) and secrets.compare_digest(
            telegram_secret_token.encode(), self._secret.encode()
        )

    async def close(self) -> None:
        """The bot's session is closed by the adapter's own shutdown hook."""

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), bot):
            log.warning("telegram webhook: wrong or missing secret token from %s", request.remote)
            return web.Response(status=401, text="Unauthorized")
        try:
            data = orjson.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.model_validate(data, context={"bot": bot})
        except (ValueError, ValidationError, UnicodeDecodeError):
            return web.Response(status=400, text="Bad Request: not a Telegram update")
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
            if isinstance(result, TelegramMethod):
                if request.transport is not None and (answer := _as_answer(bot, result)):
                    return web.Response(body=orjson.dumps(answer), content_type=JSON)
                await self.dispatcher.silent_call_request(bot, result)
        except Redeliver as e:
            log.warning("telegram update %s: %s; left to deliver again", update.update_id, e)
            return web.Response(status=503, text="Service Unavailable: deliver again later")
        except Exception:
            log.exception("telegram update %s failed", update.update_id)
        return web.json_response({})

    __call__ = handle


def _as_answer(bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
    """The webhook's answer that makes Telegram call `method`, as the Bot API allows: one
    round trip fewer than calling it. None when it can't travel that way (a file upload)."""
    if not isinstance(bot.session, JsonSession):
        return None
    body = bot.session.json_body(bot, method)
    return None if body is None else {"method": method.__api_method__, **body}
