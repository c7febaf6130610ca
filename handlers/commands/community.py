"""The private community: subscribing, tags, segments, broadcasts and product posts."""

from __future__ import annotations

from handlers.args import bars, need, product_id, usage, whole
from handlers.context import Context
from handlers.i18n import N_, translate
from handlers.router import Router
from handlers.types import Button, Incoming, ParsedCommand, Reply
from store.community.broadcasts import MAX_TEXT, BroadcastView, parse_when
from store.community.models import BroadcastStatus
from store.models import Shop

router = Router(topic=N_("Community"))
BROADCAST_USAGE = "/broadcast <segment> | <text> [| <image url>]"
# `/broadcast <word> <id>` -> BroadcastService method; `/broadcast at <id> <time>` schedules.
CONTROLS = {"send": "send_now", "pause": "pause", "resume": "resume", "cancel": "cancel"}


async def touch(ctx: Context) -> None:
    """Contact hook: a private message joins the shop's community and refreshes last-seen."""
    assert ctx.shop is not None
    await ctx.services.community.subscriptions.touch(
        ctx.shop.id, ctx.identity.id, new=ctx.identity.created_now
    )


def opt_out(shop: Shop) -> tuple[str, str]:
    """The button every broadcast to people ends with: it names the shop, so it works
    whichever shop the reader is browsing when they press it."""
    return translate(shop.locale, "Unsubscribe"), f"/unsubscribe {shop.slug}"


async def _subscribe(cmd: ParsedCommand, ctx: Context, subscribed: bool) -> Reply:
    """The current shop, or the one named (the broadcast's own button names it)."""
    shop = await ctx.services.shops.find(cmd.raw_args) if cmd.raw_args else ctx.require_shop()
    await ctx.services.community.subscriptions.set_subscribed(shop.id, ctx.identity.id, subscribed)
    again = [] if subscribed else [[ctx.button("Subscribe again", f"/subscribe {shop.slug}")]]
    return ctx.reply("community/subscribed.j2", subscribed=subscribed, of=shop, buttons=again)


