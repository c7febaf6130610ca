"""Products and categories: browse, search and the merchant's edits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from tortoise.expressions import RawSQL
from tortoise.queryset import QuerySet

from store.errors import InvalidInput, ProductNotFound, StockMoved
from store.events import EventBus, OrderCancelled, OrderEvent, OrderPlaced, OrderRefunded
from store.listings import Listings, card_part, page_part, search_part
from store.models import Category, Product
from store.paging import page_count
from store.prepared import Prepared
from store.shop_cache import ShopCache

PAGE_SIZE = 5
MAX_STOCK = 1_000_000
MAX_CATEGORY = Category._meta.fields_map["name"].max_length  # type: ignore[attr-defined]
MAX_SEARCH_WORDS = 5
MAX_KEPT_SEARCH = 80  # characters of a search's key: longer searches are rare, read each time
Rows = Callable[[int], Awaitable[list[Product]]]  # a page's rows from an offset


@dataclass(frozen=True, slots=True)
class Page:
    products: list[Product]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class NewProduct:
    title: str
    price: Decimal
    stock: int
    description: str = ""
    category: str | None = None
    image_url: str | None = None


def search_text_of(title: str, description: str, category: str = "") -> str:
    """What search looks in: one lower-cased column, so a search is one LIKE per word."""
    return f"{title}\n{description}\n{category}".casefold()


def check_category(name: str) -> str:
    """A category's name as typed: refused when too long, never cut (a cut name would file
    the product under a category nobody named)."""
    name = name.strip()
    if len(name) > MAX_CATEGORY:
        raise InvalidInput("category_too_long", high=MAX_CATEGORY)
    return name


def check_stock(stock: int) -> int:
    if not 0 <= stock <= MAX_STOCK:
        raise InvalidInput("bad_stock", low=0, high=MAX_STOCK)
    return stock


class CatalogService:
    def __init__(self, cache: ShopCache | None = None, listings: Listings | None = None) -> None:
        self.cache = cache or ShopCache()
        # What customers browse most, stock included: catalog pages and product cards. Every
        # change to a shop's products drops them (products_changed); an order that moves
        # stock drops what shows its products (the order events, published after the commit).
        self.listings = listings or Listings()

    def subscribe(self, bus: EventBus) -> None:
        for moves_stock in (OrderPlaced, OrderCancelled, OrderRefunded):
            bus.subscribe(moves_stock, self._stock_moved)

    async def _stock_moved(self, event: OrderEvent) -> None:
        await self.listings.stock_moved(event.shop_id, event.stock_moved)

    async def products_changed(self, shop_id: int) -> None:
        """After the commit of a change to a shop's products."""
        await self.listings.changed(shop_id)

    async def categories(self, shop_id: int) -> list[Category]:
        """Oldest first; a per-process copy, as every catalog page shows them."""
        return await self.cache.get(
            shop_id, "categories", lambda: Category.filter(shop_id=shop_id).order_by("id")
        )

    async def find_category(self, shop_id: int, ref: str) -> Category | None:
        """`#<id>` (what the catalog's buttons send), the name (any case, `#` before it
        allowed), or else the one category whose name has the words typed: a customer
        types `茶叶` or `tea` for the category `茶叶 Tea`. Two such categories: none."""
        ref = ref.strip()
        categories = await self.categories(shop_id)
        for category in categories:
            if ref in (category.name, f"#{category.id}"):
                return category
        wanted = ref.removeprefix("#").strip().casefold()
        if not wanted:
            return None
        for category in categories:
            if category.name.casefold() == wanted:
                return category
        words = wanted.split()
        having = [c for c in categories if all(w in c.name.casefold().split() for w in words)]
        return having[0] if len(having) == 1 else None

    async def category_named(self, shop_id: int, name: str) -> Category:
        """The shop's category of that name, created on first use."""
        category, created = await Category.get_or_create(shop_id=shop_id, name=check_category(name))
        if created:
            await self.cache.changed(shop_id)
        return category

    async def browse(self, shop_id: int, category_id: int | None = None, page: int = 1) -> Page:
        """A page of the shop's visible products (of one category), shared by every reader."""
        return await self.listings.get(
            shop_id, page_part(category_id, page), lambda: self._browse(shop_id, category_id, page)
        )

    async def _browse(self, shop_id: int, category_id: int | None, page: int) -> Page:
        where: dict[str, object] = {"shop_id": shop_id, "active": True}
        if category_id is None:
            rows = partial(SHOP_PAGE.all, shop_id)
        else:
            where["category_id"] = category_id
            rows = partial(CATEGORY_PAGE.all, shop_id, category_id)
        return await self._page(rows, lambda: Product.filter(**where).count(), page)

    async def search(self, shop_id: int, text: str, page: int = 1) -> Page:
        """A page of the visible products whose text has every word; shared by every reader
        of the same words, as a catalog page is (the listings drop both alike)."""
        words = tuple(w for w in text.casefold().split() if w)[:MAX_SEARCH_WORDS]
        if not words:
            raise InvalidInput("empty_search")
        part = search_part(words, page)
        if len(part) > MAX_KEPT_SEARCH:  # not worth keeping: read it
            return await self._search(shop_id, words, page)
        return await self.listings.get(shop_id, part, lambda: self._search(shop_id, words, page))

    async def _search(self, shop_id: int, words: tuple[str, ...], page: int) -> Page:
        qs = Product.filter(shop_id=shop_id, active=True)
        for word in words:
            qs = qs.filter(search_text__contains=word)
        return await self._page(lambda offset: paged(qs, offset), qs.count, page)

    async def _page(self, rows: Rows, count: Callable[[], Awaitable[int]], page: int) -> Page:
        """One query for a page and the total (a window count on its rows); a second only
        when the page is past the end (or empty), to count and show the last page."""
        page = max(page, 1)
        products = await rows((page - 1) * PAGE_SIZE)
        total = products[0].total if products else await count()  # type: ignore[attr-defined]
        pages = page_count(total, PAGE_SIZE)
        if page > pages:
            page = pages
            products = await rows((page - 1) * PAGE_SIZE) if total else []
        return Page(products=list(products), page=page, pages=pages, total=total)

    async def product(
        self, shop_id: int, product_id: int, *, include_hidden: bool = False
    ) -> Product:
        """Visible: the copy every reader shares; with hidden ones: read for an edit."""
        if include_hidden:
            product = await Product.filter(shop_id=shop_id, id=product_id).first()
        else:
            product = await self.listings.get(
                shop_id, card_part(product_id), lambda: VISIBLE_PRODUCT.first(shop_id, product_id)
            )
        if product is None:
            raise ProductNotFound(id=product_id)
        return product

    async def add_product(self, shop_id: int, new: NewProduct) -> Product:
        title = new.title.strip()
        if not 1 <= len(title) <= 120:
            raise InvalidInput("bad_title")
        if len(new.description) > 2000:
            raise InvalidInput("description_too_long")
        check_stock(new.stock)
        if new.image_url and not new.image_url.startswith(("http://", "https://")):
            raise InvalidInput("bad_image_url")
        category = None
        if new.category and new.category.strip():
            category = await self.category_named(shop_id, new.category)
        product = await Product.create(
            shop_id=shop_id,
            category=category,
            title=title,
            description=new.description.strip(),
            price=new.price,
            stock=new.stock,
            image_url=new.image_url or None,
            search_text=search_text_of(title, new.description, category.name if category else ""),
        )
        await self.products_changed(shop_id)
        return product

    async def set_price(self, shop_id: int, product_id: int, price: Decimal) -> Product:
        await self.product(shop_id, product_id, include_hidden=True)
        await Product.filter(id=product_id).update(price=price)
        await self.products_changed(shop_id)
        return await self.product(shop_id, product_id, include_hidden=True)

    async def set_stock(
        self, shop_id: int, product_id: int, stock: int, *, was: int | None = None
    ) -> Product:
        """The count on hand. With `was` (what the merchant's form showed): written only if
        the stock is still that, else StockMoved and nothing written, so an order placed
        while the form was open keeps the units it took."""
        check_stock(stock)
        await self.product(shop_id, product_id, include_hidden=True)
        await replace_stock(product_id, stock, was)
        await self.products_changed(shop_id)
        return await self.product(shop_id, product_id, include_hidden=True)

    async def set_active(self, shop_id: int, product_id: int, active: bool) -> Product:
        await self.product(shop_id, product_id, include_hidden=True)
        await Product.filter(id=product_id).update(active=active)
        await self.products_changed(shop_id)
        return await self.product(shop_id, product_id, include_hidden=True)


