"""Products: list and search, create and edit, price and stock inline, hide and show, CSV."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from urllib.parse import urlencode

from aiohttp import web

from bot.dashboard.pages import csv_response, page_of, path_id, render, see_other, staff_page
from handlers.args import whole
from store.catalog import MAX_STOCK
from store.errors import InvalidInput, StockMoved, StoreError
from store.ids import row_id
from store.models import Product
from store.money import parse_amount
from store.product_admin import ImportResult, ProductAdmin, ProductForm, check_product, form_of

ADMIN = web.AppKey("dashboard_products", ProductAdmin)
MAX_CSV_BYTES = 1_000_000


def _form(data: dict[str, str] | object) -> ProductForm:
    get = data.get  # type: ignore[attr-defined]
    return ProductForm(**{k: str(get(k, "")) for k in ProductForm.__dataclass_fields__})


def _filters(data: Mapping[str, object]) -> tuple[str, str]:
    """The list's search and visibility filter: from the address, or from a row's form."""
    return str(data.get("q", ""))[:100], str(data.get("show", "all"))


def _back_to_list(data: Mapping[str, object], done: str, pid: int) -> web.Response:
    """After a row's change, the list as it was filtered, saying what was done."""
    query, visibility = _filters(data)
    kept = {k: v for k, v in (("q", query), ("show", visibility)) if v and v != "all"}
    return see_other(f"/dashboard/products?{urlencode(kept | {'done': done, 'id': pid})}")


async def _list(
    request: web.Request,
    *,
    status: int = 200,
    filters: tuple[str, str] | None = None,
    **values: object,
) -> web.Response:
    page = page_of(request)
    query, visibility = filters or _filters(request.query)
    products = await request.app[ADMIN].list(page.shop.id, query, visibility)
    done = request.query.get("done", "")
    changed = None  # the product just added or changed: the note names it
    pid = row_id(request.query.get("id", ""))
    if done and pid is not None:
        changed = next((p for p in products if p.id == pid), None)
        if changed is None:  # not in this list (hidden from a list of those shown)
            changed = await Product.get_or_none(id=pid, shop_id=page.shop.id)
    values.setdefault("row_errors", {})
    values.setdefault("row_values", {})
    return render(
        request,
        "products.html.j2",
        status=status,
        products=products,
        query=query,
        visibility=visibility,
        done=done,
        changed=changed,
        **values,
    )


@staff_page
async def product_list(request: web.Request) -> web.Response:
    return await _list(request)


@staff_page
async def new_product(request: web.Request) -> web.Response:
    return render(request, "product_form.html.j2", product=None, form=ProductForm(stock="1"))


@staff_page
async def create_product(request: web.Request) -> web.Response:
    page = page_of(request)
    form = _form(await request.post())
    new, errors = check_product(form)
    if new is None:
        page.errors = {k: page.error(e) for k, e in errors.items()}
        return render(request, "product_form.html.j2", status=400, product=None, form=form)
    product = await page.runtime.services.catalog.add_product(page.shop.id, new)
    return see_other(f"/dashboard/products?done=created&id={product.id}")


@staff_page
async def edit_product(request: web.Request) -> web.Response:
    page = page_of(request)
    product = await request.app[ADMIN].get(page.shop.id, path_id(request))
    form = form_of(product)
    return render(request, "product_form.html.j2", product=product, form=form, stock_was=form.stock)


def _stock_was(data: Mapping[str, object]) -> int | None:
    """The stock the form showed, sent back with it (None from a form that has none)."""
    text = str(data.get("stock_was", ""))
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 7 else None


@staff_page
async def save_product(request: web.Request) -> web.Response:
    page = page_of(request)
    admin = request.app[ADMIN]
    product = await admin.get(page.shop.id, path_id(request))
    data = await request.post()
    form, was = _form(data), _stock_was(data)
    new, errors = check_product(form)
    if new is not None:
        try:
            await admin.update(page.shop.id, product.id, new, stock_was=was)
        except StockMoved as moved:
            errors, was = {"stock": moved}, moved.params["now"]
        else:
            return see_other(f"/dashboard/products?done=saved&id={product.id}")
    page.errors = {k: page.error(e) for k, e in errors.items()}
    return render(
        request, "product_form.html.j2", status=400, product=product, form=form, stock_was=was
    )


