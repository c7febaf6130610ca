"""Webhook mode: POST /telegram/webhook.

- the secret token is required and compared in constant time (401 otherwise, nothing read);
- a body that is not a JSON update (or whose parts we read are malformed) answers 400;
- an update is processed before the answer (so a crash can't lose it silently), and
  whatever happens while processing, Telegram gets 200: a retry would not help; except a
  payment that could not be recorded for now (`Redeliver`): 503, and Telegram delivers it
  again;
- the update's last reply, when the adapter hands it back instead of sending it, goes in
  the answer itself (a Bot API method in the webhook's response body, which Telegram runs),
  unless Telegram stopped waiting meanwhile: then it is sent as a call.

The update runs in the request's own task (aiogram's request handler would start one more
task with a 55 s timer for each): the answer waits for the work either way, and the work is
not cancelled when the connection goes (aiohttp no longer cancels handlers). aiogram's
dispatcher is not on this path at all: `UpdateRouter` reads and routes the update.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import orjson
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import TelegramMethod
from aiohttp import web

from bot.telegram.client import JsonSession
from bot.telegram.redelivery import Redeliver
from bot.telegram.router import UpdateRouter, read_update

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
JSON = "application/json"


class WebhookHandler:
    def __init__(self, router: UpdateRouter, secret_token: str) -> None:
        if not secret_token:
            raise ValueError("a webhook secret token is required")
        self.router = router
        self.bot = router.bot
        self._secret = secret_token.encode()

    def register(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not given or not secrets.compare_digest(given.encode(), self._secret):
            log.warning("telegram webhook: wrong or missing secret token from %s", request.remote)
            return web.Response(status=401, text="Unauthorized")
        try:
            update = read_update(orjson.loads(await request.read()), self.bot)
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="Bad Request: not a Telegram update")
        try:
            result = await self.router.feed(update)
        except Redeliver as e:
            log.warning("telegram update %s: %s; left to deliver again", update.update_id, e)
            return web.Response(status=503, text="Service Unavailable: deliver again later")
        if result is not None:
            if request.transport is not None and (answer := _as_answer(self.bot, result)):
                return web.Response(body=orjson.dumps(answer), content_type=JSON)
            await _call(self.bot, result)
        return web.json_response({})


async def _call(bot: Bot, method: TelegramMethod[Any]) -> None:
    """The answer as a call, when Telegram stopped waiting for it: its outcome is only
    logged, as it would have been unknown in the webhook's response."""
    try:
        await bot(method)
    except TelegramAPIError as e:
        log.error("telegram refused the answer %s: %s", method.__api_method__, e)


def _as_answer(bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
    """The webhook's answer that makes Telegram call `method`, as the Bot API allows: one
    round trip fewer than calling it. None when it can't travel that way (a file upload)."""
    if not isinstance(bot.session, JsonSession):
        return None
    body = bot.session.json_body(bot, method)
    return None if body is None else {"method": method.__api_method__, **body}