@router.command(
    "subscribe", "订阅", help=N_("Receive the shop's news again"), usage="[shop link name]"
)
async def subscribe(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await _subscribe(cmd, ctx, True)


@router.command(
    "unsubscribe",
    "退订",
    "td",  # 回复 TD 退订: how Chinese readers expect to stop marketing messages
    help=N_("Stop receiving the shop's news"),
    usage="[shop link name]",
)
async def unsubscribe(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await _subscribe(cmd, ctx, False)


@router.command(
    "tag",
    "标签",
    help=N_("Tag a customer, or see their tags"),
    usage="<user> [tag ...]",
    merchant=True,
)
async def tag(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    args = need(cmd.args, 1, "/tag <user> [tag ...]")
    person = await ctx.services.people.find(msg.platform, args[0])
    subs = ctx.services.community.subscriptions
    changed = await subs.tag(shop.id, person.id, *args[1:])  # a tag has no spaces: one a word
    tags = await subs.tags_of(shop.id, person.id)
    return ctx.reply("community/tags.j2", person=person, tags=tags, changed=changed)


@router.command(
    "audience",
    "人群",
    help=N_("How many people a segment reaches"),
    usage="<segment>",
    merchant=True,
)
async def audience(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    segment = cmd.raw_args or "all"
    size = await ctx.services.community.broadcasts.size(shop.id, segment)
    return ctx.reply("community/audience.j2", segment=segment, size=size)


@router.command(
    "broadcast",
    "群发",
    help=N_("Write a broadcast to a segment, preview it, then send"),
    usage="<segment> | <text> [| <image url>]",
    merchant=True,
    private=True,
)
async def broadcast(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    service = ctx.services.community.broadcasts
    raw = bars(cmd.raw_args)
    action, _, rest = raw.partition(" ")
    action = action.casefold()
    if "|" not in raw and (action in CONTROLS or action == "at"):
        words = rest.split(maxsplit=1)
        bid = whole(need(words, 1, f"/broadcast {action} <id>")[0].lstrip("#"))
        if action == "at":
            at = need(words, 2, "/broadcast at <id> <HH:MM>")[1]
            when = parse_when(at, ctx.services.clock(), shop.timezone)
            return _listing(ctx, [await service.schedule(shop.id, bid, when)])
        return _listing(ctx, [await getattr(service, CONTROLS[action])(shop.id, bid)])
    parts = [p.strip() for p in raw.split("|")]
    if len(parts) not in (2, 3) or not parts[1]:
        raise usage(BROADCAST_USAGE)
    image = parts[2] if len(parts) == 3 else None
    view = await service.draft(
        shop.id, ctx.person.id, parts[0], parts[1], image, opt_out=opt_out(shop)
    )
    return _preview(ctx, view)


def _preview(ctx: Context, view: BroadcastView) -> Reply:
    reply = ctx.reply(
        "community/preview.j2",
        b=view,
        buttons=[
            [
                ctx.button("Send now", f"/broadcast send {view.id}"),
                ctx.button("Cancel", f"/broadcast cancel {view.id}"),
            ]
        ],
    )
    return Reply(text=reply.text, buttons=reply.buttons, image=view.image_url, private=True)


def _controls(ctx: Context, view: BroadcastView) -> list[Button]:
    if view.status == BroadcastStatus.SENDING:
        return [
            ctx.button("Pause #{id}", f"/broadcast pause {view.id}", id=view.id),
            ctx.button("Cancel #{id}", f"/broadcast cancel {view.id}", id=view.id),
        ]
    if view.status == BroadcastStatus.PAUSED:
        return [
            ctx.button("Resume #{id}", f"/broadcast resume {view.id}", id=view.id),
            ctx.button("Cancel #{id}", f"/broadcast cancel {view.id}", id=view.id),
        ]
    return []


def _listing(ctx: Context, views: list[BroadcastView]) -> Reply:
    return ctx.reply(
        "community/broadcasts.j2",
        views=views,
        rate=ctx.services.community.broadcasts.rate_per_second,
        buttons=[_controls(ctx, v) for v in views],
    )


@router.command(
    "broadcasts",
    "群发记录",
    help=N_("Recent broadcasts and their progress"),
    merchant=True,
    private=True,
)
async def broadcasts(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    return _listing(ctx, await ctx.services.community.broadcasts.recent(shop.id))


@router.command(
    "post",
    "推送",
    help=N_("Post a product card into the shop's groups"),
    usage="<product id>",
    merchant=True,
)
async def post(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    pid = product_id(need(cmd.args, 1, "/post <product id>")[0])
    product = await ctx.services.catalog.product(shop.id, pid)
    service = ctx.services.community.broadcasts
    if not await service.size(shop.id, "groups"):  # no empty broadcast in /broadcasts
        return ctx.reply("community/posted.j2", groups=0)
    card = ctx.render("chat/product.j2", product=product)[:MAX_TEXT]
    view = await service.draft(
        shop.id,
        ctx.person.id,
        "groups",
        card,
        product.image_url,
        buttons=[[[ctx.t("Buy"), f"/product {product.id}"]]],
    )
    view = await service.send_now(shop.id, view.id)
    return ctx.reply("community/posted.j2", groups=view.audience)


@router.command(
    "quiet",
    "免打扰",
    help=N_("Quiet hours: scheduled broadcasts wait until they end"),
    usage="[<from hour> <to hour> | off]",
    merchant=True,
)
async def quiet(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    service = ctx.services.community.broadcasts
    if cmd.args:
        if cmd.args[0].casefold() in ("off", "关"):
            start = end = 0
        else:
            args = need(cmd.args, 2, "/quiet <from hour> <to hour> | off")
            start, end = (whole(a, low=0, high=23, code="bad_quiet_hours") for a in args[:2])
        await service.set_quiet_hours(shop.id, start, end)
    start, end = await service.quiet_hours(shop.id)
    return ctx.reply(
        "community/quiet.j2",
        saved=bool(cmd.args),
        off=start == end,
        start=f"{start:02d}:00",
        end=f"{end:02d}:00",
        tz=shop.timezone,
    )
