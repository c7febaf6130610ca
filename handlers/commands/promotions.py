"""Promotions in the chat: coupons (优惠券), 满减 rules, flash sales (限时抢购), points at
checkout, and the merchant's partial refunds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from handlers.args import (
    MAX_ID,
    OFF_WORDS,
    need,
    product_id,
    read_field,
    shop_date,
    split_options,
    usage,
    whole,
)
from handlers.commands.cart import show_quote
from handlers.commands.checkout import reconfirm
from handlers.commands.merchant_orders import KEEP_WORDS, merchant_order_reply
from handlers.context import Context
from handlers.groupbuy_cards import time_left
from handlers.i18n import N_
from handlers.labels import clip
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.groupbuy.durations import parse_duration
from store.models import Product
from store.money import parse_amount
from store.promotions.errors import BadPromotion
from store.promotions.models import CouponKind, FlashSale
from store.promotions.service import NewCoupon, NewFlashSale

router = Router(topic=N_("Promotions"))
COUPON_NEW = (
    "/coupon new <coupon code> <amount | percent%> "
    "[min=<spend>] [until=<date>] [uses=<n>] [per=<n>]"
)
FLASH_NEW = "/flash <product id> <price> <start|now> <end|duration> cap=<n> limit=<n>"
REFUND_ITEM = "/refunditem <order no> <line #> [qty] [keep] [reason]"
NEW_WORDS = ("new", "add", "新建", "添加")
END_WORDS = ("end", "stop", "remove", "结束", "删除")


def coupon_value(text: str) -> tuple[CouponKind, Decimal]:
    """`10` (an amount off) or `15%` (a percentage off)."""
    text = text.strip()
    kind = CouponKind.PERCENT if text.endswith(("%", "％")) else CouponKind.AMOUNT
    return kind, parse_amount(text.rstrip("%％"))


def _ended_id(ctx: Context, args: list[str], usage_text: str) -> int:
    """The #id after `/<command> end|remove`, which only staff may give."""
    ctx.require_staff()
    return whole(need(args, 2, usage_text)[1].lstrip("#"))


def _count(options: dict[str, str], key: str) -> int | None:
    return whole(options[key], high=100_000) if key in options else None


