"""Minimal platform stand-ins for benchmarks: a Telegram Bot API, WeChat's token endpoint,
and a bare aiohttp "hello" server that gives the ceiling. Each runs in its own process:

    python bench/standins.py botapi PORT
    python bench/standins.py hello PORT
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


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = web.Application()
    if kind == "botapi":
        app.router.add_post("/bot{token}/{method}", bot_method)
        app.router.add_route("*", "/cgi-bin/{tail:.*}", wechat_any)
    else:
        app.router.add_post("/{tail:.*}", hello)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
