"""Loyalty (积分 / 会员): customers see their points and level; the owner sets the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.args import need, split_options, usage, whole
from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.errors import InvalidInput
from store.loyalty.rules import MAX_POINTS, MAX_REDEEM
from store.money import parse_amount

router = Router(topic=N_("Points"))
RULE_USAGE = "/pointsrule [earn=<points per 1 paid>] [value=<points per 1>] [cap=<%>] | on | off"
RULE_KEYS = {"earn", "value", "cap"}
LEVEL_USAGE = "/level add <name> <min total spend> <discount %> | /level remove <name>"
ADJUST_USAGE = "/pointsadjust <user> <+points|-points> [note]"
ON, OFF = ("on", "开启", "打开"), ("off", "关闭")
ADD, REMOVE = ("add", "添加", "设置"), ("remove", "删除")


@router.command(
    "points",
    "积分",
    "我的积分",
    help=N_("Your points, member level and points history"),
    staff_usage="<user>",
    private=True,
)
async def points(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    person = ctx.person
    if cmd.args:  # staff look up a customer
        ctx.require_staff()
        person = await ctx.services.people.find(msg.platform, cmd.args[0])
    report = await ctx.services.loyalty.report(shop.id, person.id)
    return _reply(
        ctx,
        "loyalty/points.j2",
        report=report,
        own=person.id == ctx.person.id,
        person=person,
    )


@router.command(
    "pointsrule",
    "积分规则",
    help=N_("How customers earn and spend points (owner changes it)"),
    usage="[earn=<n>] [value=<n>] [cap=<%>] | on | off",
    merchant=True,
)
async def pointsrule(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    loyalty = ctx.services.loyalty
    if not cmd.args:
        return _reply(ctx, "loyalty/rule.j2", rule=await loyalty.rule(shop.id), saved=False)
    ctx.require_owner()
    word = cmd.args[0].casefold()
    if len(cmd.args) == 1 and word in OFF:
        rule = await loyalty.switch_off(shop.id)
    elif len(cmd.args) == 1 and word in ON:
        rule = await loyalty.set_rule(shop.id)
    else:
        earn, redeem, cap = rule_args(cmd.args)
        rule = await loyalty.set_rule(shop.id, earn=earn, redeem=redeem, cap=cap)
    return _reply(ctx, "loyalty/rule.j2", rule=rule, saved=True)


def rule_args(args: list[str]) -> tuple[Decimal | None, int | None, int | None]:
    """earn=1.5 value=100 cap=20, in any order and any subset; anything else is refused."""
    words, values = split_options(args, RULE_KEYS)
    if words:
        raise usage(RULE_USAGE)
    earn, redeem, cap = (values.get(key) for key in ("earn", "value", "cap"))
    return (
        None if earn is None else decimal_arg(earn, "points_bad_earn"),
        None if redeem is None else whole(redeem, high=MAX_REDEEM, code="points_bad_value"),
        None if cap is None else whole(cap.rstrip("%"), low=0, high=100, code="points_bad_cap"),
    )


def decimal_arg(text: str, code: str) -> Decimal:
    """A rate or a percentage (`1.5`, `15%`): 2 decimals at most, refused with `code`."""
    try:
        return parse_amount(text.rstrip("%"), allow_zero=True)
    except InvalidInput:
        raise InvalidInput(code, value=text[:20], high=100) from None


@router.command("levels", "会员等级", help=N_("The shop's member levels and their discounts"))
async def levels(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    return await _levels_reply(ctx, shop.id, saved=False)


@router.command(
    "level",
    "等级",
    help=N_("Add, change or remove a member level (owner)"),
    usage="add <name> <min total spend> <discount %> | remove <name>",
    merchant=True,
)
async def level(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_owner()
    args = need(cmd.args, 2, LEVEL_USAGE)
    action = args[0].casefold()
    loyalty = ctx.services.loyalty
    if action in ADD and len(args) == 4:
        spend = parse_amount(args[2], allow_zero=True)
        await loyalty.set_level(shop.id, args[1], spend, decimal_arg(args[3], "level_bad_discount"))
    elif action in REMOVE and len(args) == 2:
        await loyalty.remove_level(shop.id, args[1])
    else:
        raise usage(LEVEL_USAGE)
    return await _levels_reply(ctx, shop.id, saved=True)


@router.command(
    "pointsadjust",
    "积分调整",
    help=N_("Correct a customer's points by hand (owner)"),
    usage="<user> <+points|-points> [note]",
    merchant=True,
)
async def pointsadjust(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_owner()
    args = need(cmd.args, 2, ADJUST_USAGE)
    text = args[1]
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if text[0] in "+-" else text
    # 0 reaches the service, whose refusal says why (points_bad_adjust)
    amount = sign * whole(digits, low=0, high=MAX_POINTS, code="points_bad_number")
    person = await ctx.services.people.find(msg.platform, args[0])
    note = cmd.raw_args.split(None, 2)[2] if len(args) > 2 else ""
    balance = await ctx.services.loyalty.adjust(shop.id, person.id, amount, note)
    return ctx.reply("loyalty/adjusted.j2", person=person, points=amount, balance=balance)


async def _levels_reply(ctx: Context, shop_id: int, saved: bool) -> Reply:
    found = await ctx.services.loyalty.levels(shop_id)
    return _reply(ctx, "loyalty/levels.j2", levels=found, saved=saved, merchant=bool(ctx.role))


def _reply(ctx: Context, template: str, **values: Any) -> Reply:
    return ctx.reply(template, pct=plain_decimal, **values)


def plain_decimal(value: Decimal) -> str:
    """5.00 -> 5, 7.50 -> 7.5: percentages and rates as people write them."""
    return f"{value.normalize():f}"