# -- coupons ------------------------------------------------------------------------------------
@router.command(
    "coupon",
    "优惠券",
    "用券",
    help=N_("Use a coupon on your next order (/coupon off removes it)"),
    usage="<coupon code> | off",
    staff_usage="new <coupon code> <amount|n%> [min=] [until=] [uses=] [per=] | end <coupon code>",
)
async def coupon(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    word = cmd.args[0].casefold() if cmd.args else ""
    if word in NEW_WORDS:
        return await _coupon_new(ctx, cmd.args[1:])
    if word in END_WORDS:
        ctx.require_staff()
        code = need(cmd.args, 2, "/coupon end <coupon code>")[1]
        ended = await ctx.services.promotions.end_coupon(shop.id, code)
        return ctx.reply("promotions/coupon_saved.j2", coupon=ended)
    pricing = ctx.services.orders.pricing
    if not word:
        raise usage("/coupon <coupon code> | off")
    if word in OFF_WORDS:
        await pricing.drop_coupon(ctx.person.id, shop.id)
        return await _requote(ctx, ctx.t("Coupon removed."))
    applied, replaced = await pricing.apply_coupon(ctx.person.id, shop.id, cmd.args[0])
    note = (
        ctx.t("Coupon {code} applied instead of {old}.", code=applied.code, old=replaced.code)
        if replaced
        else ctx.t("Coupon {code} applied.", code=applied.code)
    )
    return await _requote(ctx, note)


async def _requote(ctx: Context, note: str = "") -> Reply:
    """The checkout confirmation when checkout is waiting on it, else the cart."""
    return await reconfirm(ctx, note) or await show_quote(ctx, note=note)


async def _coupon_new(ctx: Context, args: list[str]) -> Reply:
    shop = ctx.require_staff()
    words, options = split_options(args, {"min", "until", "uses", "per"})
    if len(words) != 2:
        raise usage(COUPON_NEW)
    if words[0].casefold() in (*NEW_WORDS, *END_WORDS, *OFF_WORDS):  # /coupon <word> is taken
        raise BadPromotion("coupon_bad_code", name=words[0][:30])
    kind, value = coupon_value(words[1])
    new = NewCoupon(
        code=words[0],
        kind=kind,
        value=value,
        min_spend=parse_amount(options["min"], allow_zero=True) if "min" in options else Decimal(0),
        ends_at=shop_date(options["until"], ZoneInfo(shop.timezone), end=True)
        if "until" in options
        else None,
        uses=_count(options, "uses"),
        per_customer=_count(options, "per") or 1,
    )
    saved = await ctx.services.promotions.create_coupon(shop.id, new)
    return ctx.reply("promotions/coupon_saved.j2", coupon=saved)


@router.command(
    "coupons",
    "优惠券列表",
    help=N_("The shop's coupons and how often each was used"),
    merchant=True,
)
async def coupons(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    found = await ctx.services.promotions.coupons(shop.id)
    return ctx.reply("promotions/coupons.j2", coupons=found)


# -- points -------------------------------------------------------------------------------------
@router.command(
    "usepoints",
    "用积分",
    "积分抵扣",
    help=N_("Pay part of your next order with points (max, or 0 for none)"),
    usage="<n> | max | 0",
)
async def usepoints(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    word = need(cmd.args, 1, "/usepoints <n> | max | 0")[0].casefold()
    pricing = ctx.services.orders.pricing
    if word in ("max", "all", "最多", "全部"):
        await pricing.use_points(ctx.person.id, shop.id, None)
    else:
        points = whole(word, low=0, high=MAX_ID, code="points_bad_number")
        await pricing.use_points(ctx.person.id, shop.id, points)
    return await _requote(ctx)


# -- 满减 ---------------------------------------------------------------------------------------
@router.command(
    "fullreduce",
    "满减",
    help=N_("The shop's spend-and-save (满减) rules"),
    staff_usage="<spend> <off> | remove <id>",
)
async def fullreduce(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    promotions = ctx.services.promotions
    args = cmd.args
    if args and args[0].casefold() in END_WORDS:
        await promotions.remove_rule(shop.id, _ended_id(ctx, args, "/fullreduce remove <id>"))
    elif args:
        ctx.require_staff()
        if len(args) != 2:
            raise usage("/fullreduce <spend> <off> | remove <id>")
        await promotions.add_rule(shop.id, parse_amount(args[0]), parse_amount(args[1]))
    return ctx.reply("promotions/rules.j2", rules=await promotions.rules(shop.id))


# -- flash sales --------------------------------------------------------------------------------
@router.command(
    "flash",
    "限时抢购",
    "秒杀",
    help=N_("Flash sales: a product at a special price for a while"),
    staff_usage="<product id> <price> <start|now> <end|duration> cap=<n> limit=<n> | end <id>",
)
async def flash(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    promotions = ctx.services.promotions
    args = cmd.args
    if args and args[0].casefold() in END_WORDS:
        ended = await promotions.end_flash(shop.id, _ended_id(ctx, args, "/flash end <id>"))
        return ctx.reply("promotions/flash_saved.j2", sale=ended, ended=True)
    if args:
        return await _flash_new(ctx, args)
    sales = await promotions.flash_sales(shop.id)
    now = ctx.services.clock()
    buttons = [
        [ctx.button("Add {title}", f"/add {s.product.id} 1", title=clip(s.product.title, 20))]
        for s in sales[:5]
        if s.starts_at <= now
    ]
    return ctx.reply(
        "promotions/flash_list.j2",
        sales=sales,
        now=now,
        left=lambda when: time_left(ctx.locale, (when - now).total_seconds()),
        buttons=buttons,
    )


async def _flash_new(ctx: Context, args: list[str]) -> Reply:
    shop = ctx.require_staff()
    words, options = split_options(args, {"cap", "limit"})
    if len(words) != 4 or not {"cap", "limit"} <= set(options):
        raise usage(FLASH_NEW)
    tz = ZoneInfo(shop.timezone)
    fields = dict(zip(("product", "price", "start", "end"), words, strict=True)) | options
    new = new_flash_sale(fields, tz, ctx.services.clock())
    sale = await ctx.services.promotions.create_flash(shop.id, new)
    await sale.fetch_related("product")
    return ctx.reply("promotions/flash_saved.j2", sale=sale, ended=False)


def new_flash_sale(values: dict[str, str], tz: ZoneInfo, now: datetime) -> NewFlashSale:
    """A flash sale from its fields as typed: `product`, `price`, `start` (`now` or a date),
    `end` (a duration from the start, or a date), `cap`, `limit` (see read_field)."""

    def starts_at(text: str) -> datetime:
        return (
            now
            if text.strip().casefold() in ("now", "现在", "")
            else shop_date(text, tz, end=False)
        )

    read = partial(read_field, values)
    starts = read("start", starts_at) or now
    return NewFlashSale(
        product_id=read("product", product_id),
        price=read("price", parse_amount),
        starts_at=starts,
        ends_at=read("end", lambda text: _flash_end(text, starts, tz)),
        cap=read("cap", lambda v: whole(v, high=100_000)),
        per_customer=read("limit", lambda v: whole(v, high=100_000)),
    )


def _flash_end(text: str, starts: datetime, tz: ZoneInfo) -> datetime:
    """`2h`, `90m`: that long after the start; a date or a date and time: then."""
    if text[:1].isdigit() and text[-1:].casefold() in "smhd":
        return starts + timedelta(seconds=parse_duration(text))
    return shop_date(text, tz, end=True)


@dataclass(frozen=True, slots=True)
class FlashCard:
    sale: FlashSale
    left: str  # time left, e.g. "2h 15m"


async def flash_card(ctx: Context, product: Product) -> FlashCard | None:
    """The running flash sale of a product card, with its countdown from the store clock."""
    now = ctx.services.clock()
    shop_id: int = product.shop_id  # type: ignore[attr-defined]
    sale = (await ctx.services.promotions.running_flash(shop_id, [product.id], now)).get(product.id)
    if sale is None or sale.sold >= sale.cap:
        return None
    return FlashCard(sale, time_left(ctx.locale, (sale.ends_at - now).total_seconds()))


# -- partial refunds ----------------------------------------------------------------------------
@router.command(
    "refunditem",
    "部分退款",
    "退部分",
    help=N_("Refund some units of one line of an order"),
    usage="<order no> <line #> [qty] [keep] [reason]",
    merchant=True,
    private=True,
)
async def refunditem(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> list[Reply]:
    shop = ctx.require_staff()
    args = need(cmd.args, 2, REFUND_ITEM)
    order = await ctx.services.orders.for_shop(args[0], shop.id)
    line = whole(args[1].lstrip("#"), high=1000)
    rest = args[2:]
    quantity = None
    if rest and rest[0].isdigit():
        quantity = whole(rest[0], high=1000)
        rest = rest[1:]
    keep = bool(rest) and rest[0].casefold() in KEEP_WORDS
    done, amount = await ctx.services.orders.refund_items(
        order, line, quantity, " ".join(rest[keep:]), restock=not keep
    )
    note = ctx.reply("promotions/refunded_part.j2", order=done, line=line, amount=amount)
    return [note, await merchant_order_reply(ctx, done)]
