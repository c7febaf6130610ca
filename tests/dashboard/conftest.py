"""A dashboard client: the real app on a test server, signed in through the chat's link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from tests.conftest import MERCHANT, Chat

LINK = re.compile(r"https?://\S+/dashboard/login/(\S+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


class Dashboard:
    def __init__(self, client: TestClient, chat: Chat) -> None:
        self.client = client
        self.chat = chat
        self.csrf = ""

    async def link(self, user: str = MERCHANT) -> str:
        text = await self.chat.text(user, "/dashboard")
        found = LINK.search(text)
        assert found, text
        return urlsplit(found.group(0)).path

    async def login(self, user: str = MERCHANT) -> None:
        status, _ = await self.use_link(await self.link(user))
        assert status == 303
        await self.refresh_csrf()

    async def use_link(self, path: str) -> tuple[int, str]:
        page = await self.client.get(path)
        assert page.status == 200
        nonce = NONCE.search(await page.text())
        assert nonce
        resp = await self.client.post(path, data={"nonce": nonce.group(1)}, allow_redirects=False)
        return resp.status, await resp.text()

    async def refresh_csrf(self) -> None:
        found = CSRF.search(await (await self.client.get("/dashboard/settings")).text())
        assert found
        self.csrf = found.group(1)

    async def get(self, path: str) -> tuple[int, str]:
        resp = await self.client.get(path, allow_redirects=False)
        return resp.status, await resp.text()

    async def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True
    ) -> tuple[int, str, str]:
        """Status, body and the Location header of a form post."""
        form = dict(data or {})
        if csrf:
            form["csrf"] = self.csrf
        resp = await self.client.post(path, data=form, allow_redirects=False)
        return resp.status, await resp.text(), resp.headers.get("Location", "")


@asynccontextmanager
async def dashboard_client(chat: Chat) -> AsyncIterator[Dashboard]:
    app = await build_app(chat.runtime, simulator=False)
    client = TestClient(
        TestServer(app), cookie_jar=CookieJar(unsafe=True), headers={"Accept-Language": "en-GB"}
    )
    await client.start_server()
    try:
        yield Dashboard(client, chat)
    finally:
        await client.close()


@pytest.fixture
async def dash(chat: Chat) -> AsyncIterator[Dashboard]:
    async with dashboard_client(chat) as dashboard:
        yield dashboard
