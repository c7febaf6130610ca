"""Group buying (拼团) in the chat: offers, opening and joining groups, the merchant's side."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from handlers.args import (
    need,
    product_id,
    read_field,
    shop_date,
    split_options,
    usage,
    whole,
)
from handlers.context import Context
from handlers.groupbuy_cards import CardShown, time_left
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Button, Incoming, ParsedCommand, Reply
from store.errors import InvalidInput
from store.groupbuy.durations import parse_duration
from store.groupbuy.errors import GroupUnavailable
from store.groupbuy.models import GroupBuy, GroupStatus
from store.groupbuy.service import (
    DEFAULT_PAY_SECONDS,
    MAX_PER_CUSTOMER,
    MAX_SIZE,
    MIN_SIZE,
    NewCampaign,
    Seat,
)
from store.money import parse_amount
from store.orders import Contact, check_address, check_name, check_phone

router = Router(topic=N_("Group buying"))
FLOW = "groupbuy"
NEW_USAGE = (
    "/gbnew <product id> <group price> <size> <duration> [end date] "
    "[leader=<price> | reward=<amount>] [min=<n>] [limit=<n>] [cap=<n>] [pay=<duration>] "
    "[start=<date>]"
)
_ASK = {
    "name": "groupbuy/ask_name.j2",
    "phone": "groupbuy/ask_phone.j2",
    "address": "groupbuy/ask_address.j2",
}
_CHECK = {"name": check_name, "phone": check_phone, "address": check_address}
_NEXT = {"name": "phone", "phone": "address"}
_STATE = {
    GroupStatus.COMPLETED: N_("complete"),
    GroupStatus.FAILED: N_("not filled, refunded"),
}


def _left(ctx: Context):  # type: ignore[no-untyped-def]
    now = ctx.services.clock()
    return lambda g: time_left(ctx.locale, (g.expires_at - now).total_seconds())


def _join_buttons(ctx: Context, groups: list[GroupBuy]) -> list[list[Button]]:
    return [
        [ctx.button("Join {code}", f"/join {g.code}", code=g.code) for g in groups[i : i + 2]]
        for i in range(0, len(groups), 2)
    ]


# -- customers ---------------------------------------------------------------------------
@router.command("groupbuys", "拼团", "团购", help=N_("Group buys: pay less together"))
async def groupbuys(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    gb = ctx.services.groupbuys
    rows = [(c, await gb.open_groups(c.id)) for c in await gb.active_campaigns(shop.id)]
    buttons: list[list[Button]] = []
    for c, groups in rows:
        buttons += _join_buttons(ctx, groups)
        buttons.append([ctx.button("Open a group of #{id}", f"/gbopen {c.id}", id=c.id)])
    return ctx.reply("groupbuy/list.j2", rows=rows, left=_left(ctx), buttons=buttons)


@router.command(
    "gbopen", "开团", help=N_("Open a group buy and invite friends"), usage="<offer no>"
)
async def gbopen(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> list[Reply]:
    campaign_id = whole(need(cmd.args, 1, "/gbopen <offer no>")[0].lstrip("#"))
    campaign = await ctx.services.groupbuys.campaign(ctx.require_shop().id, campaign_id)
    await ctx.services.groupbuys.check_open(campaign, ctx.person.id)
    return await _with_contact(ctx, {"kind": "open", "campaign": campaign.id})


@router.command("join", "参团", help=N_("Join a group buy by its code"), usage="<group code>")
async def join(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> list[Reply]:
    return await _join(need(cmd.args, 1, "/join <group code>")[0], ctx)


async def start_hook(payload: str, ctx: Context) -> list[Reply]:
    """Deep link / QR scene gb_<code>: join at once, in the group's own shop."""
    group = await ctx.services.groupbuys.group(payload.removeprefix("gb_"))
    if ctx.shop is None or ctx.shop.id != group.shop_id:  # type: ignore[attr-defined]
        await ctx.enter(await ctx.services.shops.get(group.shop_id))  # type: ignore[attr-defined]
    return await _join(group.code, ctx)


async def _join(code: str, ctx: Context) -> list[Reply]:
    group = await ctx.services.groupbuys.group(code, ctx.require_shop().id)
    try:
        await ctx.services.groupbuys.check_join(group, ctx.person.id)
    except GroupUnavailable as err:
        return [await _alternatives(ctx, err)]
    return await _with_contact(ctx, {"kind": "join", "code": group.code})


