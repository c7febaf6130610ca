"""Reviews of every product, newest first or only those waiting for a reply; replying once
(the buyer hears it), hiding and showing again (as /reviewreply, /hidereview, /showreview)."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.pages import (
    list_query,
    page_number,
    page_of,
    path_id,
    render,
    required,
    see_other,
    staff_page,
)
from store.errors import InvalidInput, NotFound, StoreError


def _here(request: web.Request) -> str:
    """The list as shown (waiting only, which page): where a review's form returns to, and
    where a refusal is shown beside the review it is about."""
    unanswered = "1" if request.query.get("unanswered") == "1" else ""
    return list_query(request, {"unanswered": unanswered})


def _back(request: web.Request, done: str, review_id: int) -> web.Response:
    here = _here(request)
    query = f"{here}&done={done}" if here else f"done={done}"
    return see_other(f"/dashboard/reviews?{query}#review-{review_id}")


@staff_page
async def reviews(request: web.Request) -> web.Response:
    return await _list(request)


async def _list(
    request: web.Request, texts: dict[int, str] | None = None, status: int = 200, problem: str = ""
) -> web.Response:
    page = page_of(request)
    unanswered = request.query.get("unanswered") == "1"
    found = await page.runtime.services.reviews.for_shop(
        page.shop.id, page_number(request), unanswered_only=unanswered
    )
    return render(
        request,
        "reviews.html.j2",
        status=status,
        found=found,
        unanswered=unanswered,
        texts=texts or {},
        here=_here(request),
        problem=problem,
        done=request.query.get("done", ""),
    )


@staff_page
async def reply(request: web.Request) -> web.Response:
    page = page_of(request)
    review_id = path_id(request)
    text = str((await request.post()).get("text", ""))
    try:
        await page.runtime.services.reviews.reply(page.shop.id, review_id, required(text))
    except NotFound:
        raise
    except InvalidInput as e:  # empty or too long: said beside that review's box
        page.errors = {f"reply-{review_id}": page.error(e)}
        return await _list(request, {review_id: text}, status=400)
    except StoreError as e:  # replied already (a reply is given once)
        return await _list(request, status=409, problem=page.error(e))
    return _back(request, "replied", review_id)


@staff_page
async def visibility(request: web.Request) -> web.Response:
    page = page_of(request)
    review_id = path_id(request)
    hidden = request.match_info["action"] == "hide"
    await page.runtime.services.reviews.set_hidden(page.shop.id, review_id, hidden)
    return _back(request, "hidden" if hidden else "shown", review_id)


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/reviews", reviews)
    app.router.add_post("/dashboard/reviews/{id}/reply", reply)
    app.router.add_post("/dashboard/reviews/{id}/{action:hide|show}", visibility)
