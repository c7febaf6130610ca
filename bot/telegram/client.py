"""The aiogram ``Bot``: token, Bot API server, HTML by default, resilient requests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.token import TokenValidationError
from aiohttp import JsonPayload

from bot.config import ConfigError, TelegramConfig
from store.by_identity import ByIdentity

log = logging.getLogger(__name__)

OnForbidden = Callable[[int], Awaitable[None]]
# aiogram parses every answer as Response[T]; pydantic keeps such classes only weakly, so
# without a reference here the garbage collector drops them and Bot API calls keep building
# (and generating the schema of) a new class: 5 ms each, once per ~25 calls under load.
_RESPONSE_TYPES: dict[Any, type[Response[Any]]] = {}
# Most replies carry one of a few keyboards, each built once and reused (render.py); turning
# one into JSON-ready form was most of what preparing a reply's body cost (a catalog page's:
# 75-80 µs, about 20 with the keyboard's form kept).
KEPT_MARKUPS = 2048


class ResilientRequests(BaseRequestMiddleware):
    """Honour ``retry_after`` (429) and report users who blocked the bot (403).

    A 429 is retried after the wait Telegram asks for, a few times; a wait longer
    than ``max_wait`` is not slept through (the caller gets the error). A 403 for a
    private chat calls ``on_forbidden(user_id)`` and is re-raised.
    """

    def __init__(
        self,
        on_forbidden: OnForbidden | None = None,
        *,
        max_retries: int = 3,
        max_wait: float = 60.0,
    ) -> None:
        self.on_forbidden = on_forbidden
        self.max_retries = max_retries
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as e:
                attempt += 1
                if attempt > self.max_retries or e.retry_after > self.max_wait:
                    raise
                log.warning(
                    "telegram %s: 429, retrying in %ss", method.__api_method__, e.retry_after
                )
                await asyncio.sleep(e.retry_after)
            except TelegramForbiddenError:
                await self._forbidden(method)
                raise

    async def _forbidden(self, method: TelegramMethod[Any]) -> None:
        target = getattr(method, "chat_id", None) or getattr(method, "user_id", None)
        if self.on_forbidden is None or not isinstance(target, int) or target <= 0:
            return  # a group or channel: the bot was removed, no person to mark
        try:
            await self.on_forbidden(target)
        except Exception:
            log.exception("could not mark telegram user %s unreachable", target)


class JsonSession(AiohttpSession):
    """Bot API calls without a file go as one JSON body, as the Bot API allows; only uploads
    keep aiogram's form. Its urlencoded form percent-encoded every Chinese character of
    every message, about 3% of the server's CPU per chat update. Bodies and answers go
    through orjson, as the webhook's do (bot/telegram/webhook.py)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(json_loads=orjson.loads, json_dumps=_json_text, **kwargs)
        self._markups: ByIdentity[Any] = ByIdentity(KEPT_MARKUPS)
        self._unset: dict[type[TelegramMethod[Any]], tuple[Bot, dict[str, Any]]] = {}

    def build_form_data(self, bot: Bot, method: TelegramMethod[TelegramType]) -> Any:
        body = self.json_body(bot, method)
        if body is None:
            return super().build_form_data(bot, method)
        return JsonPayload(body, dumps=self.json_dumps)

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The method's parameters as one JSON object, the bot's defaults applied; None when
        it uploads a file (that needs a form). What aiogram would send (dump the whole method,
        then prepare every field), but the fields left unset are prepared once per method
        type: a reply sets three of sendMessage's twenty-one (46 µs a body, 3.4 after)."""
        files: dict[str, Any] = {}
        given = method.model_fields_set
        body = {k: v for k, v in self._unset_fields(bot, type(method)).items() if k not in given}
        for key in given:
            value = getattr(method, key)
            if value is None:
                continue
            if isinstance(value, InlineKeyboardMarkup):
                body[key] = self._prepared_markup(value, bot)
                continue
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":  # the form leaves out only these
                body[key] = prepared
        return None if files else body

    def _unset_fields(self, bot: Bot, kind: type[TelegramMethod[Any]]) -> dict[str, Any]:
        """What a method of this type sends for the fields nobody set: their defaults (the
        bot's, for aiogram's `Default` ones), prepared."""
        kept = self._unset.get(kind)
        if kept is not None and kept[0] is bot:
            return kept[1]
        body = {}
        for name, field in kind.model_fields.items():
            default = field.get_default(call_default_factory=True)
            prepared = self.prepare_value(default, bot=bot, files={}, _dumps_json=False)
            if prepared is not None and prepared != "":
                body[name] = prepared
        self._unset[kind] = (bot, body)
        return body

    def _prepared_markup(self, markup: InlineKeyboardMarkup, bot: Bot) -> Any:
        """The keyboard in JSON-ready form, made once per keyboard object: aiogram's objects
        are frozen, and nobody changes a keyboard's rows after building it."""
        return self._markups.get(
            (markup,), lambda: self.prepare_value(markup, bot=bot, files={}, _dumps_json=False)
        )

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_TYPES:
            _RESPONSE_TYPES[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def api_server(config: TelegramConfig) -> TelegramAPIServer:
    return TelegramAPIServer.from_base(config.api_server) if config.api_server else PRODUCTION


def build_bot(
    config: TelegramConfig,
    on_forbidden: OnForbidden | None = None,
    *,
    retrying: bool = True,
    purpose: str = "run the Telegram adapter",
) -> Bot:
    """The Bot for `purpose`; `retrying` adds ResilientRequests (broadcasts pace their own
    429s, so their Bot goes without)."""
    if config.token is None:
        raise ConfigError(f"telegram.token: required to {purpose}")
    session = JsonSession(api=api_server(config))
    if retrying:
        session.middleware(ResilientRequests(on_forbidden))
    try:
        return Bot(
            token=config.token.get_secret_value(),
            session=session,
            default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
        )
    except TokenValidationError:
        raise ConfigError("telegram.token: not a bot token (like 123456:ABC-...)") from None
