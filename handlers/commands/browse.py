"""Catalog, search and product cards."""

from __future__ import annotations

from handlers.args import product_id, usage, whole
from handlers.commands.promotions import flash_card
from handlers.context import Context
from handlers.i18n import N_
from handlers.labels import clip
from handlers.router import Router
from handlers.types import Button, Incoming, ParsedCommand, Reply
from store.by_identity import ByIdentity
from store.catalog import Page
from store.errors import InvalidInput

router = Router(topic=N_("Shopping"))
_PAGES: ByIdentity[Reply] = ByIdentity(512)  # catalog and search pages as shown


def _page_buttons(ctx: Context, page: Page, base: str) -> list[list[Button]]:
    rows = [
        [ctx.button("#{id} {title}", f"/product {p.id}", id=p.id, title=clip(p.title, 24))]
        for p in page.products
    ]
    rows.append(ctx.page_nav(base, page.page, page.pages))
    return rows


def _split_page(args: list[str]) -> tuple[list[str], int]:
    if args and args[-1].isascii() and args[-1].isdigit():
        return args[:-1], whole(args[-1], high=10_000)
    return args, 1


@router.command(
    "catalog", "商品", "目录", help=N_("Browse the products"), usage="[category] [page]"
)
async def catalog(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    words, page_no = _split_page(cmd.args)
    category = None
    if words:
        category = await ctx.services.catalog.find_category(shop.id, " ".join(words))
        if category is None:
            raise InvalidInput("unknown_category", name=" ".join(words)[:40])
    page = await ctx.services.catalog.browse(shop.id, category.id if category else None, page_no)
    categories = await ctx.services.catalog.categories(shop.id) if category is None else None

    def make() -> Reply:
        base = f"/catalog #{category.id}" if category else "/catalog"
        buttons = _page_buttons(ctx, page, base)
        if categories:
            buttons.append([Button(c.name, f"/catalog #{c.id}") for c in categories[:4]])
        return ctx.reply("chat/catalog.j2", page=page, category=category, buttons=buttons)

    # The same for everyone reading this page in this language: made once per page copy (a
    # catalog page's text alone took half of its message's time, 76 of 154 µs).
    made = _PAGES.get((page, shop, category, categories), make, also=ctx.locale)
    return Reply(text=made.text, buttons=made.buttons, edit=msg.via_button)


@router.command("search", "搜索", "找", help=N_("Search products by words"), usage="<words>")
async def search(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    if not cmd.args:
        raise usage("/search <words>")
    query = cmd.raw_args[:100]
    return search_reply(ctx, query, await ctx.services.catalog.search(shop.id, query))


def search_reply(ctx: Context, query: str, page: Page) -> Reply:
    """A page of search results, as /search shows it."""
    return _PAGES.get(
        (page, ctx.shop),
        lambda: ctx.reply(
            "chat/search.j2",
            page=page,
            query=query,
            buttons=_page_buttons(ctx, page, "")[: len(page.products)],
        ),
        also=(ctx.locale, query),
    )


@router.command("product", "详情", help=N_("Show one product"), usage="<id>")
async def product(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    if not cmd.args:
        raise usage("/product <id>")
    item = await ctx.services.catalog.product(shop.id, product_id(cmd.args[0]))
    buying = [ctx.button("Add to cart", f"/add {item.id} 1")] if item.stock > 0 else []
    buttons = [
        [*buying, ctx.button("Cart", "/cart")],
        [ctx.button("Reviews", f"/reviews {item.id}"), ctx.button("‹ Catalog", "/catalog")],
    ]
    rating = await ctx.services.reviews.rating(shop.id, item.id)
    flash = await flash_card(ctx, item)
    reply = ctx.reply("chat/product.j2", product=item, rating=rating, flash=flash, buttons=buttons)
    return Reply(text=reply.text, buttons=reply.buttons, image=item.image_url)