@router.command("mygroups", "我的拼团", help=N_("Your group buys"), private=True)
async def mygroups(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    seats = await ctx.services.groupbuys.seats_of(ctx.person.id, ctx.require_shop().id)
    left = _left(ctx)

    def group_state(group: GroupBuy) -> str:
        if group.status == GroupStatus.OPEN:
            return ctx.t("open, {left} left", left=left(group))
        return ctx.t(_STATE[GroupStatus(group.status)])

    buttons = [[ctx.button("Group buys", "/groupbuys")]]
    return ctx.reply("groupbuy/mygroups.j2", seats=seats, group_state=group_state, buttons=buttons)


@router.command(
    "gbcard", "拼团卡片", help=N_("Show a group's live card here"), usage="<group code>"
)
async def gbcard(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> list[Reply]:
    code = need(cmd.args, 1, "/gbcard <group code>")[0]
    group = await ctx.services.groupbuys.group(code, ctx.require_shop().id)
    await _show_card(ctx, group.id)
    return []


# -- the contact flow, then the seat -------------------------------------------------------
async def _with_contact(ctx: Context, action: dict[str, Any]) -> list[Reply]:
    """Seats are orders: reuse the last delivery contact, or ask for one first."""
    action = {**action, "chat": ctx.msg.chat_id, "account": ctx.msg.account}
    last = await ctx.services.orders.last_for_person(ctx.person.id)
    if last is not None:
        return await _take(ctx, action, Contact(last.contact_name, last.phone, last.address))
    return [await _ask(ctx, "name", {}, action)]


async def _ask(ctx: Context, step: str, data: dict[str, Any], action: dict[str, Any]) -> Reply:
    await ctx.state.set(ctx.state_key, {"flow": FLOW, "step": step, "data": data, "action": action})
    reply = ctx.reply(_ASK[step], buttons=[[ctx.button("Cancel", "/cancel")]])
    return Reply(text=reply.text, buttons=reply.buttons, private=True)


async def groupbuy_step(text: str, ctx: Context, flow: dict[str, Any]) -> list[Reply]:
    """One answer of the delivery questions; after the address, the seat is taken."""
    step, data, action = flow["step"], dict(flow["data"]), flow["action"]
    data[step] = _CHECK[step](text)
    if step in _NEXT:
        return [await _ask(ctx, _NEXT[step], data, action)]
    await ctx.state.delete(ctx.state_key)
    return await _take(ctx, action, Contact(data["name"], data["phone"], data["address"]))


async def _take(ctx: Context, action: dict[str, Any], contact: Contact) -> list[Reply]:
    gb = ctx.services.groupbuys
    shop = ctx.require_shop()
    try:
        if action["kind"] == "open":
            seat = await gb.open_group(shop.id, action["campaign"], ctx.person.id, contact)
        else:
            seat = await gb.join(shop.id, action["code"], ctx.person.id, contact)
    except GroupUnavailable as err:
        return [await _alternatives(ctx, err)]
    await _show_card(ctx, seat.group.id, chat_id=action["chat"], account=action["account"])
    return [_seat_reply(ctx, seat)]


def _seat_reply(ctx: Context, seat: Seat) -> Reply:
    now = ctx.services.clock()
    reply = ctx.reply(
        "groupbuy/seat.j2",
        group=seat.group,
        order=seat.order,
        leader=seat.leader,
        left=time_left(ctx.locale, (seat.group.expires_at - now).total_seconds()),
        pay_left=time_left(ctx.locale, (seat.order.pay_deadline - now).total_seconds()),
        buttons=[
            [
                ctx.button("Cancel order", f"/cancel {seat.order.order_no}"),
                ctx.button("My group buys", "/mygroups"),
            ]
        ],
    )
    return Reply(
        text=reply.text, buttons=reply.buttons, private=True, pay_order_no=seat.order.order_no
    )


async def _alternatives(ctx: Context, err: GroupUnavailable) -> Reply:
    """Never a silent move: say why, and offer the other groups and a new one."""
    groups = await ctx.services.groupbuys.open_groups(err.campaign_id)
    buttons = _join_buttons(ctx, groups)
    buttons.append([ctx.button("Open a new group", f"/gbopen {err.campaign_id}")])
    reply = ctx.reply(
        "groupbuy/unavailable.j2",
        reason=err.reason,
        code=err.params["group"],
        groups=groups,
        campaign_id=err.campaign_id,
        left=_left(ctx),
        buttons=buttons,
    )
    return Reply(text=reply.text, buttons=reply.buttons, private=True)


async def _show_card(
    ctx: Context, group_id: int, chat_id: str | None = None, account: str | None = None
) -> None:
    await ctx.services.bus.publish(
        [
            CardShown(
                group_id=group_id,
                platform=ctx.msg.platform,
                chat_id=chat_id or ctx.msg.chat_id,
                account=ctx.msg.account if account is None else account,
                locale=ctx.locale,
            )
        ]
    )


# -- merchants ---------------------------------------------------------------------------
CAMPAIGN_OPTIONS = {"leader", "reward", "min", "limit", "cap", "pay", "start"}


def new_campaign(values: dict[str, str], tz: ZoneInfo) -> NewCampaign:
    """An offer from its fields as typed: `product`, `price`, `size`, `duration`, and the
    optional `until` and CAMPAIGN_OPTIONS (see read_field for how a refusal names its field)."""
    read = partial(read_field, values)
    group_price = read("price", parse_amount)
    return NewCampaign(
        product_id=read("product", product_id),
        group_price=group_price,
        size=read("size", lambda v: whole(v, low=MIN_SIZE, high=MAX_SIZE, code="gb_bad_size")),
        group_seconds=read("duration", parse_duration),
        ends_at=read("until", lambda v: shop_date(v, tz, end=True)),
        starts_at=read("start", lambda v: shop_date(v, tz, end=False)),
        leader_price=_leader_price(values, group_price, read),
        min_members=read(
            "min", lambda v: whole(v, low=MIN_SIZE, high=MAX_SIZE, code="gb_min_members")
        ),
        per_customer=read(
            "limit", lambda v: whole(v, high=MAX_PER_CUSTOMER, code="gb_per_customer"), 1
        ),
        seat_cap=read("cap", lambda v: whole(v, code="gb_cap")),
        pay_seconds=read("pay", lambda v: parse_duration(v, low=60), DEFAULT_PAY_SECONDS),
    )


def _leader_price(
    values: dict[str, str], group_price: Decimal, read: Callable[..., Any]
) -> Decimal | None:
    """The leader's benefit: their own price, or a fixed reward taken off the group price
    when they pay (a failed group refunds everyone, so paying it later would be the same)."""
    if "leader" in values and "reward" in values:
        raise InvalidInput("gb_leader_twice", field="reward")
    reward = read("reward", parse_amount)
    if reward is not None:
        if reward >= group_price:
            raise InvalidInput("gb_reward_too_big", field="reward")
        return group_price - reward
    return read("leader", parse_amount)


@router.command(
    "gbnew",
    "新建拼团",
    help=N_("Create a group-buy offer"),
    usage=NEW_USAGE.removeprefix("/gbnew "),
    merchant=True,
)
async def gbnew(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    args = need(cmd.args, 4, NEW_USAGE)
    tz = ZoneInfo(shop.timezone)
    words, options = split_options(args[4:], CAMPAIGN_OPTIONS)
    if len(words) > 1:
        raise usage(NEW_USAGE)
    names = ("product", "price", "size", "duration", "until")[: 4 + len(words)]
    fields = dict(zip(names, args[:4] + words, strict=True))
    new = new_campaign(fields | options, tz)
    campaign = await ctx.services.groupbuys.create_campaign(shop.id, new)
    campaign = await ctx.services.groupbuys.campaign(shop.id, campaign.id)
    return ctx.reply(
        "groupbuy/campaign_saved.j2",
        campaign=campaign,
        duration=args[3],
        end=campaign.ends_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
    )


@router.command(
    "gbstop", "停止拼团", help=N_("Stop a group-buy offer"), usage="<offer no>", merchant=True
)
async def gbstop(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    campaign_id = whole(need(cmd.args, 1, "/gbstop <offer no>")[0].lstrip("#"))
    campaign = await ctx.services.groupbuys.stop_campaign(shop.id, campaign_id)
    return ctx.reply("groupbuy/campaign_saved.j2", campaign=campaign, duration="", end="")


@router.command(
    "gbpost",
    "推送拼团",
    help=N_("Post a group's live card into the shop's bound groups"),
    usage="<group code>",
    merchant=True,
)
async def gbpost(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    group = await ctx.services.groupbuys.group(
        need(cmd.args, 1, "/gbpost <group code>")[0], shop.id
    )
    bound = await ctx.services.shops.bound_groups(shop.id)
    await ctx.services.bus.publish(
        [
            CardShown(
                group_id=group.id,
                platform=b.platform,
                chat_id=b.chat_id,
                account="",
                locale=shop.locale,
            )
            for b in bound
        ]
    )
    return ctx.reply("groupbuy/posted.j2", code=group.code, groups=len(bound))


@router.command("gbstats", "拼团统计", help=N_("Group-buy figures"), merchant=True)
async def gbstats(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    return ctx.reply("groupbuy/stats.j2", stats=await ctx.services.groupbuys.stats(shop.id))
