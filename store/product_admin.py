"""The merchant's product editing beyond chat: whole-product edits and CSV import/export.

A form or a CSV row is checked field by field first, so every problem can be shown next to
its field or row. A CSV import writes nothing unless every row is valid, and then writes
all rows in one transaction.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from store.catalog import (
    MAX_STOCK,
    CatalogService,
    NewProduct,
    check_category,
    check_stock,
    replace_stock,
    search_text_of,
)
from store.csvfile import read_csv, write_csv
from store.db import transaction
from store.errors import InvalidInput, StoreError
from store.models import Product
from store.money import parse_amount

MAX_IMPORT_ROWS = 2000
COLUMNS = ("id", "title", "price", "stock", "category", "description", "image_url", "visible")
# Merchants often keep their sheets in Chinese.
COLUMN_ALIASES = {
    "编号": "id",
    "商品编号": "id",
    "商品名称": "title",
    "名称": "title",
    "价格": "price",
    "库存": "stock",
    "分类": "category",
    "描述": "description",
    "图片": "image_url",
    "上架": "visible",
}
_YES = {"1", "yes", "y", "true", "是", "上架"}
_NO = {"0", "no", "n", "false", "否", "下架"}


@dataclass(frozen=True, slots=True)
class ProductForm:
    """A product as typed into a form or a CSV row: every field still text."""

    title: str = ""
    price: str = ""
    stock: str = ""
    description: str = ""
    category: str = ""
    image_url: str = ""


def form_of(product: Product) -> ProductForm:
    """A product (its category fetched) as its form shows it."""
    return ProductForm(
        title=product.title,
        price=str(product.price),
        stock=str(product.stock),
        description=product.description,
        category=product.category.name if product.category else "",
        image_url=product.image_url or "",
    )


# What /edit changes in chat, by the words a merchant types; price and stock have their own.
EDITABLE = {
    "title": "title",
    "名称": "title",
    "description": "description",
    "desc": "description",
    "描述": "description",
    "category": "category",
    "分类": "category",
    "image": "image_url",
    "图片": "image_url",
}


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # line number in the file, the header being line 1
    column: str
    error: StoreError


@dataclass(slots=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def check_product(form: ProductForm) -> tuple[NewProduct | None, dict[str, StoreError]]:
    """The product, or the errors per field name. Same rules as the chat's /addproduct."""
    errors: dict[str, StoreError] = {}
    title = form.title.strip()
    if not 1 <= len(title) <= 120:
        errors["title"] = InvalidInput("bad_title")
    price = stock = None
    try:
        price = parse_amount(form.price)
    except StoreError as e:
        errors["price"] = e
    text = unicodedata.normalize("NFKC", form.stock).strip()  # full-width ５ is 5
    if not (text.isascii() and text.isdigit() and len(text) <= 7):
        errors["stock"] = InvalidInput("bad_stock", low=0, high=MAX_STOCK)
    else:
        try:
            stock = check_stock(int(text))
        except StoreError as e:
            errors["stock"] = e
    if len(form.description) > 2000:
        errors["description"] = InvalidInput("description_too_long")
    category = ""
    try:
        category = check_category(form.category)
    except StoreError as e:
        errors["category"] = e
    image = form.image_url.strip()
    if image and (not image.startswith(("http://", "https://")) or len(image) > 500):
        errors["image_url"] = InvalidInput("bad_image_url")
    if errors or price is None or stock is None:
        return None, errors
    return NewProduct(
        title=title,
        price=price,
        stock=stock,
        description=form.description.strip(),
        category=category or None,
        image_url=image or None,
    ), {}


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    product_id: int | None
    product: NewProduct | None  # None when the row has errors
    visible: bool | None


async def product_choices(shop_id: int) -> list[Product]:
    """The shop's visible products by title, for a form that picks one (a group-buy offer,
    a flash sale)."""
    return list(await Product.filter(shop_id=shop_id, active=True).order_by("title"))


