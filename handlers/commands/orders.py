"""A customer's orders: list, detail, cancel, refund, confirm receipt."""

from __future__ import annotations

from handlers.args import need
from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Button, Incoming, ParsedCommand, Reply
from store.models import Order, OrderStatus, Shop

router = Router(topic=N_("Orders"))
S = OrderStatus


def order_buttons(ctx: Context, order: Order) -> list[list[Button]]:
    no = order.order_no
    actions = {
        S.PENDING_PAYMENT: [ctx.button("Cancel order", f"/cancel {no}")],
        S.PAID: [ctx.button("Ask for a refund", f"/refund {no}")],
        S.SHIPPED: [
            ctx.button("I received it", f"/received {no}"),
            ctx.button("Ask for a refund", f"/refund {no}"),
        ],
    }.get(OrderStatus(order.status), [])
    again = [ctx.button("Buy again", f"/reorder {no}")] if order.status != S.PENDING_PAYMENT else []
    return [actions, [*again, ctx.button("My orders", "/orders")]]


def order_reply(
    ctx: Context, order: Order, template: str = "chat/order.j2", pay_shop: Shop | None = None
) -> Reply:
    """One order; with `pay_shop` (the order's shop, awaiting payment) how to pay it, and the
    payment in the chat where the platform has one."""
    reply = ctx.reply(template, order=order, pay_shop=pay_shop, buttons=order_buttons(ctx, order))
    pay_order_no = order.order_no if pay_shop else None
    return Reply(text=reply.text, buttons=reply.buttons, private=True, pay_order_no=pay_order_no)


@router.command("orders", "订单", "我的订单", help=N_("Your orders"), private=True)
async def orders(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    found = await ctx.services.orders.list_for_person(ctx.person.id, shop.id)
    buttons = [[ctx.button("Order {no}", f"/order {o.order_no}", no=o.order_no)] for o in found[:5]]
    return ctx.reply("chat/orders.j2", orders=found, buttons=buttons)


@router.command("order", "订单详情", "查单", help=N_("Show one order"), usage="<no>", private=True)
async def order(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    no = need(cmd.args, 1, "/order <no>")[0]
    return await order_view(ctx, await ctx.services.orders.for_person(no, ctx.person.id))


async def order_view(ctx: Context, found: Order) -> Reply:
    """The person's order as /order shows it: how to pay while it awaits payment."""
    if found.status != S.PENDING_PAYMENT:
        return order_reply(ctx, found)
    return order_reply(ctx, found, pay_shop=await ctx.services.shops.get(found.shop_id))


@router.command(
    "cancel",
    "取消",
    "取消订单",
    help=N_("Cancel an unpaid order, or leave checkout"),
    usage="[no]",
    private=True,
)
async def cancel(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    if not cmd.args:
        flow = await ctx.state.get(ctx.state_key)
        await ctx.state.delete(ctx.state_key)
        # Which questions were left: a group buy's seat is no checkout of the cart.
        return ctx.reply(
            "chat/flow_left.j2", had_flow=flow is not None, flow=(flow or {}).get("flow")
        )
    found = await ctx.services.orders.for_person(cmd.args[0], ctx.person.id)
    done = await ctx.services.orders.cancel(found, "customer")
    return order_reply(ctx, done, "chat/order_cancelled.j2")


@router.command(
    "refund",
    "退款",
    help=N_("Ask for a refund of a paid order"),
    usage="<no> [reason]",
    private=True,
)
async def refund(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    no = need(cmd.args, 1, "/refund <no> [reason]")[0]
    found = await ctx.services.orders.for_person(no, ctx.person.id)
    reason = cmd.raw_args[len(cmd.args[0]) :].strip()
    done = await ctx.services.orders.request_refund(found, reason)
    return order_reply(ctx, done, "chat/refund_requested.j2")


@router.command(
    "received",
    "确认收货",
    "收货",
    help=N_("Confirm you received an order"),
    usage="<no>",
    private=True,
)
async def received(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    no = need(cmd.args, 1, "/received <no>")[0]
    found = await ctx.services.orders.for_person(no, ctx.person.id)
    return order_reply(ctx, await ctx.services.orders.complete(found), "chat/order_received.j2")
