"""The FAQ (常见问题) customers read with /faq: entries added, edited and removed, numbered as
in chat (as /faq add, /faq edit, /faq remove)."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.pages import page_of, path_id, render, required, see_other, staff_page
from store.errors import InvalidInput, NotFound
from store.support.models import MAX_QUESTION

FIELDS = ("question", "answer")


@staff_page
async def faq(request: web.Request) -> web.Response:
    return await _page(request)


async def _page(
    request: web.Request, form: dict[str, str] | None = None, editing: int = 0, status: int = 200
) -> web.Response:
    """`editing`: the entry whose form holds `form` (0: the new entry's form)."""
    page = page_of(request)
    return render(
        request,
        "faq.html.j2",
        status=status,
        entries=await page.runtime.services.support.faq(page.shop.id),
        form=form or {},
        editing=editing,
        done=request.query.get("done", ""),
    )


async def _save(request: web.Request, number: int) -> web.Response:
    """Add (number 0) or change entry `number`; refusals are shown beside the fields."""
    page = page_of(request)
    support = page.runtime.services.support
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in FIELDS}
    try:
        question, answer = (required(form[k]) for k in FIELDS)
        if number:
            await support.faq_edit(page.shop.id, number, question, answer)
        else:
            number = await support.faq_add(page.shop.id, question, answer)
    except NotFound:
        raise
    except InvalidInput as e:
        question_ok = 0 < len(form["question"]) <= MAX_QUESTION
        page.errors = {"answer" if question_ok else "question": page.error(e)}
        return await _page(request, form, number, status=400)
    return see_other(f"/dashboard/support/faq?done=saved#faq-{number}")


@staff_page
async def add(request: web.Request) -> web.Response:
    return await _save(request, 0)


@staff_page
async def edit(request: web.Request) -> web.Response:
    return await _save(request, path_id(request))


@staff_page
async def remove(request: web.Request) -> web.Response:
    page = page_of(request)
    await page.runtime.services.support.faq_remove(page.shop.id, path_id(request))
    return see_other("/dashboard/support/faq?done=removed")


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/support/faq", faq)
    app.router.add_post("/dashboard/support/faq", add)
    app.router.add_post("/dashboard/support/faq/{id}", edit)
    app.router.add_post("/dashboard/support/faq/{id}/remove", remove)
