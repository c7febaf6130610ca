"""Orders: filter by status and date, one order's detail and its actions, CSV export.

The actions call the same store services as the chat commands (/paid, /ship, /refundok,
/refundno, /refunditem), so the customer is told exactly as when the merchant acts in chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from bot.dashboard.pages import (
    Page,
    csv_response,
    page_number,
    page_of,
    render,
    see_other,
    staff_page,
)
from handlers.args import read_field, whole
from store.accounts.masking import contact_visible, mask_address, mask_phone
from store.csvfile import write_csv
from store.errors import AlreadyPaid, IllegalTransition, InvalidInput, NotFound, StoreError
from store.models import Order, OrderItem, OrderStatus, RefundJob
from store.orders import PARTLY_REFUNDABLE
from store.reports import QUERY_MAX, OrderFilter, ShopReports

REPORTS = web.AppKey("dashboard_order_reports", ShopReports)
Form = MultiDictProxy[Any]
Action = Callable[["Page", Order, Form], Awaitable[None]]
EXPORT_COLUMNS = (
    "order_no",
    "created_at",
    "status",
    "total",
    "refunded",  # part refunds too: total - refunded is what the shop kept
    "currency",
    "items",
    "contact_name",
    "phone",
    "address",
    "note",
    "payment_method",
    "paid_at",
    "shipped_at",
    "carrier",
    "tracking_no",
)


def _date(text: str) -> date | None:
    """A filter date; nonsense, or a year no shop has orders in, is no filter."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day and 2000 <= day.year <= 2999 else None


def _filter(request: web.Request) -> OrderFilter:
    status = request.query.get("status", "")
    since, until = _date(request.query.get("from", "")), _date(request.query.get("to", ""))
    if since and until and since > until:  # picked the wrong way round: the days between
        since, until = until, since
    return OrderFilter(
        status=OrderStatus(status) if status in OrderStatus._value2member_map_ else None,
        since=since,
        until=until,
        query=request.query.get("q", "").strip()[:QUERY_MAX],
    )


@staff_page
async def order_list(request: web.Request) -> web.Response:
    page = page_of(request)
    flt = _filter(request)
    found = await request.app[REPORTS].orders(page.shop, flt, page_number(request))
    counts = await request.app[REPORTS].filtered_status_counts(page.shop, flt)
    # The search and dates, kept when a status tab is chosen.
    searched = {"q": flt.query, "from": flt.since or "", "to": flt.until or ""}
    return render(
        request,
        "orders.html.j2",
        found=found,
        flt=flt,
        counts=counts,
        searched=urlencode({k: str(v) for k, v in searched.items() if v}),
        statuses=list(OrderStatus),
        query=request.query_string,
    )


@staff_page
async def export_orders(request: web.Request) -> web.Response:
    page = page_of(request)
    orders = await request.app[REPORTS].orders_for_export(page.shop, _filter(request))
    data = write_csv(EXPORT_COLUMNS, (_export_row(page, o) for o in orders))
    return csv_response(data, f"orders-{page.shop.slug}.csv")


def _export_row(page: Page, o: Order) -> tuple[object, ...]:
    items = "; ".join(f"{i.title} x{i.quantity}" for i in o.items)
    return (
        o.order_no,
        page.when(o.created_at),
        o.status,
        o.total,
        o.refunded_amount,
        o.currency,
        items,
        o.contact_name,
        *_contact(o),
        o.note,
        o.payment_method,
        page.when(o.paid_at),
        page.when(o.shipped_at),
        o.carrier,
        o.tracking_no,
    )


def _contact(o: Order) -> tuple[str, str]:
    """Phone and address: in full for orders to ship (printing labels), masked otherwise."""
    if contact_visible(o.status):
        return o.phone, o.address
    return mask_phone(o.phone), mask_address(o.address)


async def _order(page: Page, request: web.Request) -> Order:
    # too long a number answers as any unknown one: the store checks it against the column
    return await page.runtime.services.orders.for_shop(request.match_info["no"], page.shop.id)


async def _detail(
    request: web.Request, order: Order, *, status: int = 200, problem: str = ""
) -> web.Response:
    await order.fetch_related("person")
    return render(
        request,
        "order.html.j2",
        status=status,
        order=order,
        problem=problem,
        done=request.query.get("done", ""),
        form=dict(await request.post()) if request.method == "POST" else {},
        refund_jobs=await RefundJob.filter(order_id=order.id).order_by("id"),
        refund_lines=_refund_lines(order),
        group=await page_of(request).runtime.services.groupbuys.waiting_group(order.id),
    )


def _refund_lines(order: Order) -> list[tuple[int, OrderItem]]:
    """The lines (numbered as /refunditem numbers them) with units left to refund."""
    if order.status not in PARTLY_REFUNDABLE:
        return []
    items = sorted(order.items, key=lambda i: i.id)
    return [(n, i) for n, i in enumerate(items, 1) if i.quantity > i.refunded_quantity]