@staff_page
async def quick_edit(request: web.Request) -> web.Response:
    """Price and stock straight from the list; the stock only when it was changed there."""
    page = page_of(request)
    catalog = page.runtime.services.catalog
    pid = path_id(request)
    await catalog.product(page.shop.id, pid, include_hidden=True)  # 404 for another shop's
    form = await request.post()
    errors: dict[str, str] = {}
    price = stock = None
    try:
        price = parse_amount(str(form.get("price", "")))
    except StoreError as e:
        errors["price"] = page.error(e)
    try:
        typed = unicodedata.normalize("NFKC", str(form.get("stock", "")))  # full-width ５ is 5
        stock = whole(typed, low=0, high=MAX_STOCK, code="bad_stock")
    except InvalidInput as e:
        errors["stock"] = page.error(e)
    was = _stock_was(form)
    if price is not None and stock is not None:
        try:
            if stock != was:
                await catalog.set_stock(page.shop.id, pid, stock, was=was)
            await catalog.set_price(page.shop.id, pid, price)
            return _back_to_list(form, "saved", pid)
        except StockMoved as moved:
            errors["stock"] = page.error(moved)
    values = {"price": str(form.get("price", "")), "stock": str(form.get("stock", ""))}
    return await _list(
        request,
        status=400,
        filters=_filters(form),
        row_errors={pid: errors},
        row_values={pid: values},
    )


@staff_page
async def set_visibility(request: web.Request) -> web.Response:
    page = page_of(request)
    form = await request.post()
    visible = form.get("visible") == "1"
    pid = path_id(request)
    await page.runtime.services.catalog.set_active(page.shop.id, pid, visible)
    return _back_to_list(form, "shown" if visible else "hidden", pid)


@staff_page
async def export_products(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.app[ADMIN].export_csv(page.shop.id)
    return csv_response(data, f"products-{page.shop.slug}.csv")


@staff_page
async def import_page(request: web.Request) -> web.Response:
    """The upload form; after an import, what it did (from the address it redirected to)."""
    counts = {k: request.query.get(k, "") for k in ("created", "updated")}
    done = None
    if all(v.isascii() and v.isdigit() and len(v) < 7 for v in counts.values()):
        done = ImportResult(created=int(counts["created"]), updated=int(counts["updated"]))
    return render(request, "products_import.html.j2", result=done)


@staff_page
async def import_products(request: web.Request) -> web.Response:
    page = page_of(request)
    form = await request.post()
    upload = form.get("file")
    data = upload.file.read(MAX_CSV_BYTES + 1) if isinstance(upload, web.FileField) else b""
    if not data or len(data) > MAX_CSV_BYTES:
        page.errors = {"file": page.t("Choose a CSV file (1 MB at most).")}
        return render(request, "products_import.html.j2", status=400, result=None)
    result = await request.app[ADMIN].import_csv(page.shop.id, data)
    if result.errors:  # nothing imported: the problems, row by row, on this answer
        return render(request, "products_import.html.j2", status=400, result=result)
    # Imported: a page of its own, so reloading it shows the result, never imports again.
    counts = urlencode({"created": result.created, "updated": result.updated})
    return see_other(f"/dashboard/products/import?{counts}")


def setup(app: web.Application, admin: ProductAdmin) -> None:
    app[ADMIN] = admin
    r = app.router
    r.add_get("/dashboard/products", product_list)
    r.add_post("/dashboard/products", create_product)
    r.add_get("/dashboard/products/new", new_product)
    r.add_get("/dashboard/products.csv", export_products)
    r.add_get("/dashboard/products/import", import_page)
    r.add_post("/dashboard/products/import", import_products)
    r.add_get("/dashboard/products/{id}", edit_product)
    r.add_post("/dashboard/products/{id}", save_product)
    r.add_post("/dashboard/products/{id}/quick", quick_edit)
    r.add_post("/dashboard/products/{id}/visibility", set_visibility)
