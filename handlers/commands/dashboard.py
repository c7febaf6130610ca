"""/dashboard: a one-time link to the shop's web dashboard, sent privately."""

from __future__ import annotations

from dataclasses import replace

from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.login_links import LINK_TTL

router = Router(topic=N_("Shop"))


@router.command(
    "dashboard",
    "后台",
    "管理后台",
    help=N_("A one-time login link to the shop's web dashboard"),
    merchant=True,
    private=True,
)
async def dashboard(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    link = await ctx.services.logins.issue(shop.id, ctx.person.id)
    reply = ctx.reply(
        "dashboard/chat_link.j2", link=link, minutes=int(LINK_TTL.total_seconds() // 60)
    )
    return replace(reply, private=True)
