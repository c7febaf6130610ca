"""Accounts and privacy: /link identities across platforms, /mydata export, /deleteme."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.accounts.service import CODE_TTL, EXPORT_INTERVAL, EXPORT_TTL

router = Router(topic=N_("Account"))
CONFIRM = ("confirm", "确认")


def _minutes(ttl: timedelta) -> int:
    return int(ttl.total_seconds() // 60)


@router.command(
    "link",
    "关联账号",
    "绑定账号",
    help=N_("Link your accounts on Telegram and WeChat: one code, then everything is shared"),
    usage="[<link code> [confirm]]",
    private=True,
)
async def link(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    accounts = ctx.services.accounts
    if not cmd.raw_args:
        code = await accounts.start_link(ctx.identity)
        reply = ctx.reply("accounts/link_code.j2", code=code, minutes=_minutes(CODE_TTL))
    elif len(cmd.args) > 1 and cmd.args[-1].casefold() in CONFIRM:
        linked = await accounts.link(ctx.identity, " ".join(cmd.args[:-1]))
        reply = ctx.reply("accounts/linked.j2", platforms=linked.platforms)
    else:
        # Whoever was handed somebody else's code would give them this account: say whose
        # it is, and link only on a second, deliberate step.
        code = cmd.raw_args.strip()
        preview = await accounts.link_preview(ctx.identity, code)
        confirm = ctx.button("Yes, both are mine: link", f"/link {code} confirm")
        reply = ctx.reply(
            "accounts/link_confirm.j2", preview=preview, code=code, buttons=[[confirm]]
        )
    return replace(reply, private=True)


@router.command(
    "mydata",
    "我的数据",
    help=N_("Download everything stored about you"),
    private=True,
)
async def mydata(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    url = await ctx.services.accounts.request_export(ctx.person.id)
    reply = ctx.reply(
        "accounts/export.j2",
        link=url,
        minutes=_minutes(EXPORT_TTL),
        interval=_minutes(EXPORT_INTERVAL),
    )
    return replace(reply, private=True)


@router.command(
    "deleteme",
    "注销",
    "删除我的数据",
    help=N_("Erase your personal data (asks you to confirm first)"),
    usage="[confirm <confirmation code>]",
    private=True,
)
async def deleteme(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    accounts = ctx.services.accounts
    if cmd.args and cmd.args[0].casefold() in CONFIRM:
        identities = await accounts.erase(ctx.person.id, " ".join(cmd.args[1:]))
        for ident in identities:  # half-typed checkouts hold a name and an address
            await ctx.state.delete(f"{ident.platform}:{ident.platform_user_id}")
        return replace(ctx.reply("accounts/erased.j2"), private=True)
    code = await accounts.start_erase(ctx.identity)
    reply = ctx.reply(
        "accounts/erase_ask.j2",
        code=code,
        minutes=_minutes(CODE_TTL),
        buttons=[[ctx.button("Erase my data", f"/deleteme confirm {code}")]],
    )
    return replace(reply, private=True)
