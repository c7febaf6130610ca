"""Merchant commands for the shop itself: opening it, products, staff, settings, groups."""

from __future__ import annotations

from dataclasses import replace

from handlers.args import OFF_WORDS, bars, need, product_id, usage, whole
from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.catalog import MAX_STOCK, NewProduct
from store.money import parse_amount
from store.product_admin import EDITABLE
from store.shops import SETTING_LIMITS, check_free_shipping, check_pay_note, check_shipping_fee

router = Router(topic=N_("Shop"))
ADD_USAGE = (
    "/addproduct <title> | <price> | <stock> [| <description> [| <category> [| <image url>]]]"
)
SETTING_NAMES = {"unpaid": "unpaid_timeout_minutes", "autocomplete": "autocomplete_days"}


@router.command("newshop", "开店", help=N_("Open a new shop; you become its owner"), usage="<name>")
async def newshop(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    if not cmd.raw_args:
        raise usage("/newshop <name>")
    await ctx.enter(await ctx.services.shops.create(cmd.raw_args, ctx.person))
    return ctx.reply("chat/shop_created.j2", buttons=[[ctx.button("Help", "/help")]])


@router.command("addproduct", "上架", help=N_("Add a product"), usage=ADD_USAGE[12:], merchant=True)
async def addproduct(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    parts = [p.strip() for p in bars(cmd.raw_args).split("|")]
    if len(parts) < 3 or len(parts) > 6:
        raise usage(ADD_USAGE)
    parts += [""] * (6 - len(parts))
    title, price, stock, description, category, image = parts
    product = await ctx.services.catalog.add_product(
        shop.id,
        NewProduct(
            title=title,
            price=parse_amount(price),
            stock=whole(stock, low=0, high=MAX_STOCK, code="bad_stock"),
            description=description,
            category=category or None,
            image_url=image or None,
        ),
    )
    return ctx.reply(
        "chat/product_saved.j2",
        product=product,
        buttons=[[ctx.button("View", f"/product {product.id}")]],
    )


@router.command(
    "price", "改价", help=N_("Change a product's price"), usage="<id> <price>", merchant=True
)
async def price(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    args = need(cmd.args, 2, "/price <id> <price>")
    product = await ctx.services.catalog.set_price(
        shop.id, product_id(args[0]), parse_amount(args[1])
    )
    return ctx.reply("chat/product_saved.j2", product=product)


@router.command(
    "stock", "库存", help=N_("Set a product's stock"), usage="<id> <qty>", merchant=True
)
async def stock(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    args = need(cmd.args, 2, "/stock <id> <qty>")
    qty = whole(args[1], low=0, high=MAX_STOCK, code="bad_stock")
    product = await ctx.services.catalog.set_stock(shop.id, product_id(args[0]), qty)
    return ctx.reply("chat/product_saved.j2", product=product)


EDIT_USAGE = "/edit <id> title|description|category|image <text>|off"


@router.command(
    "edit",
    "编辑商品",
    help=N_("Change a product's title, description, category or picture"),
    usage=EDIT_USAGE.removeprefix("/edit "),
    merchant=True,
)
async def edit(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    if len(cmd.args) < 2 or cmd.args[1].casefold() not in EDITABLE:
        raise usage(EDIT_USAGE)
    words = cmd.raw_args.split(None, 2)
    value = words[2] if len(words) > 2 else ""
    name = cmd.args[1].casefold()
    if value.casefold() in OFF_WORDS:
        value = ""  # no description, category or picture; a title can't go (refused)
    product = await ctx.services.product_admin.edit(shop.id, product_id(cmd.args[0]), name, value)
    return ctx.reply(
        "chat/product_saved.j2",
        product=product,
        buttons=[[ctx.button("View", f"/product {product.id}")]],
    )


async def _set_active(cmd: ParsedCommand, ctx: Context, active: bool) -> Reply:
    shop = ctx.require_staff()
    pid = product_id(need(cmd.args, 1, f"/{cmd.name} <id>")[0])
    product = await ctx.services.catalog.set_active(shop.id, pid, active)
    return ctx.reply("chat/product_saved.j2", product=product)


@router.command(
    "hide", "下架", help=N_("Hide a product from the catalog"), usage="<id>", merchant=True
)
async def hide(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await _set_active(cmd, ctx, False)


@router.command(
    "show", "重新上架", help=N_("Show a hidden product again"), usage="<id>", merchant=True
)
async def show(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await _set_active(cmd, ctx, True)


@router.command(
    "staff",
    "店员",
    help=N_("List, add, invite or remove staff"),
    usage="[add|remove <user> | invite]",
    merchant=True,
)
async def staff(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    if cmd.args and cmd.args[0].casefold() in ("invite", "邀请"):
        code = await ctx.services.staff_invites.issue(shop.id, ctx.person.id)
        return replace(ctx.reply("chat/staff_invite.j2", code=code), private=True)
    if cmd.args:
        action = cmd.args[0].casefold()
        if action not in ("add", "remove") or len(cmd.args) < 2:
            raise usage("/staff add|remove <user> | /staff invite")
        ctx.require_owner()
        person = await ctx.services.people.find(msg.platform, cmd.args[1])
        if action == "add":
            changed = await ctx.services.shops.add_staff(shop.id, ctx.person.id, person)
        else:
            changed = await ctx.services.shops.remove_staff(shop.id, ctx.person.id, person)
        return ctx.reply("chat/staff_changed.j2", action=action, person=person, changed=changed)
    members = await ctx.services.shops.staff(shop.id)
    return ctx.reply("chat/staff_list.j2", members=members)


@router.command(
    "joinstaff",
    "加入团队",
    help=N_("Join a shop's team with the owner's invitation code"),
    usage="<invitation code>",
    private=True,
)
async def joinstaff(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    if not cmd.raw_args:
        raise usage("/joinstaff <invitation code>")
    await ctx.enter(await ctx.services.staff_invites.join(cmd.raw_args, ctx.person))
    return ctx.reply("chat/staff_joined.j2", buttons=[[ctx.button("Dashboard", "/dashboard")]])


SETTINGS_USAGE = (
    "/settings unpaid <minutes> | autocomplete <days> | pay <how to pay> | pay off"
    " | shipping <fee> | freeship <amount> | freeship off"
)
SHIPPING_WORDS = ("shipping", "运费")
FREESHIP_WORDS = ("freeship", "包邮")


@router.command(
    "settings",
    "设置",
    help=N_("View or change the shop's timeouts, how to pay it and shipping"),
    usage=SETTINGS_USAGE.removeprefix("/settings "),
    merchant=True,
)
async def settings(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    if cmd.args:
        name = cmd.args[0].casefold()
        if len(cmd.args) < 2:
            raise usage(SETTINGS_USAGE)
        checked = _checked_setting(name, cmd)
        if checked is not None:
            ctx.shop = await ctx.services.shops.change_settings(shop.id, ctx.person.id, checked)
            return ctx.reply("chat/settings.j2", saved=True)
        key = SETTING_NAMES.get(name)
        if key is None:
            raise usage(SETTINGS_USAGE)
        low, high = SETTING_LIMITS[key]
        value = whole(cmd.args[1], low=low, high=high, code="setting_out_of_range")
        shop = await ctx.services.shops.update_setting(shop.id, ctx.person.id, key, value)
        ctx.shop = shop
    return ctx.reply("chat/settings.j2", saved=bool(cmd.args))


def _checked_setting(name: str, cmd: ParsedCommand) -> dict[str, object] | None:
    """/settings pay, shipping or freeship and its value, checked; None for other names."""
    if name in ("pay", "付款"):  # the rest of the line, lines and all
        note = cmd.raw_args.split(None, 1)[1]
        return {"pay_note": check_pay_note("" if note.casefold() in OFF_WORDS else note)}
    value = cmd.args[1]
    if name in SHIPPING_WORDS:
        return {"shipping_fee": check_shipping_fee(value)}
    if name in FREESHIP_WORDS:
        over = "" if value.casefold() in OFF_WORDS else value
        return {"free_shipping_over": check_free_shipping(over)}
    return None


@router.command("bindgroup", "绑定群", help=N_("Bind this group chat to your shop"), merchant=True)
async def bindgroup(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    if not msg.is_group:
        return ctx.reply("chat/bindgroup_private.j2")
    await ctx.require_group_admin()  # a member who opened a shop can't take the group
    await ctx.services.shops.bind_group(shop.id, ctx.person.id, msg.platform, msg.chat_id)
    return ctx.reply("chat/bindgroup_done.j2")
