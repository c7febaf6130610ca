"""Customers (客户): everyone in the shop's community, searchable by name or tag, with their
orders, spend and tags; tags added and removed here are the broadcasts' `tag:` segments
(as /tag in chat)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.dashboard.pages import (
    list_query,
    page_number,
    page_of,
    path_id,
    render,
    see_other,
    staff_page,
)
from store.community.customers import customers as find_customers
from store.community.customers import is_customer
from store.errors import InvalidInput, NotFound


def _filters(request: web.Request) -> dict[str, str]:
    return {k: request.query.get(k, "").strip()[:40] for k in ("q", "tag")}


def _here(request: web.Request) -> str:
    """The list as it is shown (its filters and page): where a row's change returns to."""
    return list_query(request, _filters(request))


@staff_page
async def customer_list(request: web.Request) -> web.Response:
    return await _page(request)


async def _page(
    request: web.Request, status: int = 200, row: tuple[int, str, str] | None = None
) -> web.Response:
    """The list; `row` is (person id, what was wrong, the tag typed): said beside that row's
    tag field, the typed tag kept."""
    page = page_of(request)
    filters = _filters(request)
    found = await find_customers(page.shop.id, filters["q"], filters["tag"], page_number(request))
    return render(
        request,
        "customers.html.j2",
        status=status,
        found=found,
        filters=filters,
        query=urlencode({k: v for k, v in filters.items() if v}),
        here=_here(request),
        row=row,
    )


async def _change_tag(request: web.Request, add: bool) -> web.Response:
    page = page_of(request)
    person_id = path_id(request)
    if not await is_customer(page.shop.id, person_id):
        raise NotFound()
    tag = str((await request.post()).get("tag", ""))
    subs = page.runtime.services.community.subscriptions
    try:
        await (subs.tag if add else subs.untag)(page.shop.id, person_id, tag)
    except InvalidInput as e:
        return await _page(request, status=400, row=(person_id, page.error(e), tag[:40]))
    return see_other(f"/dashboard/customers?{_here(request)}#customer-{person_id}")


@staff_page
async def add_tag(request: web.Request) -> web.Response:
    return await _change_tag(request, add=True)


@staff_page
async def remove_tag(request: web.Request) -> web.Response:
    return await _change_tag(request, add=False)


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/customers", customer_list)
    app.router.add_post("/dashboard/customers/{id}/tags", add_tag)
    app.router.add_post("/dashboard/customers/{id}/tags/remove", remove_tag)
