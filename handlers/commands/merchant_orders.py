"""Merchant commands for orders: sales list, payment, shipping, refunds."""

from __future__ import annotations

from handlers.args import need, usage, whole
from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Button, Incoming, ParsedCommand, Reply
from store.errors import AlreadyPaid, NotFound
from store.models import Order, OrderStatus

# After /refundok or /refunditem: the customer keeps the goods (a refund without a return),
# so they do not go back in stock.
KEEP_WORDS = ("keep", "不退货")
# /refunds done <no>: the merchant returned a refund by hand.
DONE_WORDS = ("done", "已退", "已退款")
REFUNDS_USAGE = "/refunds [done <no>]"

router = Router(topic=N_("Orders"))
SALES_USAGE = "/sales [pending|paid|shipped|completed|cancelled|refund|refunded] [page]"
STATUS_WORDS = {s.value: s for s in OrderStatus} | {
    "pending": OrderStatus.PENDING_PAYMENT,
    "unpaid": OrderStatus.PENDING_PAYMENT,
    "refund": OrderStatus.REFUND_REQUESTED,
    "refunds": OrderStatus.REFUND_REQUESTED,
    "待付款": OrderStatus.PENDING_PAYMENT,
    "已付款": OrderStatus.PAID,
    "已发货": OrderStatus.SHIPPED,
    "退款": OrderStatus.REFUND_REQUESTED,
}


@router.command(
    "sales",
    "销售",
    "订单管理",
    help=N_("The shop's orders, by status"),
    usage="[status] [page]",
    merchant=True,
    private=True,
)
async def sales(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    args, page_no = list(cmd.args), 1
    if args and args[-1].isascii() and args[-1].isdigit():
        page_no = whole(args.pop(), high=10_000)
    status = None
    if len(args) > 1:
        raise usage(SALES_USAGE)
    if args:
        status = STATUS_WORDS.get(args[0].casefold())
        if status is None:
            raise usage(SALES_USAGE)
    found = await ctx.services.orders.list_for_shop(shop.id, status, page_no)
    buttons = [
        [Button(label=f"{o.order_no}", payload=f"/sale {o.order_no}")] for o in found.orders[:5]
    ]
    buttons.append(ctx.page_nav(f"/sales {args[0]}" if args else "/sales", found.page, found.pages))
    return ctx.reply("chat/sales.j2", found=found, status=status, buttons=buttons)


@router.command(
    "sale",
    "订单处理",
    help=N_("Show one of the shop's orders"),
    usage="<no>",
    merchant=True,
    private=True,
)
async def sale(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await merchant_order_reply(
        ctx, await _shop_order(ctx, need(cmd.args, 1, "/sale <no>")[0])
    )


async def _shop_order(ctx: Context, no: str) -> Order:
    shop = ctx.require_staff()
    return await ctx.services.orders.for_shop(no, shop.id)


def merchant_buttons(ctx: Context, order: Order) -> list[list[Button]]:
    no = order.order_no
    return [
        {
            OrderStatus.PENDING_PAYMENT: [ctx.button("Payment arrived", f"/paid {no}")],
            OrderStatus.REFUND_REQUESTED: [ctx.button("Approve refund", f"/refundok {no}")],
        }.get(OrderStatus(order.status), []),
        [ctx.button("Sales", "/sales")],
    ]


async def merchant_order_reply(ctx: Context, order: Order) -> Reply:
    waiting = await ctx.services.groupbuys.waiting_group(order.id)
    reply = ctx.reply(
        "chat/merchant_order.j2", order=order, group=waiting, buttons=merchant_buttons(ctx, order)
    )
    return Reply(text=reply.text, buttons=reply.buttons, private=True)


@router.command(
    "paid",
    "确认付款",
    help=N_("Confirm a transfer arrived"),
    usage="<no>",
    merchant=True,
    private=True,
)
async def paid(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    order = await _shop_order(ctx, need(cmd.args, 1, "/paid <no>")[0])
    result = await ctx.services.payments.confirm_manual(order)
    if result.duplicate:
        raise AlreadyPaid(no=order.order_no)
    return await merchant_order_reply(ctx, await ctx.services.orders.get(result.order.order_no))


@router.command(
    "ship",
    "发货",
    help=N_("Ship an order"),
    usage="<no> <carrier> <tracking no>",
    merchant=True,
    private=True,
)
async def ship(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    args = need(cmd.args, 3, "/ship <no> <carrier> <tracking no>")
    order = await _shop_order(ctx, args[0])
    done = await ctx.services.orders.ship(order, args[1], " ".join(args[2:]))
    return await merchant_order_reply(ctx, done)


@router.command(
    "refundok",
    "同意退款",
    help=N_("Approve a refund"),
    usage="<no> [keep]",
    merchant=True,
    private=True,
)
async def refundok(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    args = need(cmd.args, 1, "/refundok <no> [keep]")
    order = await _shop_order(ctx, args[0])
    keep = len(args) > 1 and args[1].casefold() in KEEP_WORDS
    done = await ctx.services.orders.approve_refund(order, restock=not keep)
    return await merchant_order_reply(ctx, done)


@router.command(
    "refundno",
    "拒绝退款",
    help=N_("Reject a refund, with a reason"),
    usage="<no> <reason>",
    merchant=True,
    private=True,
)
async def refundno(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    args = need(cmd.args, 2, "/refundno <no> <reason>")
    order = await _shop_order(ctx, args[0])
    done = await ctx.services.orders.reject_refund(order, cmd.raw_args[len(args[0]) :])
    return await merchant_order_reply(ctx, done)


@router.command(
    "refunds",
    "待退款",
    help=N_("Refunds you must make by hand, or that failed"),
    usage="[done <no>]",
    merchant=True,
    private=True,
)
async def refunds(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    returned = ""
    if cmd.args:
        if cmd.args[0].casefold() not in DONE_WORDS:
            raise usage(REFUNDS_USAGE)
        order = await _shop_order(ctx, need(cmd.args, 2, REFUNDS_USAGE)[1])
        if not await ctx.services.refunds.mark_returned(shop.id, order.id):
            raise NotFound("refund_not_waiting", no=order.order_no)
        returned = order.order_no
    jobs = await ctx.services.refunds.open_for_shop(shop.id)
    buttons = [
        [ctx.button("Returned: {no}", f"/refunds done {no}", no=no)]
        for no in dict.fromkeys(job.order.order_no for job in jobs)  # type: ignore[attr-defined]
    ][:5]
    return ctx.reply("chat/refunds.j2", jobs=jobs, returned=returned, buttons=buttons)
