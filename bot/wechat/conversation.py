"""One inbound WeChat message -> what to show: numbered options and "more" pages resolved,
the engine asked, the answer rendered for WeChat."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.wechat.account import AccountEndpoint
from bot.wechat.inbound import PLATFORM, Inbound
from bot.wechat.memory import option_number
from bot.wechat.render import Rendered, TextPart, render
from bot.wechat.texts import NOTHING_MORE, TEXT_ONLY, Texts
from handlers.i18n import normalise_locale
from handlers.types import Reply
from store.errors import StoreError
from store.models import Identity

log = logging.getLogger(__name__)

# (replies, texts) -> {order no: the text offering to pay it}
PayOffers = Callable[[Sequence[Reply], Texts], Awaitable[Mapping[str, str]]]


class Conversation:
    def __init__(self, runtime: Any, default_locale: str, pay_offers: PayOffers | None = None):
        self.runtime = runtime
        self.default_locale = default_locale
        self.pay_offers = pay_offers

    async def texts_for(self, openid: str) -> Texts:
        """The person's language."""
        return self._texts(await self.runtime.services.people.identify(PLATFORM, openid))

    def _texts(self, identity: Identity) -> Texts:
        locale = identity.person.locale  # identify reads the person with the identity
        return Texts(normalise_locale(locale or self.default_locale))

    async def _identify(self, openid: str, home_shop: str | None) -> Identity:
        """Who wrote; on first contact their shop becomes the account's shop."""
        identity = await self.runtime.services.people.identify(PLATFORM, openid, private=True)
        if home_shop and identity.current_shop_id is None:  # type: ignore[attr-defined]
            await self._adopt_home_shop(identity, home_shop)
        return identity

    async def _adopt_home_shop(self, identity: Identity, slug: str) -> None:
        services = self.runtime.services
        try:
            shop = await services.shops.by_slug(slug)
        except StoreError:
            log.warning("wechat account shop %r does not exist", slug)
            return
        await services.people.set_current_shop(identity, shop.id)  # the engine reads it

    async def answer(self, ep: AccountEndpoint, inbound: Inbound) -> tuple[Rendered, Texts]:
        identity = await self._identify(inbound.openid, ep.config.shop)
        texts = self._texts(identity)
        if inbound.kind == "unsupported":
            return Rendered((TextPart(texts.t(TEXT_ONLY)),), None), texts
        incoming = inbound.incoming
        assert incoming is not None
        if not incoming.via_button:
            if incoming.text.strip().casefold() in texts.more_words():
                page = await ep.memory.next_page(inbound.openid)
                return Rendered(
                    (TextPart(page or texts.t(NOTHING_MORE)),), None, continuation=True
                ), texts
            # Inside a multi-step flow a number is an answer (a price, a stock), not an option;
            # only a number needs that asked (every message asking cost a Redis round trip).
            n = option_number(incoming.text)
            if n is not None and not await self.in_flow(inbound.openid):
                payload = await ep.memory.option(inbound.openid, n)
                if payload is not None:
                    incoming = dataclasses.replace(incoming, text=payload, via_button=True)
        replies = await self.runtime.engine.handle(incoming, identity)
        return await self.render(ep, inbound.openid, replies, texts), texts

    async def in_flow(self, openid: str) -> bool:
        """Is the engine waiting for this person's typed answer (checkout, product entry)?"""
        state = await self.runtime.state.get(f"{PLATFORM}:{openid}")
        return bool(state and state.get("flow"))

    async def render(
        self,
        ep: AccountEndpoint,
        openid: str,
        replies: Sequence[Reply],
        texts: Texts,
        *,
        keep_options: bool = False,
    ) -> Rendered:
        """What to show; the caller remembers its options (see UserMemory). With
        `keep_options`, an answer without buttons leaves the last answer's options."""
        pay_texts: Mapping[str, str] = {}
        if self.pay_offers and any(r.pay_order_no for r in replies):
            pay_texts = await self.pay_offers(replies, texts)
        numbered = not await self.in_flow(openid)
        rendered = render(replies, texts, pay_texts, numbered=numbered)
        if keep_options and not rendered.options:
            return dataclasses.replace(rendered, options=None)
        return rendered
