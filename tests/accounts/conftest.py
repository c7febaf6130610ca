"""A chat driver that can speak from several platforms, as one person with two accounts does."""

from __future__ import annotations

import itertools

import pytest

from bot.simulator.inbox import Inbox
from handlers.types import Incoming, Reply
from tests.conftest import Chat

TG, WX = "telegram", "wechat"


class Talk:
    _ids = itertools.count(1)

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.runtime = chat.runtime
        self.inbox = Inbox()
        for platform in (TG, WX):
            self.runtime.register_sender(platform, self.inbox.deliver)

    async def say(
        self, platform: str, user: str, text: str, name: str = "", **kw: bool
    ) -> list[Reply]:
        msg = Incoming(
            platform=platform,
            user_id=user,
            chat_id=user,
            text=text,
            message_id=f"a{next(self._ids)}",
            display_name=name or user,
            **kw,
        )
        replies = await self.runtime.engine.handle(msg)
        await self.runtime.outbox.drain()
        return replies

    async def text(self, platform: str, user: str, text: str) -> str:
        return "\n".join(r.text for r in await self.say(platform, user, text))

    async def order(self, platform: str, user: str, name: str, phone: str, address: str) -> str:
        """Place an order of one product 1 with these contact details; returns its number."""
        await self.say(platform, user, "/add 1 1")
        await self.say(platform, user, "/checkout")
        for answer in (name, phone, address):
            await self.say(platform, user, answer)
        return (await self.say(platform, user, "/checkout confirm"))[0].pay_order_no or ""


@pytest.fixture
def talk(chat: Chat) -> Talk:
    return Talk(chat)
