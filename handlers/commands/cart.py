"""The cart."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from handlers.args import need, product_id, whole
from handlers.context import Context
from handlers.errors import error_text
from handlers.i18n import N_
from handlers.labels import clip
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from store.cart import MAX_LINE_QUANTITY, Cart
from store.errors import StoreError

router = Router(topic=N_("Shopping"))


async def show_quote(
    ctx: Context, added: str | None = None, note: str | None = None, cart: Cart | None = None
) -> Reply:
    """The cart priced as it would be ordered now: every discount line and the total."""
    shop = ctx.require_shop()
    quote = await ctx.services.orders.pricing.quote_cart(ctx.person.id, shop.id, cart)
    buttons = []
    if quote.lines:
        buttons.append(
            [ctx.button("Check out", "/checkout"), ctx.button("Keep shopping", "/catalog")]
        )
        buttons.extend(
            [
                ctx.button(
                    "Remove {title}",
                    f"/remove {line.product.id}",
                    title=clip(line.product.title, 20),
                )
            ]
            for line in quote.lines[:5]
        )
    else:
        buttons.append([ctx.button("Browse products", "/catalog")])
    return ctx.reply(
        "chat/cart.j2", quote=quote, added=added, note=note, errors=errors(ctx), buttons=buttons
    )


def errors(ctx: Context) -> Callable[[StoreError], str]:
    """Templates say why a chosen coupon does not apply with the typed error's own text."""
    return partial(error_text, ctx.locale, currency=ctx.currency)


@router.command("add", "加购", "买", help=N_("Add a product to your cart"), usage="<id> [qty]")
async def add(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    args = need(cmd.args, 1, "/add <id> [qty]")
    pid = product_id(args[0])
    qty = whole(args[1], high=MAX_LINE_QUANTITY, code="bad_quantity") if len(args) > 1 else 1
    added = await ctx.services.carts.add(ctx.person.id, shop.id, pid, qty)
    return await show_quote(ctx, added=added.product.title, cart=added.cart)


@router.command("cart", "购物车", help=N_("Show your cart"))
async def show_cart(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    ctx.require_shop()
    return await show_quote(ctx)


@router.command(
    "remove", "删除", help=N_("Take a product, or some of it, out of your cart"), usage="<id> [qty]"
)
async def remove(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    args = need(cmd.args, 1, "/remove <id> [qty]")
    qty = whole(args[1], high=MAX_LINE_QUANTITY, code="bad_quantity") if len(args) > 1 else None
    await ctx.services.carts.remove(ctx.person.id, shop.id, product_id(args[0]), qty)
    return await show_quote(ctx)


@router.command(
    "reorder", "再买一次", "再来一单", help=N_("Put an earlier order's items in your cart again"),
    usage="<order no>", private=True,
)  # fmt: skip
async def reorder(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    no = need(cmd.args, 1, "/reorder <order no>")[0]
    order = await ctx.services.orders.for_person(no, ctx.person.id)
    moved = ctx.shop is None or ctx.shop.id != order.shop_id  # type: ignore[attr-defined]
    if moved:  # the cart is the order's shop's: the chat goes there, and says so
        await ctx.enter(await ctx.services.shops.get(order.shop_id))  # type: ignore[attr-defined]
    again = await ctx.services.carts.add_again(ctx.person.id, order)
    note = ctx.render("chat/added_again.j2", again=again, moved=moved, errors=errors(ctx))
    return await show_quote(ctx, note=note.strip())