@staff_page
async def order_detail(request: web.Request) -> web.Response:
    return await _detail(request, await _order(page_of(request), request))


async def _act(request: web.Request, done: str, action: Action) -> web.Response:
    """Run one order action; a validation error is shown next to its field, an order that
    moved on meanwhile is shown as it is now with a note."""
    page = page_of(request)
    order = await _order(page, request)
    form = await request.post()
    try:
        await action(page, order, form)
    except IllegalTransition as e:
        fresh = await page.runtime.services.orders.get(order.order_no)
        return await _detail(request, fresh, status=409, problem=page.error(e))
    except InvalidInput as e:
        if "field" not in e.params:
            return await _detail(request, order, status=400, problem=page.error(e))
        page.errors = {str(e.params["field"]): page.error(e)}
        return await _detail(request, order, status=400)
    except StoreError as e:  # already paid, amount mismatch: say so, change nothing
        return await _detail(request, order, status=409, problem=page.error(e))
    return see_other(f"/dashboard/orders/{order.order_no}?done={done}")


def _required(form: Form, name: str, code: str, key: str = "") -> str:
    """A field that may not be empty; `key` names its error when another form of the page
    has a field of the same name."""
    value = str(form.get(name, "")).strip()
    if not value:
        raise InvalidInput(code, field=key or name)
    return value


async def _mark_paid(page: Page, order: Order, form: Form) -> None:
    result = await page.runtime.services.payments.confirm_manual(order)
    if result.duplicate:
        raise AlreadyPaid(no=order.order_no)


async def _ship(page: Page, order: Order, form: Form) -> None:
    carrier = _required(form, "carrier", "bad_tracking")
    tracking_no = _required(form, "tracking_no", "bad_tracking")
    await page.runtime.services.orders.ship(order, carrier, tracking_no)


async def _approve(page: Page, order: Order, form: Form) -> None:
    restock = form.get("restock") == "1"  # unchecked: the customer keeps the goods
    await page.runtime.services.orders.approve_refund(order, restock=restock)


async def _reject(page: Page, order: Order, form: Form) -> None:
    reason = _required(form, "reason", "reason_required", "reject_reason")  # not the part refund's
    await page.runtime.services.orders.reject_refund(order, reason)


# The store's refusals of a line refund that are about one field of the form.
REFUND_ERROR_FIELD = {"refund_bad_line": "line", "refund_line_done": "line"}


async def _refund_items(page: Page, order: Order, form: Form) -> None:
    """Some units of one line, as /refunditem: after completion too (after-sales)."""
    values = {k: str(form.get(k, "")).strip() for k in ("line", "quantity", "reason")}
    given = {k: v for k, v in values.items() if v or k == "line"}  # no quantity: all left
    line = read_field(given, "line", lambda v: whole(v, high=1000))
    quantity = read_field(given, "quantity", lambda v: whole(v, high=1000))
    restock = form.get("restock") == "1"  # unchecked: the customer keeps the units
    try:
        await page.runtime.services.orders.refund_items(
            order, line, quantity, values["reason"], restock=restock
        )
    except InvalidInput as e:
        e.params.setdefault("field", REFUND_ERROR_FIELD.get(e.code, "quantity"))
        raise


async def _returned(page: Page, order: Order, form: Form) -> None:
    """The merchant returned a manual or failed refund by hand (as /refunds done)."""
    if not await page.runtime.services.refunds.mark_returned(page.shop.id, order.id):
        raise NotFound("refund_not_waiting", no=order.order_no)


@staff_page
async def mark_returned(request: web.Request) -> web.Response:
    return await _act(request, "returned", _returned)


@staff_page
async def mark_paid(request: web.Request) -> web.Response:
    return await _act(request, "paid", _mark_paid)


@staff_page
async def ship(request: web.Request) -> web.Response:
    return await _act(request, "shipped", _ship)


@staff_page
async def approve_refund(request: web.Request) -> web.Response:
    return await _act(request, "refunded", _approve)


@staff_page
async def reject_refund(request: web.Request) -> web.Response:
    return await _act(request, "refund_rejected", _reject)


@staff_page
async def refund_items(request: web.Request) -> web.Response:
    return await _act(request, "part_refunded", _refund_items)


def setup(app: web.Application, reports: ShopReports) -> None:
    app[REPORTS] = reports
    r = app.router
    r.add_get("/dashboard/orders", order_list)
    r.add_get("/dashboard/orders.csv", export_orders)
    r.add_get("/dashboard/orders/{no}", order_detail)
    r.add_post("/dashboard/orders/{no}/paid", mark_paid)
    r.add_post("/dashboard/orders/{no}/ship", ship)
    r.add_post("/dashboard/orders/{no}/refund/approve", approve_refund)
    r.add_post("/dashboard/orders/{no}/refund/reject", reject_refund)
    r.add_post("/dashboard/orders/{no}/refund/items", refund_items)
    r.add_post("/dashboard/orders/{no}/refund/returned", mark_returned)
