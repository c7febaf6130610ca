"""Notifications the core sends on its own initiative, as customer-service messages."""

from __future__ import annotations

import logging
from typing import Any

from bot.wechat.account import AccountEndpoint
from bot.wechat.conversation import Conversation
from bot.wechat.delivery import send_parts
from handlers.types import Outgoing

log = logging.getLogger(__name__)

ACCOUNT_TTL_SECONDS = 30 * 24 * 3600


def account_key(openid: str) -> str:
    return f"wechat:account-of:{openid}"


class OutgoingSender:
    def __init__(
        self, runtime: Any, endpoints: dict[str, AccountEndpoint], conversation: Conversation
    ) -> None:
        self.runtime = runtime
        self.endpoints = endpoints
        self.conversation = conversation

    async def remember_account(self, openid: str, account: str) -> None:
        """openids are per account: note which one a person writes to, for notifications."""
        if len(self.endpoints) > 1:
            await self.runtime.kv.set(account_key(openid), account, ACCOUNT_TTL_SECONDS)

    async def _endpoint(self, out: Outgoing) -> AccountEndpoint | None:
        if out.account in self.endpoints:
            return self.endpoints[out.account]
        if len(self.endpoints) == 1:
            return next(iter(self.endpoints.values()))
        name = await self.runtime.kv.get(account_key(out.chat_id))
        return self.endpoints.get(name or "")

    async def __call__(self, out: Outgoing) -> None:
        ep = await self._endpoint(out)
        if ep is None:
            log.warning("wechat: no account known for %s; notification dropped", out.chat_id)
            return
        if not ep.config.customer_service:
            log.info("wechat %s: cannot push to %s (no customer service)", ep.name, out.chat_id)
            return
        texts = await self.conversation.texts_for(out.chat_id)
        rendered = await self.conversation.render(
            ep, out.chat_id, [out.reply], texts, keep_options=True
        )
        await ep.memory.remember(out.chat_id, options=rendered.options)
        await send_parts(ep, out.chat_id, rendered.parts, self.runtime)
