"""The WeChat Official Account adapter and WeChat Pay (API v2).

`mount(app, runtime)` wires everything into the one aiohttp app when accounts are
configured; `push_menu(settings, account)` backs `microstore wechat menu <account>`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from bot.wechat.account import AccountEndpoint, build_endpoints
from bot.wechat.cards import WeChatCardPublisher
from bot.wechat.checkout import METHOD, WeChatCheckout
from bot.wechat.conversation import Conversation
from bot.wechat.inbound import PLATFORM
from bot.wechat.menu import MenuError, push_menu
from bot.wechat.outgoing import OutgoingSender
from bot.wechat.pay import WeChatPayClient, load_client_cert, pay_configured
from bot.wechat.tasks import TaskGroup
from bot.wechat.webhook import WeChatWebhook

__all__ = ["WECHAT", "MenuError", "WeChatAdapter", "mount", "push_menu"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WeChatAdapter:
    endpoints: dict[str, AccountEndpoint]
    webhook: WeChatWebhook
    sender: OutgoingSender
    checkout: WeChatCheckout | None
    session: aiohttp.ClientSession
    tasks: TaskGroup

    async def idle(self) -> None:
        """Wait for answers and replies still on their way."""
        await self.tasks.idle()

    async def qrcode(
        self, account: str, scene: str, expire_seconds: int | None = None
    ) -> dict[str, Any]:
        """A parametric QR code (ref_<code>, gb_<code>, shop_<slug>) of one account."""
        return await self.endpoints[account].api.create_qrcode(scene, expire_seconds)


WECHAT = web.AppKey("wechat", WeChatAdapter)


async def mount(app: web.Application, runtime: Any) -> None:
    """Routes, the notification sender and the refund gateway, for configured accounts."""
    settings = runtime.settings
    wechat = settings.wechat
    if not wechat.accounts:
        return
    pay_on = pay_configured(wechat.pay)
    client_cert = await load_client_cert(wechat.pay) if pay_on else None  # fails loudly
    session = aiohttp.ClientSession()
    endpoints = build_endpoints(runtime, session)
    tasks = TaskGroup()
    checkout: WeChatCheckout | None = None
    if pay_on:
        client = WeChatPayClient(session, wechat.pay, client_cert)
        oauth = next((e for e in endpoints.values() if e.config.app_id == wechat.pay.app_id), None)
        if oauth is None:
            oauth = next(iter(endpoints.values()))
            log.warning(
                "wechat.pay.app_id %s is none of the accounts; the pay page signs in "
                "with %s, whose openids WeChat Pay will not accept",
                wechat.pay.app_id,
                oauth.config.app_id,
            )
        checkout = WeChatCheckout(runtime, client, oauth)
        runtime.engine.pays_in_chat.add(PLATFORM)
        runtime.services.refunds.register(METHOD, checkout)
        app.router.add_post("/wechat/pay/notify", checkout.notify)
        app.router.add_get("/pay/{order_no}", checkout.page)
        app.router.add_get("/pay/{order_no}/status", checkout.status)
    conversation = Conversation(
        runtime, settings.shop.locale, checkout.offers if checkout else None
    )
    sender = OutgoingSender(runtime, endpoints, conversation)
    runtime.register_sender(PLATFORM, sender)
    if runtime.group_cards is not None:  # group-buy cards: a new card per change, with a QR
        runtime.group_cards.register(PLATFORM, WeChatCardPublisher(sender, endpoints))
    webhook = WeChatWebhook(
        runtime,
        endpoints,
        conversation,
        tasks,
        sender,
        deadline=wechat.reply_deadline_seconds,
        max_body=settings.server.max_body_bytes,
        max_age=wechat.signature_max_age_seconds,
    )
    app.router.add_get("/wechat/{account}", webhook.verify)
    app.router.add_post("/wechat/{account}", webhook.receive)
    app[WECHAT] = WeChatAdapter(endpoints, webhook, sender, checkout, session, tasks)

    async def finish_replies(_app: web.Application) -> None:
        await tasks.join()

    async def close() -> None:
        await tasks.join()
        await runtime.outbox.drain()  # notifications still need the HTTP session
        await session.close()

    app.on_shutdown.append(finish_replies)
    runtime.on_close(close)
    log.info(
        "wechat: %d account(s) at /wechat/<account> (%s); pay %s; tokens %s",
        len(endpoints),
        ", ".join(endpoints),
        "on" if checkout else "off",
        "in redis" if runtime.redis is not None else "in-process",
    )
