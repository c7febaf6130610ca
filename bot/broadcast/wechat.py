"""Broadcasts to WeChat followers, with the result known for each one.

Within the 48-hour window a customer-service message (message/custom/send), rendered like
any answer (numbered options for buttons, a news card for a picture); outside it — or when
WeChat says so (45015 out of time, 45047 the person's quota used up), or on an account
without customer service — the account's broadcast template (message/template/send) if
configured, else skipped. A broadcast to `all` goes to every follower in one mass send
(message/mass/sendall) on shops whose accounts all have `mass_send` on: text only, so its
buttons (the opt-out among them) become the commands to type, in the shop's language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.config import BroadcastTemplate, Settings, WeChatAccount
from bot.wechat.account import AccountEndpoint, build_endpoints
from bot.wechat.api import WeChatApiError
from bot.wechat.conversation import Conversation
from bot.wechat.delivery import UNREACHABLE, paged
from bot.wechat.outgoing import account_key
from bot.wechat.render import TextPart
from bot.wechat.texts import Texts
from handlers.types import Button, Reply
from store.community.port import (
    BLOCKED,
    BroadcastMessage,
    SendOutcome,
    SendResult,
    failed,
    retry_after,
    skipped,
)
from store.models import Shop

log = logging.getLogger(__name__)

OUT_OF_TIME = 45015  # "response out of time limit": past the 48 hours
OUT_OF_QUOTA = 45047  # the person's customer-service quota for this window is used up
BACK_OFF = frozenset({45009, 45011})  # the account's daily quota / frequency limit
BLOCKING = UNREACHABLE | {43019}  # unfollowed, wrong openid, or we are on their blacklist
ALREADY_SENT = 45065  # clientmsgid used within 24 hours: that mass send went out
BUSY = -1  # "system busy": the mass send is tried again, its clientmsgid keeps it single
TEMPLATE_VALUE_MAX = 200  # characters per template field value


def template_data(template: BroadcastTemplate, text: str) -> dict[str, str]:
    """The template's fields filled from the broadcast: {text}, {title} (its first line)
    and {rest} (the lines after it)."""
    title, _, rest = text.strip().partition("\n")
    values = {"text": text.strip(), "title": title.strip(), "rest": rest.strip()}
    return {
        name: value.format(**values)[:TEMPLATE_VALUE_MAX] for name, value in template.fields.items()
    }


def mass_sends(accounts: list[WeChatAccount]) -> bool:
    """A shop whose accounts are these sends `all` as one mass send per account: when every
    one of them has `mass_send` on (a follower of one without it would be missed)."""
    return bool(accounts) and all(a.mass_send for a in accounts)


def follower_wide(settings: Settings) -> Callable[[int], Awaitable[bool]]:
    """shop id -> whether its broadcasts to `all` go out as mass sends (to every follower,
    however many have written to the shop); read from the configuration alone."""

    async def check(shop_id: int) -> bool:
        shop = await Shop.get_or_none(id=shop_id) if settings.wechat.accounts else None
        return shop is not None and mass_sends(
            [a for a in settings.wechat.accounts if a.shop == shop.slug]
        )

    return check


class WeChatBroadcastSender:
    """Per-person sends (the engine's WindowedSender) and mass sends (its MassSender)."""

    def __init__(
        self,
        endpoints: dict[str, AccountEndpoint],
        conversation: Conversation,
        kv: Any,
        backoff_seconds: float,
    ) -> None:
        self.endpoints = endpoints
        self.conversation = conversation
        self.kv = kv
        self.backoff_seconds = backoff_seconds

    @classmethod
    def build(cls, runtime: Any) -> WeChatBroadcastSender:
        """Its own HTTP session and API clients; access tokens shared with the adapter
        through Redis, or fetched in normal mode (which never invalidates another's)."""
        settings: Settings = runtime.settings
        session = aiohttp.ClientSession()
        runtime.on_close(session.close)
        endpoints = build_endpoints(runtime, session)
        conversation = Conversation(runtime, settings.shop.locale)
        return cls(endpoints, conversation, runtime.kv, settings.wechat.broadcast_backoff_seconds)

    # -- one person -------------------------------------------------------------------------

    async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult:
        """A customer-service message; the template when WeChat says the window closed."""
        ep = await self._endpoint(chat_id)
        if ep is None:
            return failed("no_account")
        if not ep.config.customer_service:
            return await self._template(ep, chat_id, message, "no_customer_service")
        texts = await self.conversation.texts_for(chat_id)
        reply = Reply(
            text=message.text,
            buttons=tuple(tuple(Button(lbl, p) for lbl, p in row) for row in message.buttons),
            image=message.image_url,
        )
        rendered = await self.conversation.render(ep, chat_id, [reply], texts, keep_options=True)
        for n, part in enumerate(paged(rendered.parts)):
            try:
                if isinstance(part, TextPart):
                    await ep.api.send_text(chat_id, part.text)
                else:
                    await ep.api.send_news(
                        chat_id, part.title, part.description, part.url, part.picurl
                    )
            except WeChatApiError as e:
                if n == 0 and e.errcode in (OUT_OF_TIME, OUT_OF_QUOTA):
                    reason = "outside_window" if e.errcode == OUT_OF_TIME else "quota"
                    return await self._template(ep, chat_id, message, reason)
                return self._refused(e, "custom")
            except (aiohttp.ClientError, TimeoutError) as e:  # may have arrived: not again
                return failed(f"network: {type(e).__name__}")
        return SendResult(SendOutcome.SENT, via="custom")

    async def send_outside_window(self, chat_id: str, message: BroadcastMessage) -> SendResult:
        ep = await self._endpoint(chat_id)
        if ep is None:
            return failed("no_account")
        return await self._template(ep, chat_id, message, "outside_window")

    async def _template(
        self, ep: AccountEndpoint, openid: str, message: BroadcastMessage, reason: str
    ) -> SendResult:
        template = ep.config.broadcast_template
        if template is None:
            return skipped(reason)
        try:
            msg_id = await ep.api.send_template(
                openid, template.id, template_data(template, message.text), template.url
            )
        except WeChatApiError as e:
            return self._refused(e, "template")
        except (aiohttp.ClientError, TimeoutError) as e:
            return failed(f"network: {type(e).__name__}")
        return SendResult(SendOutcome.SENT, via="template", external_id=msg_id)

    def _refused(self, e: WeChatApiError, via: str) -> SendResult:
        if e.errcode in BLOCKING:
            return SendResult(BLOCKED.outcome, via=via, error=str(e.errcode))
        if e.errcode in BACK_OFF:
            return retry_after(self.backoff_seconds)
        return failed(f"{via} {e.errcode} {e.errmsg}")

    async def _endpoint(self, openid: str) -> AccountEndpoint | None:
        """openids are per account: the one account, or the one the person wrote to."""
        if len(self.endpoints) == 1:
            return next(iter(self.endpoints.values()))
        return self.endpoints.get(await self.kv.get(account_key(openid)) or "")

    # -- every follower -----------------------------------------------------------------------

    async def channels(self, shop_id: int) -> list[str]:
        """The shop's accounts when every one of them has `mass_send` on; otherwise none,
        and the shop's WeChat followers are sent to one by one (a follower of an account
        without mass send would be missed)."""
        shop = await Shop.get_or_none(id=shop_id)
        accounts = [
            e.config for e in self.endpoints.values() if shop and e.config.shop == shop.slug
        ]
        if not mass_sends(accounts):
            if any(a.mass_send for a in accounts):
                log.warning(
                    "wechat: shop %s has accounts without mass_send (%s): sending one by one",
                    shop_id,
                    ", ".join(a.name for a in accounts if not a.mass_send),
                )
            return []
        return [a.name for a in accounts]

    async def send_all(
        self, channel: str, client_msg_id: str, message: BroadcastMessage
    ) -> SendResult:
        ep = self.endpoints.get(channel)
        if ep is None:
            return failed("no_account")
        try:
            msg_id = await ep.api.mass_send_text(await self._mass_text(ep, message), client_msg_id)
        except WeChatApiError as e:
            if e.errcode == ALREADY_SENT:
                log.info("wechat %s: mass send %s went out already", channel, client_msg_id)
                return SendResult(
                    SendOutcome.SENT, via="mass", external_id=str(e.data.get("msg_id") or "")
                )
            if e.errcode == BUSY:
                return retry_after(1.0)
            return failed(f"mass {e.errcode} {e.errmsg}")
        return SendResult(SendOutcome.SENT, via="mass", external_id=msg_id)

    async def _mass_text(self, ep: AccountEndpoint, message: BroadcastMessage) -> str:
        """The broadcast as one text for every follower: no numbered options (nobody's
        conversation holds them), so each button is its command, e.g. 退订：/unsubscribe demo."""
        shop = await Shop.get_or_none(slug=ep.config.shop)
        texts = Texts(shop.locale if shop else self.conversation.default_locale)
        commands = "\n".join(
            texts.command(label, payload) for row in message.buttons for label, payload in row
        )
        return "\n\n".join(part for part in (message.text, message.image_url, commands) if part)
