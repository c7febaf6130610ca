"""Checkout: name, phone and address asked one by one, then a confirmed order."""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.errors import EmptyCart
from store.orders import Contact, check_address, check_name, check_phone

router = Router()
FLOW = "checkout"
_ASK = {
    "name": "chat/checkout_ask_name.j2",
    "phone": "chat/checkout_ask_phone.j2",
    "address": "chat/checkout_ask_address.j2",
}
_CHECK = {"name": check_name, "phone": check_phone, "address": check_address}
_NEXT = {"name": "phone", "phone": "address", "address": "confirm"}


def _cancel_button(ctx: Context) -> list:
    return [[ctx.button("Cancel checkout", "/cancel")]]


async def _ask(ctx: Context, step: str, data: dict[str, Any]) -> Reply:
    await ctx.state.set(ctx.state_key, {"flow": FLOW, "step": step, "data": data})
    if step == "confirm":
        shop = ctx.require_shop()
        cart = await ctx.services.carts.get(ctx.person.id, shop.id)
        if not cart.lines:
            await ctx.state.delete(ctx.state_key)
            raise EmptyCart()
        buttons = [
            [
                ctx.button("Confirm order", "/checkout confirm"),
                ctx.button("Cancel checkout", "/cancel"),
            ]
        ]
        reply = ctx.reply("chat/checkout_confirm.j2", cart=cart, contact=data, buttons=buttons)
    else:
        reply = ctx.reply(_ASK[step], buttons=_cancel_button(ctx))
    return Reply(text=reply.text, buttons=reply.buttons, private=True)


async def checkout_step(text: str, ctx: Context, flow: dict[str, Any]) -> Reply:
    """One answer in the checkout conversation."""
    step, data = flow.get("step", "name"), dict(flow.get("data", {}))
    if step not in _CHECK:  # waiting for the confirm button; repeat the question
        return await _ask(ctx, step, data)
    data[step] = _CHECK[step](text)
    return await _ask(ctx, _NEXT[step], data)


@router.command("checkout", "结算", "下单", help=N_("Check out your cart"), private=True)
async def checkout(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply | list[Reply]:
    shop = ctx.require_shop()
    action = cmd.args[0].casefold() if cmd.args else ""
    flow = await ctx.state.get(ctx.state_key)
    if action == "confirm" and flow and flow.get("flow") == FLOW and flow.get("step") == "confirm":
        return await _confirm(ctx, flow["data"])
    cart = await ctx.services.carts.get(ctx.person.id, shop.id)
    if not cart.lines:
        raise EmptyCart()
    last = await ctx.services.orders.last_for_person(ctx.person.id)
    if action == "last" and last is not None:
        data = {"name": last.contact_name, "phone": last.phone, "address": last.address}
        return await _ask(ctx, "confirm", data)
    reply = await _ask(ctx, "name", {})
    if last is not None:
        use_last = ctx.button(
            "Send to {name}, {address}",
            "/checkout last",
            name=last.contact_name,
            address=last.address[:20],
        )
        reply = Reply(text=reply.text, buttons=((use_last,), *reply.buttons), private=True)
    return reply


async def _confirm(ctx: Context, data: dict[str, Any]) -> list[Reply]:
    shop = ctx.require_shop()
    order = await ctx.services.orders.place(
        ctx.person.id, shop.id, Contact(data["name"], data["phone"], data["address"])
    )
    await ctx.state.delete(ctx.state_key)
    buttons = [
        [
            ctx.button("Cancel order", f"/cancel {order.order_no}"),
            ctx.button("My orders", "/orders"),
        ]
    ]
    reply = ctx.reply("chat/order_placed.j2", order=order, buttons=buttons)
    return [
        Reply(text=reply.text, buttons=reply.buttons, private=True, pay_order_no=order.order_no)
    ]
