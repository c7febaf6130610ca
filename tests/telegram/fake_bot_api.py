"""A local stand-in for the Telegram Bot API, for tests.

An aiohttp application served on a random local port. The real aiogram ``Bot`` is
pointed at it through ``TelegramAPIServer.from_base(fake.base_url)``. Every method
call is recorded with its decoded parameters, and answered the way Telegram answers:
the same JSON envelope, the same status codes and descriptions for the errors we
rely on (429 with ``retry_after``, 403 for a blocked user, 400 for HTML that does not
parse, callback data over 64 bytes, an edit that changes nothing, a message to edit
that does not exist).

Failures are switched on per test::

    fake.rate_limit("sendMessage", retry_after=1)   # next sendMessage gets a 429
    fake.block(777)                                 # every call for chat 777 gets a 403
    fake.set_member(-100123, 500, "administrator")  # getChatMember's answer (else "member")

Use the ``fake_bot_api`` fixture (see conftest.py) or ``async with FakeBotAPI() as fake``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT_ID = 4242
BOT_USERNAME = "microstore_test_bot"
TOKEN = f"{BOT_ID}:TEST-token-for-the-local-stand-in"

# Parameters aiogram sends as raw text; everything else is JSON (numbers, booleans,
# objects, arrays).
_TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "title",
        "description",
        "payload",
        "currency",
        "provider_token",
        "start_parameter",
        "error_message",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "pre_checkout_query_id",
        "shipping_query_id",
        "language_code",
        "telegram_payment_charge_id",
        "action",
        "photo",
        "inline_message_id",
        "photo_url",
        "provider_data",
        "ip_address",
    }
)

_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>[^<>]*)>"
    r"|&(?P<entity>#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);"
    r"|(?P<stray>[<>&])"
)
_ENTITY_TEXT = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# The rights getChatMember lists for an administrator, and for a restricted member.
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)
_MEMBER_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


class BotAPIError(Exception):
    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass(slots=True)
class Call:
    """One request the bot made: method name, decoded parameters, HTTP status answered."""

    method: str
    params: dict[str, Any]
    status: int = 200
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None  # what the stand-in answered (a Message for send* methods)
    content_type: str = ""  # how the body came: JSON or a form, both of which Telegram takes

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(slots=True)
class _Failure:
    method: str | None  # None: any method
    code: int
    description: str
    parameters: dict[str, Any] | None
    times: int


def html_to_plain(text: str) -> str:
    """Parse Telegram HTML the way the Bot API does; raise 400 on what it rejects."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _HTML_TOKEN.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        if m.group("stray"):
            raise BotAPIError(
                400,
                "Bad Request: can't parse entities: unsupported start tag or "
                f"unescaped {m.group('stray')!r} at byte offset {m.start()}",
            )
        if m.group("entity"):
            name = m.group("entity")
            if name.startswith("#x"):
                out.append(chr(int(name[2:], 16)))
            elif name.startswith("#"):
                out.append(chr(int(name[1:])))
            else:
                out.append(_ENTITY_TEXT[name])
            continue
        tag = m.group("tag").lower()
        if tag not in _ALLOWED_TAGS:
            raise BotAPIError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        if m.group("close"):
            if not stack or stack[-1] != tag:
                raise BotAPIError(
                    400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"'
                )
            stack.pop()
        else:
            stack.append(tag)
    out.append(text[pos:])
    if stack:
        raise BotAPIError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to {stack[-1]}",
        )
    return "".join(out)


