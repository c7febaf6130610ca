"""Start, help, language and shop choice."""

from __future__ import annotations

from handlers.args import usage
from handlers.context import Context
from handlers.engine import unknown_command
from handlers.i18n import LOCALES, N_
from handlers.router import CommandSpec, Router
from handlers.types import Incoming, ParsedCommand, Reply
from handlers.usage_text import localise_usage
from store.errors import ShopNotFound

router = Router(topic=N_("General"))


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
        # The hook first: a link of another shop's agent or group enters that shop, and the
        # welcome names the shop the person is now in.
        replies = await hook(payload, ctx)
        return [welcome(ctx), *replies]
    return [welcome(ctx)]


async def _choose_shop(slug: str, ctx: Context) -> None:
    await ctx.enter(await ctx.services.shops.find(slug))


@router.command("help", "帮助", "?", help=N_("List the commands"), usage="[command|all]")
async def help_(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    """By topic, names only, so it fits one WeChat reply; `/help all` has every description."""
    registry = ctx.registry
    word = cmd.args[0].lstrip("/") if cmd.args else ""
    if word and word.casefold() not in ALL_WORDS:
        spec = registry.lookup(word)
        if spec is not None:
            return ctx.reply(
                "chat/help_one.j2",
                spec=spec,
                usage=localise_usage(ctx.locale, spec.usage),
                help=ctx.t(spec.help),
                staff_usage=localise_usage(ctx.locale, spec.staff_usage) if ctx.role else "",
            )
        return unknown_command(word, ctx)  # not silently the overview: it may be a typo
    listed = [s for s in registry.specs if not s.hidden]
    customer = [s for s in listed if not s.merchant]
    # shared commands whose other forms only the team may use are listed for them twice
    merchant = [s for s in listed if s.merchant or s.staff_usage] if ctx.role else []
    if word.casefold() in ALL_WORDS:
        return ctx.reply(
            "chat/help.j2",
            lines=_described(customer, ctx),
            merchant=_described(merchant, ctx, staff=True),
        )
    return ctx.reply(
        "chat/help_topics.j2", customer=_by_topic(customer, ctx), merchant=_by_topic(merchant, ctx)
    )


ALL_WORDS = ("all", "全部")


def _described(
    specs: list[CommandSpec], ctx: Context, staff: bool = False
) -> list[tuple[str, str, str, str]]:
    return [
        (
            s.name,
            s.aliases[0] if s.aliases else "",
            localise_usage(ctx.locale, s.staff_usage if staff and s.staff_usage else s.usage),
            ctx.t(s.help),
        )
        for s in specs
    ]


def _by_topic(specs: list[CommandSpec], ctx: Context) -> list[tuple[str, list[str]]]:
    """Topic heading -> command names, topics in the order their first command appears."""
    topics: dict[str, list[str]] = {}
    for spec in specs:
        names = topics.setdefault(ctx.t(spec.topic or N_("More")), [])
        if spec.name not in names:
            names.append(spec.name)
    return list(topics.items())


# What a person may write after /lang (语言): the codes, and each language's name in both.
LANG_WORDS = {
    **dict.fromkeys(("zh", "zh_cn", "中文", "汉语", "简体中文", "chinese"), "zh_CN"),
    **dict.fromkeys(("en", "english", "英文", "英语"), "en"),
}


@router.command("lang", "语言", help=N_("Switch language: /lang zh or /lang en"), usage="zh|en")
async def lang(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    choice = LANG_WORDS.get(cmd.args[0].casefold().replace("-", "_") if cmd.args else "")
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
    await _choose_shop(cmd.raw_args, ctx)
    return welcome(ctx)
