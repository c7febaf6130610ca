"""Start, help, language and shop choice."""

from __future__ import annotations

from handlers.args import usage
from handlers.context import Context
from handlers.i18n import LOCALES, N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.errors import ShopNotFound

router = Router()


def welcome(ctx: Context) -> Reply:
    buttons = [
        [ctx.button("Browse products", "/catalog"), ctx.button("My cart", "/cart")],
        [ctx.button("My orders", "/orders"), ctx.button("Help", "/help")],
    ]
    # Some platforms (WeChat) give no name: then the id stands in it, and we greet without it.
    name = ctx.identity.display_name
    return ctx.reply(
        "chat/welcome.j2", buttons=buttons, name="" if name == ctx.msg.user_id else name
    )


@router.command("start", "开始", help=N_("Start: see what the shop offers"), usage="[payload]")
async def start(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> list[Reply]:
    payload = (cmd.args[0] if cmd.args else msg.start_payload or "").strip()
    if payload.startswith("shop_"):
        await _choose_shop(payload.removeprefix("shop_"), ctx)
        return [welcome(ctx)]
    prefix, _, _ = payload.partition("_")
    hook = ctx.start_hooks.get(prefix)
    if hook is not None and ctx.shop is not None:
        return [welcome(ctx), *await hook(payload, ctx)]
    return [welcome(ctx)]


async def _choose_shop(slug: str, ctx: Context) -> None:
    shop = await ctx.services.shops.by_slug(slug)
    await ctx.services.people.set_current_shop(ctx.identity.id, shop.id)
    ctx.shop = shop
    ctx.role = await ctx.services.shops.role_of(shop.id, ctx.person.id)


@router.command("help", "帮助", "?", help=N_("List the commands"))
async def help_(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    registry = ctx.registry
    if cmd.args:
        spec = registry.lookup(cmd.args[0].lstrip("/"))
        if spec is not None:
            return ctx.reply("chat/help_one.j2", spec=spec, help=ctx.t(spec.help))
    lines = [
        (spec.name, spec.aliases[0] if spec.aliases else "", spec.usage, ctx.t(spec.help))
        for spec in registry.specs
        if not spec.hidden and not spec.merchant
    ]
    merchant = (
        [
            (spec.name, spec.aliases[0] if spec.aliases else "", spec.usage, ctx.t(spec.help))
            for spec in registry.specs
            if spec.merchant and not spec.hidden
        ]
        if ctx.role
        else []
    )
    return ctx.reply("chat/help.j2", lines=lines, merchant=merchant)


@router.command("lang", "语言", help=N_("Switch language: /lang zh or /lang en"), usage="zh|en")
async def lang(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    choice = {"zh": "zh_CN", "zh_cn": "zh_CN", "中文": "zh_CN", "en": "en", "english": "en"}.get(
        cmd.args[0].casefold() if cmd.args else ""
    )
    if choice not in LOCALES:
        raise usage("/lang zh|en")
    await ctx.services.people.set_locale(ctx.person.id, choice)
    ctx.locale = choice
    return ctx.reply("chat/lang_set.j2")


@router.command("shop", "店铺", help=N_("Choose a shop by its name"), usage="<shop>")
async def shop(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    if not cmd.args:
        if ctx.shop is None:
            raise ShopNotFound("no_shop")
        return ctx.reply("chat/shop_current.j2")
    await _choose_shop(cmd.args[0], ctx)
    return welcome(ctx)