class FakeBotAPI:
    """The stand-in server: state, recording, failure injection."""

    def __init__(self, *, bot_id: int = BOT_ID, username: str = BOT_USERNAME) -> None:
        self.bot_id = bot_id
        self.username = username
        self.token = f"{bot_id}:TEST-token-for-the-local-stand-in"
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._failures: list[_Failure] = []
        self._holds: dict[str, asyncio.Event] = {}
        self._blocked: dict[int, str] = {}
        self._moved: dict[int, int] = {}  # a group's old chat id -> its supergroup's
        self._members: dict[tuple[int, int], str] = {}  # (chat, user) -> getChatMember status
        self._updates: list[dict[str, Any]] = []
        self._update_arrived = asyncio.Event()
        self._call_arrived = asyncio.Event()
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._server: TestServer | None = None
        self.app = web.Application()
        self.app.router.add_post("/bot{token}/{method}", self._dispatch)
        self.app.router.add_get("/bot{token}/{method}", self._dispatch)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        self._server = TestServer(self.app)
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """What ``telegram.api_server`` should be set to."""
        assert self._server is not None, "start() the stand-in first"
        return str(self._server.make_url("")).rstrip("/")

    # ---------------------------------------------------------------- test controls

    def rate_limit(
        self, method: str | None = None, *, retry_after: int = 1, times: int = 1
    ) -> None:
        """The next ``times`` calls (of ``method``, or of any method) answer 429."""
        self._failures.append(
            _Failure(
                method,
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
                times,
            )
        )

    def hold(self, method: str) -> asyncio.Event:
        """Calls of ``method`` arrive (and are recorded) but get no answer until the returned
        event is set."""
        return self._holds.setdefault(method, asyncio.Event())

    def fail(self, method: str, code: int, description: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer with this error."""
        self._failures.append(_Failure(method, code, description, None, times))

    def block(
        self, chat_id: int | str, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """Every call aimed at this chat (or user, for user_id methods) answers 403."""
        self._blocked[int(chat_id)] = description

    def upgrade_group(self, old_chat_id: int, new_chat_id: int) -> None:
        """Telegram made group ``old_chat_id`` supergroup ``new_chat_id``: every call aimed at
        the old id answers 400 with ``migrate_to_chat_id`` (the service messages saying so
        are the test's to send, or to leave out)."""
        self._moved[old_chat_id] = new_chat_id

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember says of the user in the chat: "creator", "administrator",
        "member" (anyone not set), "restricted", "left" or "kicked"."""
        self._members[(chat_id, user_id)] = status

    def never_started(self, user_id: int | str) -> None:
        """A user who has never opened a private chat with the bot."""
        self.block(user_id, "Forbidden: bot can't initiate conversation with a user")

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.pop(int(chat_id), None)

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling mode)."""
        self._updates.append(update)
        self._update_arrived.set()

    def sent(self, method: str) -> list[dict[str, Any]]:
        """Parameters of the successful calls of ``method``, in order."""
        return [c.params for c in self.calls if c.method == method and c.ok]

    def successful(self, method: str) -> list[Call]:
        """The successful calls of ``method`` (with what was answered), in order."""
        return [c for c in self.calls if c.method == method and c.ok]

    def attempts(self, method: str) -> list[Call]:
        """Every call of ``method``, failed ones included."""
        return [c for c in self.calls if c.method == method]

    def methods(self, *, include_setup: bool = False) -> list[str]:
        """Names of the successful calls in order; start-up calls left out unless asked."""
        setup = {"getMe", "setMyCommands", "setWebhook", "deleteWebhook", "getUpdates"}
        return [c.method for c in self.calls if c.ok and (include_setup or c.method not in setup)]

    def clear(self) -> None:
        self.calls.clear()

    async def wait_for(
        self, method: str, count: int = 1, within: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait until ``method`` has succeeded ``count`` times (for background work)."""
        await self._until(lambda: len(self.sent(method)) >= count, within)
        return self.sent(method)

    async def arrived(self, method: str, within: float = 5.0) -> None:
        """Wait until a call of ``method`` has come in, answered or held."""
        await self._until(lambda: any(c.method == method for c in self.calls), within)

    async def wait_until(self, done: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `done()` holds, checking after every call that comes in."""
        await self._until(done, within)

    async def _until(self, done: Callable[[], bool], within: float) -> None:
        async with asyncio.timeout(within):
            while not done():
                self._call_arrived.clear()
                await self._call_arrived.wait()

    # ---------------------------------------------------------------- HTTP

    async def webhook_answer(self, body: bytes) -> None:
        """What Telegram does with the body of a webhook's answer: a JSON object naming a
        `method` is a call of it (its outcome goes nowhere); anything else is ignored."""
        try:
            params = json.loads(body) if body else None
        except ValueError:
            return
        if not isinstance(params, dict) or not isinstance(params.get("method"), str):
            return
        method = params.pop("method")
        call = Call(method=method, params=params, content_type="webhook answer")
        self.calls.append(call)
        await self._execute(call, self.token)

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._read_params(request)
        call = Call(method=method, params=params, files=files, content_type=request.content_type)
        self.calls.append(call)
        if method in self._holds:
            self._call_arrived.set()
            await self._holds[method].wait()
        return await self._execute(call, request.match_info["token"])

    async def _execute(self, call: Call, token: str) -> web.Response:
        method, params, files = call.method, call.params, call.files
        try:
            if token != self.token:
                raise BotAPIError(401, "Unauthorized")
            self._inject_failure(method, params)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise BotAPIError(404, "Not Found")
            result = await handler(params, files)
            call.result = result
        except BotAPIError as e:
            call.status = e.code
            body: dict[str, Any] = {"ok": False, "error_code": e.code, "description": e.description}
            if e.parameters:
                body["parameters"] = e.parameters
            self._call_arrived.set()
            return web.json_response(body, status=e.code)
        self._call_arrived.set()
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params = await request.json()
            return params, files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
                continue
            params[key] = self._decode(key, str(value))
        # "attach://x" points at an uploaded part
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = {"attached": value[len("attach://") :]}
        return params, files

    @staticmethod
    def _decode(key: str, value: str) -> Any:
        if key in _TEXT_PARAMS:
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    def _inject_failure(self, method: str, params: dict[str, Any]) -> None:
        target = params.get("chat_id", params.get("user_id"))
        if isinstance(target, int) and target in self._blocked:
            raise BotAPIError(403, self._blocked[target])
        if isinstance(target, int) and target in self._moved:
            raise BotAPIError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._moved[target]},
            )
        for f in self._failures:
            if f.times > 0 and f.method in (None, method):
                f.times -= 1
                raise BotAPIError(f.code, f.description, f.parameters)

    # ---------------------------------------------------------------- objects

    def _me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Microstore Test",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    @staticmethod
    def _chat(chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Customer"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": "A merchant's group"}

    @staticmethod
    def _chat_id(params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if not isinstance(chat_id, int):
            raise BotAPIError(400, "Bad Request: chat not found")
        return chat_id

    @staticmethod
    def _check_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise BotAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise BotAPIError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not (1 <= len(data.encode()) <= MAX_CALLBACK_DATA):
                    raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
                kinds = [k for k in ("callback_data", "url", "pay") if k in button]
                if len(kinds) != 1:
                    raise BotAPIError(400, "Bad Request: can't parse inline keyboard button")
        return markup

    @staticmethod
    def _check_text(text: Any, parse_mode: Any, *, limit: int, what: str) -> str:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        plain = html_to_plain(text) if parse_mode == "HTML" else text
        if what == "text" and not plain.strip():
            raise BotAPIError(400, "Bad Request: message text is empty")
        if len(plain) > limit:
            raise BotAPIError(400, f"Bad Request: message {what} is too long")
        return plain

    def _store(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message_id = next(self._message_ids)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._me(),
            **{k: v for k, v in content.items() if v is not None},
        }
        self.messages[(chat_id, message_id)] = message
        return message

    def _photo(self) -> list[dict[str, Any]]:
        n = next(self._file_ids)
        return [
            {"file_id": f"photo-{n}-s", "file_unique_id": f"u{n}s", "width": 90, "height": 90},
            {"file_id": f"photo-{n}-m", "file_unique_id": f"u{n}m", "width": 800, "height": 800},
        ]

    def _existing(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = self._chat_id(params)
        message = self.messages.get((chat_id, int(params.get("message_id", 0))))
        if message is None:
            raise BotAPIError(400, "Bad Request: message to edit not found")
        return chat_id, message

    # ---------------------------------------------------------------- methods

    async def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._me()

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        plain = self._check_text(
            params.get("text"), params.get("parse_mode"), limit=MAX_TEXT, what="text"
        )
        markup = self._check_markup(params)
        return self._store(chat_id, text=plain, reply_markup=markup)

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        if not params.get("photo"):
            raise BotAPIError(400, "Bad Request: there is no photo in the request")
        caption = None
        if params.get("caption") is not None:
            caption = self._check_text(
                params["caption"], params.get("parse_mode"), limit=MAX_CAPTION, what="caption"
            )
        markup = self._check_markup(params)
        return self._store(chat_id, photo=self._photo(), caption=caption, reply_markup=markup)

    async def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        _, message = self._existing(params)
        if "text" not in message:
            raise BotAPIError(400, "Bad Request: there is no text in the message to edit")
        plain = self._check_text(
            params.get("text"), params.get("parse_mode"), limit=MAX_TEXT, what="text"
        )
        markup = self._check_markup(params)
        if plain == message.get("text") and markup == message.get("reply_markup"):
            raise BotAPIError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = plain
        message["edit_date"] = int(time.time())
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return message

    async def _m_editMessageCaption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        _, message = self._existing(params)
        if "photo" not in message:
            raise BotAPIError(400, "Bad Request: there is no caption in the message to edit")
        message["caption"] = self._check_text(
            params.get("caption"), params.get("parse_mode"), limit=MAX_CAPTION, what="caption"
        )
        markup = self._check_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def _m_editMessageReplyMarkup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        _, message = self._existing(params)
        markup = self._check_markup(params)
        if markup == message.get("reply_markup"):
            raise BotAPIError(400, "Bad Request: message is not modified")
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return message

    async def _m_deleteMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        if self.messages.pop((chat_id, int(params.get("message_id", 0))), None) is None:
            raise BotAPIError(400, "Bad Request: message to delete not found")
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if not params.get("callback_query_id"):
            raise BotAPIError(400, "Bad Request: QUERY_ID_INVALID")
        text = params.get("text")
        if text is not None and len(text) > 200:
            raise BotAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _m_sendInvoice(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        currency = params.get("currency")
        prices = params.get("prices")
        if not isinstance(prices, list) or not prices:
            raise BotAPIError(400, "Bad Request: INVOICE_PRICES_EMPTY")
        if any(not isinstance(p.get("amount"), int) for p in prices):
            raise BotAPIError(400, "Bad Request: can't parse prices JSON object")
        if currency == "XTR":
            if params.get("provider_token") not in (None, ""):
                raise BotAPIError(400, "Bad Request: provider_token must be empty for XTR")
            if len(prices) != 1:
                raise BotAPIError(400, "Bad Request: exactly one price is allowed for XTR")
        elif not params.get("provider_token"):
            raise BotAPIError(400, "Bad Request: PAYMENT_PROVIDER_INVALID")
        payload = params.get("payload") or ""
        if not 1 <= len(payload.encode()) <= 128:
            raise BotAPIError(400, "Bad Request: invoice payload is invalid")
        if not params.get("title") or not params.get("description"):
            raise BotAPIError(400, "Bad Request: invoice title and description are required")
        self._check_markup(params)
        total = sum(p["amount"] for p in prices)
        invoice = {
            "title": params["title"],
            "description": params["description"],
            "start_parameter": params.get("start_parameter", ""),
            "currency": currency,
            "total_amount": total,
        }
        return self._store(chat_id, invoice=invoice)

    async def _m_answerPreCheckoutQuery(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        if not params.get("pre_checkout_query_id"):
            raise BotAPIError(400, "Bad Request: QUERY_ID_INVALID")
        if params.get("ok") is False and not params.get("error_message"):
            raise BotAPIError(400, "Bad Request: ERROR_MESSAGE_EMPTY")
        return True

    async def _m_setMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise BotAPIError(400, "Bad Request: can't parse commands JSON object")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")):
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(c.get("description", "")) <= 256:
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands[(scope, params.get("language_code") or "")] = commands
        return True

    async def _m_getMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        scope = (params.get("scope") or {}).get("type", "default")
        return self.commands.get((scope, params.get("language_code") or ""), [])

    async def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise BotAPIError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise BotAPIError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = dict(params)
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if self.webhook.get("url"):
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._update_arrived.clear()
            # Long polling, kept short so a test's shutdown is quick.
            wait = min(float(params.get("timeout") or 0), 0.5)
            if wait > 0:
                try:
                    async with asyncio.timeout(wait):
                        await self._update_arrived.wait()
                except TimeoutError:
                    pass
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    async def _m_refundStarPayment(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if not params.get("telegram_payment_charge_id"):
            raise BotAPIError(400, "Bad Request: CHARGE_ID_EMPTY")
        if not isinstance(params.get("user_id"), int):
            raise BotAPIError(400, "Bad Request: USER_ID_INVALID")
        return True

    async def _m_getChatMember(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise BotAPIError(400, "Bad Request: invalid user_id specified")
        status = self._members.get((chat_id, user_id), "member")
        member: dict[str, Any] = {
            "status": status,
            "user": {"id": user_id, "is_bot": False, "first_name": "Member"},
        }
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                {"can_be_edited": False, "is_anonymous": False} | dict.fromkeys(_ADMIN_RIGHTS, True)
            )
        elif status == "restricted":
            member.update(
                {"is_member": True, "until_date": 0} | dict.fromkeys(_MEMBER_RIGHTS, False)
            )
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def _m_sendChatAction(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._chat_id(params)
        return True
