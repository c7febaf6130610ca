"""The cart."""

from __future__ import annotations

from handlers.args import need, product_id, whole
from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.cart import MAX_LINE_QUANTITY, Cart

router = Router()


def cart_reply(ctx: Context, cart: Cart, added: str | None = None) -> Reply:
    buttons = []
    if cart.lines:
        buttons.append(
            [ctx.button("Check out", "/checkout"), ctx.button("Keep shopping", "/catalog")]
        )
        buttons.extend(
            [
                ctx.button(
                    "Remove {title}", f"/remove {line.product.id}", title=line.product.title[:20]
                )
            ]
            for line in cart.lines[:5]
        )
    else:
        buttons.append([ctx.button("Browse products", "/catalog")])
    return ctx.reply("chat/cart.j2", cart=cart, added=added, buttons=buttons)


@router.command("add", "加购", "买", help=N_("Add a product to your cart"), usage="<id> [qty]")
async def add(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    args = need(cmd.args, 1, "/add <id> [qty]")
    pid = product_id(args[0])
    qty = whole(args[1], high=MAX_LINE_QUANTITY, code="bad_quantity") if len(args) > 1 else 1
    cart = await ctx.services.carts.add(ctx.person.id, shop.id, pid, qty)
    added = next((line.product.title for line in cart.lines if line.product.id == pid), None)
    return cart_reply(ctx, cart, added=added)


@router.command("cart", "购物车", help=N_("Show your cart"))
async def show_cart(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    return cart_reply(ctx, await ctx.services.carts.get(ctx.person.id, shop.id))


@router.command("remove", "删除", help=N_("Take a product out of your cart"), usage="<id>")
async def remove(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    args = need(cmd.args, 1, "/remove <id>")
    cart = await ctx.services.carts.remove(ctx.person.id, shop.id, product_id(args[0]))
    return cart_reply(ctx, cart)
