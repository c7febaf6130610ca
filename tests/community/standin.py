"""A rate-limited Telegram Bot API stand-in for broadcast tests and the benchmark.

Serves ``/bot<token>/sendMessage`` and ``sendPhoto`` like Telegram does for what the
broadcast sender relies on: more than ``rate`` sends in any one-second window (or a second
message to one chat within ``chat_interval`` seconds) answers 429 with ``retry_after``;
a chat in ``blocked`` answers 403; a sendPhoto of a URL in ``dead_pictures`` answers 400, as
Telegram does when it can't fetch a picture (nothing is delivered, nothing counts towards a
limit). It counts what each chat received, and when, and keeps the last message per chat.
(tests/telegram/fake_bot_api.py records every call in detail but has no rate limit.)

Run on its own: ``python -m tests.community.standin --port 8081 --rate 30``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter, deque
from typing import Any

from aiohttp import web

TOKEN = "4242:BROADCAST-stand-in-token"


class RateLimitedBotAPI:
    def __init__(
        self,
        *,
        rate: float = 30.0,
        chat_interval: float = 1.0,
        retry_after: int = 1,
        latency: float = 0.0,
        blocked: set[str] | None = None,
        dead_pictures: set[str] | None = None,
    ) -> None:
        self.rate = rate
        self.chat_interval = chat_interval
        self.retry_after = retry_after
        self.latency = latency
        self.blocked = blocked or set()
        self.dead_pictures = dead_pictures or set()
        self.refused: list[str] = []  # chat id of every sendPhoto refused for its picture
        self.last: dict[str, tuple[str, dict[str, Any]]] = {}  # chat -> (method, params)
        self.received: Counter[str] = Counter()  # chat id -> messages delivered
        self.accepted_at: list[float] = []  # monotonic time of every delivered message
        self.limited_at: list[float] = []  # monotonic time of every 429
        self._window: deque[float] = deque()
        self._chat_last: dict[str, float] = {}
        self._next_id = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> RateLimitedBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def duplicates(self) -> dict[str, int]:
        return {chat: n for chat, n in self.received.items() if n > 1}

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return _error(401, "Unauthorized")
        if method not in ("sendMessage", "sendPhoto"):
            return _error(404, "Not Found")
        form = await (
            request.json() if request.content_type == "application/json" else request.post()
        )
        chat = str(form.get("chat_id", ""))
        if self.latency:
            await asyncio.sleep(self.latency)
        now = time.monotonic()
        if chat in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if method == "sendPhoto" and form.get("photo") in self.dead_pictures:
            self.refused.append(chat)
            return _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        too_fast = len(self._window) >= self.rate or (
            now - self._chat_last.get(chat, -1e9) < self.chat_interval
        )
        if too_fast:
            self.limited_at.append(now)
            return _error(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        self._window.append(now)
        self._chat_last[chat] = now
        self.received[chat] += 1
        self.last[chat] = (method, dict(form))
        self.accepted_at.append(now)
        self._next_id += 1
        message: dict[str, Any] = {
            "message_id": self._next_id,
            "date": int(time.time()),
            "chat": {"id": int(chat), "type": "private" if int(chat) > 0 else "group"},
            "text": str(form.get("text") or form.get("caption") or ""),
        }
        return web.json_response({"ok": True, "result": message})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def _serve(port: int, rate: float) -> None:
    api = RateLimitedBotAPI(rate=rate)
    await api.start(port)
    print(f"stand-in on {api.base_url} (token {TOKEN}), {rate}/s", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await api.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--rate", type=float, default=30.0)
    args = p.parse_args()
    asyncio.run(_serve(args.port, args.rate))
