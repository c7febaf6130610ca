"""Reviews: the buyer rates items of completed orders; the shop replies once and hides."""

from __future__ import annotations

from handlers.args import need, product_id, usage, whole
from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Button, Incoming, ParsedCommand, Reply
from store.errors import InvalidInput, NotFound
from store.models import Order, OrderStatus
from store.reviews.service import Line, ReviewPage

router = Router(topic=N_("Reviews"))
REVIEW_USAGE = "/review <order no> [#item] <stars 1-5> [text]"


def _review_id(value: str) -> int:
    try:
        return whole(value.lstrip("#"))
    except InvalidInput:
        raise NotFound("review_not_found", id=value[:20]) from None


def _star_buttons(order: Order, lines: list[Line]) -> list[list[Button]]:
    """A row of 5..1 stars per item still to review: a press rates it (text is optional)."""
    rows = []
    for line in lines:
        if line.review is None and line.item.product_id is not None:  # type: ignore[attr-defined]
            prefix = f"/review {order.order_no} #{line.number}"
            rows.append([Button(f"#{line.number} {s}★", f"{prefix} {s}") for s in range(5, 0, -1)])
    return rows


@router.command(
    "review",
    "写评价",
    "打分",
    help=N_("Rate and review what you bought (after completion)"),
    usage="<order no> [#item] <stars> [text]",
    private=True,
)
async def review(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    words = need(cmd.args, 1, REVIEW_USAGE)
    service = ctx.services.reviews
    used = 1
    line = None
    if len(words) > used and words[used].startswith("#"):
        line = whole(words[used][1:], high=1000)
        used += 1
    if len(words) <= used:  # no stars yet: show the items and how to rate them
        order, lines = await service.lines(words[0], ctx.person.id)
        completed = order.status == OrderStatus.COMPLETED
        buttons = _star_buttons(order, lines) if completed else []
        return ctx.reply(
            "reviews/lines.j2", order=order, lines=lines, completed=completed, buttons=buttons
        )
    stars = whole(words[used], high=5, code="review_bad_stars")
    text = cmd.raw_args.split(None, used + 1)[used + 1] if len(words) > used + 1 else ""
    written, chosen = await service.write(words[0], ctx.person.id, line, stars, text)
    return ctx.reply(
        "reviews/written.j2",
        review=written,
        line=chosen,
        buttons=[[ctx.button("Reviews of this product", f"/reviews {written.product_id}")]],  # type: ignore[attr-defined]
    )


@router.command(
    "reviews", "评价", "看评价", help=N_("A product's reviews"), usage="<product id> [page]"
)
async def reviews(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    if not cmd.args:
        raise usage("/reviews <product id> [page]")
    pid = product_id(cmd.args[0])
    page_no = whole(cmd.args[1], high=10_000) if len(cmd.args) > 1 else 1
    staff = ctx.role is not None
    page = await ctx.services.reviews.page(shop.id, pid, page_no, with_hidden=staff)
    reply = ctx.reply("reviews/list.j2", page=page, staff=staff, buttons=_page_buttons(ctx, page))
    return Reply(text=reply.text, buttons=reply.buttons, edit=msg.via_button)


def _page_buttons(ctx: Context, page: ReviewPage) -> list[list[Button]]:
    nav = ctx.page_nav(f"/reviews {page.product.id}", page.page, page.pages)
    return [nav, [ctx.button("‹ Product", f"/product {page.product.id}")]]


@router.command(
    "reviewreply",
    "回复评价",
    help=N_("Answer a review (once)"),
    usage="<review id> <text>",
    merchant=True,
)
async def reviewreply(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    words = need(cmd.args, 2, "/reviewreply <review id> <text>")
    answered = await ctx.services.reviews.reply(
        shop.id, _review_id(words[0]), cmd.raw_args.split(None, 1)[1]
    )
    return ctx.reply("reviews/replied.j2", review=answered)


async def _set_hidden(cmd: ParsedCommand, ctx: Context, hidden: bool) -> Reply:
    shop = ctx.require_staff()
    rid = _review_id(need(cmd.args, 1, f"/{cmd.name} <review id>")[0])
    changed = await ctx.services.reviews.set_hidden(shop.id, rid, hidden)
    toggle = (
        ctx.button("Show again", f"/showreview {changed.id}")
        if hidden
        else ctx.button("Hide review", f"/hidereview {changed.id}")
    )
    see = ctx.button("Reviews of this product", f"/reviews {changed.product_id}")  # type: ignore[attr-defined]
    return ctx.reply("reviews/hidden.j2", review=changed, buttons=[[toggle, see]])


@router.command(
    "hidereview",
    "隐藏评价",
    help=N_("Hide an abusive review (and leave it out of the average)"),
    usage="<review id>",
    merchant=True,
)
async def hidereview(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await _set_hidden(cmd, ctx, True)


@router.command(
    "showreview",
    "显示评价",
    help=N_("Show a hidden review again"),
    usage="<review id>",
    merchant=True,
)
async def showreview(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await _set_hidden(cmd, ctx, False)
