"""Referral on the web: the agents' share posters, and WeChat's parametric QR codes as links.

GET /referral/poster/<code>.png?lang=&platform=&account=&product= draws the poster of an
active agent; the QR code opens the platform's link to the shop with ``ref_<code>``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from aiohttp import web

from handlers.args import whole
from handlers.i18n import normalise_locale, translate
from referral.models import Agent, AgentStatus
from referral.posters import PosterText, render_poster
from referral.reports import mask_name
from referral.services import ReferralServices
from store.errors import InvalidInput
from store.models import Product, Shop
from store.money import format_money

log = logging.getLogger(__name__)
REFERRAL = web.AppKey("referral", ReferralServices)
CACHE_SECONDS = 3600
# A poster takes 60-85 ms of CPU to draw and is about 27 KB: the last ones drawn are kept,
# keyed by everything drawn on them (names, price, language, link), so a change to any of
# them draws a new one, and a link passed round a group doesn't draw it again and again.
_drawn = functools.lru_cache(maxsize=128)(render_poster)


async def poster(request: web.Request) -> web.Response:
    referral = request.app[REFERRAL]
    code = request.match_info["code"].upper()
    agent = await Agent.get_or_none(code=code, status=AgentStatus.ACTIVE).prefetch_related("person")
    if agent is None:
        raise web.HTTPNotFound()
    shop = await Shop.get(id=agent.shop_id)  # type: ignore[attr-defined]
    query = request.query
    locale = normalise_locale(query.get("lang") or shop.locale)
    link = (
        await referral.share_link(query.get("platform", ""), query.get("account", ""), agent.code)
        or f"/start ref_{agent.code}"  # no link on this platform: the command to send
    )
    product_line = ""
    try:
        product_id = whole(query.get("product", ""))
    except InvalidInput:  # none, or no id ("²" is a digit to str.isdigit, not to int)
        product_id = None
    if product_id is not None:
        product = await Product.get_or_none(id=product_id, shop_id=shop.id, active=True)
        if product is not None:
            price = format_money(product.price, shop.currency, locale)
            product_line = f"{product.title}  {price}"
    text = PosterText(
        shop=shop.name,
        product=product_line,
        caption=translate(locale, "Scan to visit the shop"),
        agent=translate(locale, "Recommended by {name}", name=mask_name(agent.person.display_name)),
    )
    png = await asyncio.to_thread(_drawn, text, link)
    return web.Response(
        body=png,
        content_type="image/png",
        headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"},
    )


def wechat_link_maker(adapter: Any) -> Any:
    """WeChat opens the account with a scene only from its own parametric QR code: ask once
    per account and scene, then reuse (permanent codes never change)."""
    cache: dict[tuple[str, str], str] = {}

    async def make(account: str, payload: str) -> str | None:
        if account not in adapter.endpoints:
            return None
        key = (account, payload)
        if key not in cache:
            try:
                data = await adapter.qrcode(account, payload)
            except Exception:
                log.exception("wechat qrcode for %s failed", payload)
                return None
            cache[key] = str(data["url"])
        return cache[key]

    return make


async def mount(app: web.Application, referral: ReferralServices | None) -> None:
    if referral is None:
        return
    app[REFERRAL] = referral
    app.router.add_get("/referral/poster/{code}.png", poster)
    from bot.wechat import WECHAT

    if WECHAT in app:
        referral.links["wechat"] = wechat_link_maker(app[WECHAT])