def paged(qs: QuerySet[Product], offset: int) -> QuerySet[Product]:
    return (
        qs.annotate(total=RawSQL("COUNT(*) OVER ()")).order_by("id").offset(offset).limit(PAGE_SIZE)
    )


def visible_product(shop_id: int, product_id: int) -> QuerySet[Product]:
    return Product.filter(shop_id=shop_id, id=product_id, active=True).limit(1)


# What customers read most, with their SQL built once (store/prepared.py).
VISIBLE_PRODUCT = Prepared(Product, visible_product)
SHOP_PAGE = Prepared(
    Product, lambda shop_id, offset: paged(Product.filter(shop_id=shop_id, active=True), offset)
)
CATEGORY_PAGE = Prepared(
    Product,
    lambda shop_id, category_id, offset: paged(
        Product.filter(shop_id=shop_id, active=True, category_id=category_id), offset
    ),
)


async def replace_stock(product_id: int, stock: int, was: int | None) -> None:
    """Set the stock; with `was`, only while it still is that (StockMoved otherwise)."""
    rows = Product.filter(id=product_id)
    if was is not None:
        rows = rows.filter(stock=was)
    if not await rows.update(stock=stock):
        now = await Product.filter(id=product_id).values_list("stock", flat=True)
        raise StockMoved(now=now[0] if now else 0)
