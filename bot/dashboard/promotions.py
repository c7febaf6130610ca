"""Promotions: coupons (create, end), spend-and-save rules (满减: add, remove) and flash
sales (create, running and coming, end), as /coupon, /fullreduce and /flash in chat."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.dashboard.pages import Page, page_of, path_id, render, see_other, staff_page
from handlers.args import shop_date, whole
from handlers.commands.promotions import coupon_value, new_flash_sale
from store.errors import InvalidInput, NotFound, StoreError
from store.money import parse_amount
from store.product_admin import product_choices
from store.promotions.service import NewCoupon

COUPON_FIELDS = ("code", "value", "min_spend", "until", "uses", "per_customer")
RULE_FIELDS = ("threshold", "off")
FLASH_FIELDS = ("product", "price", "start", "end", "cap", "limit")
# Which field of the flash-sale form a refusal of the store is about.
FLASH_ERROR_FIELD = {"flash_price_not_lower": "price", "promo_in_past": "end"}
# Which field of the coupon form a refusal of the store is about.
COUPON_ERROR_FIELD = {
    "coupon_bad_code": "code",
    "coupon_exists": "code",
    "coupon_bad_percent": "value",
    "promo_in_past": "until",
}
LIMIT = 100_000  # uses, per customer: as in chat


@staff_page
async def promotions(request: web.Request) -> web.Response:
    return await _page(request)


async def _page(
    request: web.Request, form: dict[str, str] | None = None, status: int = 200, problem: str = ""
) -> web.Response:
    page = page_of(request)
    service = page.runtime.services.promotions
    return render(
        request,
        "promotions.html.j2",
        status=status,
        coupons=await service.coupons(page.shop.id),
        rules=await service.rules(page.shop.id),
        sales=await service.flash_sales(page.shop.id),
        products=await product_choices(page.shop.id),
        now=service.clock(),
        form=form or {},
        problem=problem,
        done=request.query.get("done", ""),
    )


def _read(page: Page, form: dict[str, str], name: str, parse: Callable[[str], Any]) -> Any:
    """The field parsed, or None with its error noted beside it."""
    try:
        return parse(form[name])
    except StoreError as e:
        page.errors = page.errors | {name: page.error(e)}
        return None


def _optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda text: parse(text) if text.strip() else None


@staff_page
async def new_coupon(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in COUPON_FIELDS}
    tz = ZoneInfo(page.shop.timezone)
    value = _read(page, form, "value", coupon_value)
    min_spend = _read(
        page, form, "min_spend", _optional(lambda t: parse_amount(t, allow_zero=True))
    )
    ends_at = _read(page, form, "until", _optional(lambda t: shop_date(t, tz, end=True)))
    uses = _read(page, form, "uses", _optional(lambda t: whole(t, high=LIMIT)))
    per = _read(page, form, "per_customer", _optional(lambda t: whole(t, high=LIMIT)))
    if page.errors:
        return await _page(request, form, status=400)
    new = NewCoupon(
        code=form["code"],
        kind=value[0],
        value=value[1],
        min_spend=min_spend or Decimal(0),
        ends_at=ends_at,
        uses=uses,
        per_customer=per or 1,
    )
    try:
        saved = await page.runtime.services.promotions.create_coupon(page.shop.id, new)
    except StoreError as e:
        field = COUPON_ERROR_FIELD.get(e.code) or {"uses": "uses", "per": "per_customer"}.get(
            str(e.params.get("name", "")), "code"
        )
        page.errors = {field: page.error(e)}
        return await _page(request, form, status=400)
    return see_other(f"/dashboard/promotions?done=coupon#coupon-{saved.code}")


@staff_page
async def new_rule(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in RULE_FIELDS}
    threshold = _read(page, form, "threshold", parse_amount)
    off = _read(page, form, "off", parse_amount)
    if page.errors:
        return await _page(request, form, status=400)
    try:
        rule = await page.runtime.services.promotions.add_rule(page.shop.id, threshold, off)
    except StoreError as e:  # not less than the spend, one like it, too many rules
        page.errors = {"off" if e.code == "fullreduce_too_much" else "threshold": page.error(e)}
        return await _page(request, form, status=400)
    return see_other(f"/dashboard/promotions?done=rule#rule-{rule.id}")


@staff_page
async def end(request: web.Request) -> web.Response:
    """End a coupon (by code) or a flash sale, remove a rule: gone from the page, kept in the
    orders that used it. Another shop's, or none, is 404."""
    page = page_of(request)
    service = page.runtime.services.promotions
    kind = request.match_info["kind"]
    if kind == "coupons":
        await service.end_coupon(page.shop.id, request.match_info["id"])
    elif kind == "rules":
        await service.remove_rule(page.shop.id, path_id(request))
    elif kind == "flash":
        await service.end_flash(page.shop.id, path_id(request))
    else:
        raise NotFound()
    return see_other(f"/dashboard/promotions?done=ended_{kind}")


@staff_page
async def new_flash(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in FLASH_FIELDS}
    service = page.runtime.services.promotions
    try:
        new = new_flash_sale(form, ZoneInfo(page.shop.timezone), service.clock())
        sale = await service.create_flash(page.shop.id, new)
    except NotFound as e:  # the product was hidden or removed meanwhile
        page.errors = {"product": page.error(e)}
        return await _page(request, form, status=400)
    except InvalidInput as e:  # a field that does not parse, or the store's refusal
        named = str(e.params.get("name", ""))  # promo_bad_count names cap or limit
        field = e.params.get("field") or FLASH_ERROR_FIELD.get(e.code) or named or "product"
        page.errors = {str(field): page.error(e)}
        return await _page(request, form, status=400)
    return see_other(f"/dashboard/promotions?done=flash#flash-{sale.id}")


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/promotions", promotions)
    app.router.add_post("/dashboard/promotions/coupons", new_coupon)
    app.router.add_post("/dashboard/promotions/rules", new_rule)
    app.router.add_post("/dashboard/promotions/flash", new_flash)
    app.router.add_post("/dashboard/promotions/{kind}/{id}/end", end)
