"""The web chat simulator at /sim: several users side by side, buttons clickable."""

from __future__ import annotations

import itertools
import json
from typing import Any

from aiohttp import web

from bot.runtime import Runtime
from bot.simulator.inbox import PLATFORM, Inbox
from handlers.i18n import TEMPLATE_DIR
from handlers.types import Incoming, Reply

RUNTIME = web.AppKey("sim_runtime", Runtime)
INBOX = web.AppKey("sim_inbox", Inbox)
MAX_NAME = 32
_ids = itertools.count(1)


def reply_json(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "image": reply.image,
        "buttons": [
            [{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons
        ],
    }


def _user(value: object) -> str:
    name = str(value or "").strip()
    if not name or len(name) > MAX_NAME or not name.replace("_", "").replace("-", "").isalnum():
        raise web.HTTPBadRequest(text="user: 1 to 32 letters, digits, - or _")
    return name


async def page(request: web.Request) -> web.Response:
    html = (TEMPLATE_DIR / "sim" / "index.html").read_text(encoding="utf-8")
    return web.Response(text=html, content_type="text/html")


async def send(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="JSON body expected") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="JSON object expected")
    user = _user(body.get("user"))
    text = str(body.get("text", ""))[:4096]
    group = str(body.get("group") or "").strip()[:MAX_NAME]
    runtime = request.app[RUNTIME]
    msg = Incoming(
        platform=PLATFORM,
        user_id=user,
        chat_id=f"group:{group}" if group else user,
        text=text,
        message_id=f"web-{next(_ids)}",
        display_name=user,
        is_group=bool(group),
        via_button=bool(body.get("button")),
    )
    replies = await runtime.engine.handle(msg)
    await runtime.outbox.drain()
    return web.json_response(
        {
            "replies": [reply_json(r) | {"private": r.private} for r in replies],
            "inbox": [reply_json(r) for r in request.app[INBOX].take(user)],
        }
    )


async def inbox(request: web.Request) -> web.Response:
    user = _user(request.query.get("user"))
    return web.json_response({"inbox": [reply_json(r) for r in request.app[INBOX].take(user)]})


def setup(app: web.Application, runtime: Runtime, box: Inbox) -> None:
    app[RUNTIME] = runtime
    app[INBOX] = box
    app.router.add_get("/sim", page)
    app.router.add_post("/sim/api/send", send)
    app.router.add_get("/sim/api/inbox", inbox)
