"""Minimal platform stand-ins for benchmarks: a Telegram Bot API, WeChat's token endpoint,
a bare aiohttp "hello" server that gives the ceiling, and the smallest webhook bots (the
floors: what aiogram itself costs, with or without one sendMessage per update, and what a
bot with no framework at all costs; no store behind either). Each runs in its own process;
floor processes share their port:

    python bench/standins.py botapi PORT
    python bench/standins.py hello PORT [asyncio|uvloop]
    python bench/standins.py floor PORT BOTAPI_PORT silent|reply|json-reply|in-response|bare-reply
"""

from __future__ import annotations

import itertools
import sys
import time

from aiohttp import web

BOT_ID = 4242
TOKEN = f"{BOT_ID}:BENCH-token"
_ids = itertools.count(1)


def _message(chat_id: int, text: str = "") -> dict:
    return {
        "message_id": next(_ids),
        "date": int(time.time()),
        "text": text,
        "chat": {"id": chat_id, "type": "private"},
    }


async def bot_method(request: web.Request) -> web.Response:
    method = request.match_info["method"]
    data = (
        await request.post() if request.content_type != "application/json" else await request.json()
    )
    if method == "getMe":
        result: object = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Bench",
            "username": "bench_bot",
        }
    elif method in ("sendMessage", "sendPhoto", "editMessageText", "sendInvoice"):
        result = _message(int(data.get("chat_id", 0) or 0), str(data.get("text", "")))
    else:
        result = True
    return web.json_response({"ok": True, "result": result})


async def wechat_any(request: web.Request) -> web.Response:
    return web.json_response(
        {"errcode": 0, "errmsg": "ok", "access_token": "bench-token", "expires_in": 7200}
    )


async def hello(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"ok": True})


def bare_floor_app(botapi: int) -> web.Application:
    """No framework at all: the update read as JSON, one sendMessage posted with a kept-alive
    aiohttp session and its answer read, then the webhook answered. Nothing a real bot could
    do for less and still know its message arrived."""
    import aiohttp

    url = f"http://127.0.0.1:{botapi}/bot{TOKEN}/sendMessage"
    app = web.Application()

    async def session(app: web.Application):  # type: ignore[no-untyped-def]
        async with aiohttp.ClientSession() as http:
            app["http"] = http
            yield

    async def webhook(request: web.Request) -> web.Response:
        message = (await request.json())["message"]
        body = {"chat_id": message["chat"]["id"], "text": message.get("text") or "?"}
        async with request.app["http"].post(url, json=body) as answer:
            await answer.json()
        return web.Response()

    app.cleanup_ctx.append(session)
    app.router.add_post("/webhook", webhook)
    return app


def floor_app(botapi: int, answer: str) -> web.Application:
    """An echo bot as aiogram's documentation writes one, its Bot API at the stand-in; the
    webhook answers once the update is handled, as microstore's does. `answer`: silent (no
    reply), reply (one sendMessage call), json-reply (the same call through microstore's
    JsonSession, as microstore makes it) or in-response (the sendMessage as the webhook's
    answer: no call, but no result either, so no delivery check)."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.methods import SendMessage
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    from bot.telegram.client import JsonSession

    api = TelegramAPIServer.from_base(f"http://127.0.0.1:{botapi}")
    session = JsonSession(api=api) if answer == "json-reply" else AiohttpSession(api=api)
    bot = Bot(TOKEN, session=session)
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> SendMessage | None:
        if answer in ("reply", "json-reply"):
            await message.answer(message.text or "?")
        elif answer == "in-response":  # the answer rides on the webhook's HTTP response
            return message.answer(message.text or "?")
        return None

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False).register(app, "/webhook")
    return app


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = web.Application()
    if kind == "floor":
        botapi, answer = int(sys.argv[3]), sys.argv[4]
        app = bare_floor_app(botapi) if answer == "bare-reply" else floor_app(botapi, answer)
        web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, reuse_port=True)
        return
    if kind == "botapi":
        app.router.add_post("/bot{token}/{method}", bot_method)
        app.router.add_route("*", "/cgi-bin/{tail:.*}", wechat_any)
    else:
        app.router.add_post("/{tail:.*}", hello)
        if sys.argv[3:] == ["uvloop"]:
            import uvloop

            loop = uvloop.new_event_loop()
            web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=loop)
            return
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
