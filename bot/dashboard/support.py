"""Customer service (客服): the shop's open tickets, who is waiting for an answer, one
ticket's conversation, answering and closing it (as /tickets, /ticket, /reply, /close in
chat; the customer hears the answer in their chat the same way)."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.pages import page_number, page_of, render, required, see_other, staff_page
from store.errors import InvalidInput, NotFound, StoreError

THREAD_LENGTH = 50  # messages shown, the latest ones


def _ref(request: web.Request) -> str:
    return request.match_info["ticket"]


@staff_page
async def inbox(request: web.Request) -> web.Response:
    page = page_of(request)
    found = await page.runtime.services.support.inbox(page.shop.id, page_number(request))
    return render(request, "tickets.html.j2", rows=found.rows, found=found)


@staff_page
async def ticket(request: web.Request) -> web.Response:
    return await _ticket_page(request, "")


async def _ticket_page(
    request: web.Request, text: str, status: int = 200, problem: str = ""
) -> web.Response:
    page = page_of(request)
    thread = await page.runtime.services.support.thread(
        _ref(request), page.person.id, shop_id=page.shop.id, length=THREAD_LENGTH
    )
    return render(
        request,
        "ticket.html.j2",
        status=status,
        thread=thread,
        text=text,
        problem=problem,
        done=request.query.get("done", ""),
    )


@staff_page
async def answer(request: web.Request) -> web.Response:
    page = page_of(request)
    text = str((await request.post()).get("text", ""))
    try:
        thread = await page.runtime.services.support.post(
            _ref(request), page.person, required(text), shop_id=page.shop.id
        )
    except InvalidInput as e:  # empty or too long: say so beside the box, keep the text
        page.errors = {"text": page.error(e)}
        return await _ticket_page(request, text, status=400)
    except NotFound:
        raise
    except StoreError as e:  # closed meanwhile: say so, keep the text
        return await _ticket_page(request, text, status=409, problem=page.error(e))
    return see_other(f"/dashboard/support/T{thread.ticket.id}?done=sent")


@staff_page
async def close(request: web.Request) -> web.Response:
    page = page_of(request)
    try:
        thread = await page.runtime.services.support.close(
            _ref(request), page.person.id, shop_id=page.shop.id
        )
    except NotFound:
        raise
    except StoreError as e:  # closed already
        return await _ticket_page(request, "", status=409, problem=page.error(e))
    return see_other(f"/dashboard/support/T{thread.ticket.id}?done=closed")


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/support", inbox)
    app.router.add_get("/dashboard/support/{ticket}", ticket)
    app.router.add_post("/dashboard/support/{ticket}/answer", answer)
    app.router.add_post("/dashboard/support/{ticket}/close", close)