class ProductAdmin:
    def __init__(self, catalog: CatalogService) -> None:
        self.catalog = catalog

    async def list(self, shop_id: int, query: str = "", visibility: str = "all") -> list[Product]:
        qs = Product.filter(shop_id=shop_id)
        if visibility in ("visible", "hidden"):
            qs = qs.filter(active=visibility == "visible")
        for word in query.casefold().split()[:5]:
            qs = qs.filter(search_text__contains=word)
        return list(await qs.order_by("-id").limit(500).prefetch_related("category"))

    async def get(self, shop_id: int, product_id: int) -> Product:
        product = await self.catalog.product(shop_id, product_id, include_hidden=True)
        await product.fetch_related("category")
        return product

    async def update(
        self, shop_id: int, product_id: int, new: NewProduct, stock_was: int | None = None
    ) -> Product:
        """The whole product from its form. `stock_was`, the stock the form showed: the
        stock is written only when the merchant changed it, and only while no order has
        moved it meanwhile (StockMoved, nothing written), so no order's units are undone."""
        await self.catalog.product(shop_id, product_id, include_hidden=True)
        async with transaction():
            if new.stock != stock_was:
                await replace_stock(product_id, new.stock, stock_was)
            await self._write(shop_id, product_id, new, stock=False)
        await self.catalog.products_changed(shop_id)
        return await self.get(shop_id, product_id)

    async def edit(self, shop_id: int, product_id: int, name: str, value: str) -> Product:
        """One of the product's words or its picture changed (`name` from EDITABLE), checked
        like the whole form; its price and stock are not written, so an order placed
        meanwhile keeps the units it took."""
        field_name = EDITABLE[name]
        new, errors = check_product(
            replace(form_of(await self.get(shop_id, product_id)), **{field_name: value})
        )
        if new is None:
            raise next(iter(errors.values()))
        await self._write(shop_id, product_id, new, price=False, stock=False)
        await self.catalog.products_changed(shop_id)
        return await self.get(shop_id, product_id)

    async def _write(
        self,
        shop_id: int,
        product_id: int,
        new: NewProduct,
        *,
        price: bool = True,
        stock: bool = True,
    ) -> None:
        """The product's words and picture; its price and stock unless told not to."""
        category = None
        if new.category:
            category = await self.catalog.category_named(shop_id, new.category)
        counts: dict[str, object] = {}
        if price:
            counts["price"] = new.price
        if stock:
            counts["stock"] = new.stock
        await Product.filter(id=product_id, shop_id=shop_id).update(
            title=new.title,
            description=new.description,
            category_id=category.id if category else None,
            image_url=new.image_url,
            search_text=search_text_of(new.title, new.description, new.category or ""),
            **counts,
        )

    # -- CSV -------------------------------------------------------------------------------
    async def export_csv(self, shop_id: int) -> bytes:
        products = await Product.filter(shop_id=shop_id).order_by("id").prefetch_related("category")
        return write_csv(
            COLUMNS,
            (
                (
                    p.id,
                    p.title,
                    p.price,
                    p.stock,
                    p.category.name if p.category else "",
                    p.description,
                    p.image_url or "",
                    "yes" if p.active else "no",
                )
                for p in products
            ),
        )

    async def import_csv(self, shop_id: int, data: bytes) -> ImportResult:
        """All rows or none: a file with any bad row changes nothing."""
        result = ImportResult()
        header, lines = read_csv(data)
        columns = [COLUMN_ALIASES.get(h, h) for h in header]
        missing = [c for c in ("title", "price", "stock") if c not in columns]
        if missing:
            result.errors.append(
                RowError(1, missing[0], InvalidInput("csv_missing_column", column=missing[0]))
            )
            return result
        if not lines:
            result.errors.append(RowError(2, "", InvalidInput("csv_empty")))
            return result
        if len(lines) > MAX_IMPORT_ROWS:
            result.errors.append(
                RowError(
                    MAX_IMPORT_ROWS + 2, "", InvalidInput("csv_too_many_rows", high=MAX_IMPORT_ROWS)
                )
            )
            return result
        rows = [self._parse_row(n, columns, cells, result) for n, cells in enumerate(lines, 2)]
        ids = [r.product_id for r in rows if r.product_id is not None]
        known = set(await Product.filter(shop_id=shop_id, id__in=ids).values_list("id", flat=True))
        for row in rows:
            if row.product_id is not None and row.product_id not in known:
                result.errors.append(
                    RowError(row.line, "id", InvalidInput("product_not_found", id=row.product_id))
                )
        if result.errors:
            result.errors.sort(
                key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else 0)
            )
            return result
        async with transaction():
            for row in rows:
                await self._apply(shop_id, row, result)
        # New categories were announced inside the transaction, before others could read them.
        await self.catalog.cache.changed(shop_id)
        await self.catalog.products_changed(shop_id)
        return result

    def _parse_row(
        self, line: int, columns: Sequence[str], cells: Sequence[str], result: ImportResult
    ) -> _Row:
        values = dict(zip(columns, cells, strict=False))
        new, errors = check_product(
            ProductForm(**{k: values.get(k, "") for k in ProductForm.__dataclass_fields__})
        )
        product_id = None
        raw_id = values.get("id", "").lstrip("#")
        if raw_id:
            if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10:
                product_id = int(raw_id)
            else:
                errors["id"] = InvalidInput("bad_number", value=raw_id[:20])
        visible = None
        raw_visible = values.get("visible", "").casefold()
        if raw_visible in _YES or raw_visible in _NO:
            visible = raw_visible in _YES
        elif raw_visible:
            errors["visible"] = InvalidInput("csv_bad_visible", value=raw_visible[:20])
        for column, error in errors.items():
            result.errors.append(RowError(line, column, error))
        return _Row(line, product_id, None if errors else new, visible)

    async def _apply(self, shop_id: int, row: _Row, result: ImportResult) -> None:
        assert row.product is not None  # only called when no row has errors
        if row.product_id is None:
            product = await self.catalog.add_product(shop_id, row.product)
            result.created += 1
            if row.visible is False:
                await Product.filter(id=product.id).update(active=False)
            return
        await self._write(shop_id, row.product_id, row.product)
        if row.visible is not None:
            await Product.filter(id=row.product_id, shop_id=shop_id).update(active=row.visible)
        result.updated += 1
