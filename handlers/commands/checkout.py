"""Checkout: name, phone and address asked one by one, then a confirmed order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.args import OFF_WORDS, plain, usage
from handlers.commands.cart import errors
from handlers.context import Context
from handlers.errors import error_text
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.accounts.masking import mask_address
from store.errors import EmptyCart
from store.orders import Contact, check_address, check_name, check_note, check_phone
from store.promotions.errors import CouponUnusable, FlashUnavailable, PriceChanged

router = Router(topic=N_("Shopping"))
FLOW = "checkout"
_ASK = {
    "name": "chat/checkout_ask_name.j2",
    "phone": "chat/checkout_ask_phone.j2",
    "address": "chat/checkout_ask_address.j2",
}
_CHECK = {"name": check_name, "phone": check_phone, "address": check_address}
_NEXT = {"name": "phone", "phone": "address", "address": "confirm"}
# The Confirm order button's words, typed: WeChat shows no button to press at the confirmation.
CONFIRM_WORDS = frozenset(
    {"确认", "确认下单", "确定", "确定下单", "下单", "confirm", "confirmorder"}
)


def _cancel_button(ctx: Context) -> list:
    return [[ctx.button("Cancel checkout", "/cancel")]]


async def _ask(ctx: Context, step: str, data: dict[str, Any], note: str = "") -> Reply:
    if step == "confirm":
        return await _ask_confirm(ctx, data, note)
    await ctx.state.set(ctx.state_key, {"flow": FLOW, "step": step, "data": data})
    reply = ctx.reply(_ASK[step], buttons=_cancel_button(ctx))
    return Reply(text=reply.text, buttons=reply.buttons, private=True)


async def _ask_confirm(ctx: Context, data: dict[str, Any], note: str = "") -> Reply:
    """The priced order to confirm; the total shown is the total confirmed (placing at
    another price is refused and asks again)."""
    shop = ctx.require_shop()
    quote = await ctx.services.orders.pricing.quote_cart(ctx.person.id, shop.id)
    if not quote.lines:
        await ctx.state.delete(ctx.state_key)
        raise EmptyCart()
    data = data | {"total": str(quote.total)}
    await ctx.state.set(ctx.state_key, {"flow": FLOW, "step": "confirm", "data": data})
    buttons = [
        [
            ctx.button("Confirm order", "/checkout confirm"),
            ctx.button("Cancel checkout", "/cancel"),
        ]
    ]
    points = 0
    if not quote.points:
        offer = await ctx.services.loyalty.points_offer(shop.id, ctx.person.id, quote.room)
        points = offer.usable
        if points:
            buttons.insert(0, [ctx.button("Use {n} points", "/usepoints max", n=points)])
    reply = ctx.reply(
        "chat/checkout_confirm.j2",
        quote=quote,
        contact=data,
        note=note,
        points=points,
        errors=errors(ctx),
        buttons=buttons,
    )
    return Reply(text=reply.text, buttons=reply.buttons, private=True)


async def reconfirm(ctx: Context, note: str = "") -> Reply | None:
    """After a coupon or points change: the confirmation again when checkout waits on it."""
    flow = await ctx.state.get(ctx.state_key)
    if flow and flow.get("flow") == FLOW and flow.get("step") == "confirm":
        return await _ask_confirm(ctx, flow["data"], note)
    return None


async def checkout_step(text: str, ctx: Context, flow: dict[str, Any]) -> Reply | list[Reply]:
    """One answer in the checkout conversation."""
    step, data = flow.get("step", "name"), dict(flow.get("data", {}))
    if step not in _CHECK:  # waiting for the confirm button; repeat the question
        if step == "confirm" and plain(text) in CONFIRM_WORDS:
            return await _confirm(ctx, data)
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
            address=mask_address(last.address),
        )
        reply = Reply(text=reply.text, buttons=((use_last,), *reply.buttons), private=True)
    return reply


@router.command(
    "note", "备注", "留言", help=N_("Add a note for the shop to your order"), usage="<text>|off",
    private=True,
)  # fmt: skip
async def note(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    """At checkout's confirmation: a note that goes with the order ("after 6 pm, please")."""
    flow = await ctx.state.get(ctx.state_key)
    if not (flow and flow.get("flow") == FLOW and flow.get("step") == "confirm"):
        return ctx.reply("chat/note_not_now.j2", buttons=[[ctx.button("My cart", "/cart")]])
    if not cmd.raw_args:
        raise usage("/note <text>|off")
    text = "" if cmd.raw_args.casefold() in OFF_WORDS else check_note(cmd.raw_args)
    return await _ask_confirm(ctx, flow["data"] | {"note": text})


async def _confirm(ctx: Context, data: dict[str, Any]) -> list[Reply]:
    shop = ctx.require_shop()
    contact = Contact(data["name"], data["phone"], data["address"], data.get("note", ""))
    try:
        order = await ctx.services.orders.place(
            ctx.person.id, shop.id, contact, expected_total=_confirmed(data)
        )
    except (PriceChanged, CouponUnusable, FlashUnavailable) as err:
        # The cart changed, or a promotion ran out or ended, since the customer looked:
        # nothing was placed.
        return [await _ask_confirm(ctx, data, note=error_text(ctx.locale, err, ctx.currency))]
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


def _confirmed(data: dict[str, Any]) -> Decimal | None:
    # A checkout begun before totals were kept in the flow has none to hold the order to.
    return Decimal(data["total"]) if "total" in data else None
