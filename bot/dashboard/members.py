"""Members (会员): the points rule, the member levels and the best customers with their
points, spend and level. Anyone of the staff sees them; only the owner changes the rule and
the levels (as /pointsrule and /level in chat)."""

from __future__ import annotations

from functools import wraps

from aiohttp import web

from bot.dashboard.pages import Handler, page_of, render, see_other, staff_page
from handlers.commands.loyalty import decimal_arg, plain_decimal, rule_args
from store.errors import InvalidInput, NotFound, PermissionDenied
from store.models import Role
from store.money import parse_amount

RULE_FIELDS = {"earn": "points_bad_earn", "value": "points_bad_value", "cap": "points_bad_cap"}
LEVEL_FIELDS = ("name", "min_spend", "discount")
# Which field of the level form a refusal is about (the price parser's own: the spend).
LEVEL_ERROR_FIELD = {
    "level_bad_name": "name",
    "level_too_many": "name",
    "level_name_taken": "name",
    "level_bad_discount": "discount",
}


@staff_page
async def members(request: web.Request) -> web.Response:
    return await _page(request)


async def _page(
    request: web.Request, form: dict[str, str] | None = None, status: int = 200, problem: str = ""
) -> web.Response:
    page = page_of(request)
    loyalty = page.runtime.services.loyalty
    return render(
        request,
        "members.html.j2",
        status=status,
        rule=await loyalty.rule(page.shop.id),
        levels=await loyalty.levels(page.shop.id),
        members=await loyalty.top_members(page.shop.id),
        owner=page.role == Role.OWNER,
        pct=plain_decimal,
        form=form or {},
        problem=problem,
        done=request.query.get("done", ""),
    )


def owner_only(handler: Handler) -> Handler:
    """Staff see the page; a change of theirs is refused on it, changing nothing."""

    @wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        page = page_of(request)
        if page.role != Role.OWNER:
            denied = PermissionDenied("owner_only")
            return await _page(request, status=403, problem=page.error(denied))
        return await handler(request)

    return guarded


@staff_page
@owner_only
async def save_rule(request: web.Request) -> web.Response:
    page = page_of(request)
    loyalty = page.runtime.services.loyalty
    data = await request.post()
    if data.get("switch") == "off":
        await loyalty.switch_off(page.shop.id)
        return see_other("/dashboard/members?done=points_off")
    form = {k: str(data.get(k, "")).strip() for k in RULE_FIELDS}
    try:  # the chat's own parsing: its error codes name the field
        earn, redeem, cap = rule_args([f"{k}={v}" for k, v in form.items() if v])
        await loyalty.set_rule(page.shop.id, earn=earn, redeem=redeem, cap=cap)
    except InvalidInput as e:
        field = next((k for k, code in RULE_FIELDS.items() if code == e.code), "earn")
        page.errors = {field: page.error(e)}
        return await _page(request, form, status=400)
    return see_other("/dashboard/members?done=points")


@staff_page
@owner_only
async def save_level(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in LEVEL_FIELDS}
    try:
        spend = parse_amount(form["min_spend"], allow_zero=True)
        discount = decimal_arg(form["discount"], "level_bad_discount")
        await page.runtime.services.loyalty.set_level(page.shop.id, form["name"], spend, discount)
    except InvalidInput as e:  # a bad name, spend or discount, a spend taken, too many levels
        page.errors = {LEVEL_ERROR_FIELD.get(e.code, "min_spend"): page.error(e)}
        return await _page(request, form, status=400)
    return see_other("/dashboard/members?done=level")


@staff_page
@owner_only
async def remove_level(request: web.Request) -> web.Response:
    page = page_of(request)
    name = str((await request.post()).get("name", ""))
    try:
        await page.runtime.services.loyalty.remove_level(page.shop.id, name)
    except NotFound as e:  # removed meanwhile (another tab): say so
        return await _page(request, status=409, problem=page.error(e))
    return see_other("/dashboard/members?done=level_removed")


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/members", members)
    app.router.add_post("/dashboard/members/rule", save_rule)
    app.router.add_post("/dashboard/members/levels", save_level)
    app.router.add_post("/dashboard/members/levels/remove", remove_level)
