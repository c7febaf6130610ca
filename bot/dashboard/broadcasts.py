"""Broadcasts: how many people a segment reaches, composing a draft, sending or scheduling
it, and recent broadcasts with a live progress bar and their controls (as /broadcast in
chat)."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.pages import page_of, path_id, render, see_other, staff_page
from handlers.commands.community import opt_out
from store.community.broadcasts import BroadcastView, parse_when, quiet, quiet_until
from store.errors import NotFound, StoreError

RECENT = 20


def progress_json(view: BroadcastView) -> dict[str, object]:
    p = view.progress
    done = p.sent + p.failed + p.blocked + p.skipped
    return {
        "id": view.id,
        "status": str(view.status),
        "audience": view.audience,
        "sent": p.sent,
        "failed": p.failed,
        "blocked": p.blocked,
        "skipped": p.skipped,
        "pending": p.pending,
        "percent": done * 100 // view.audience if view.audience else 0,
        "mass": {  # follower-wide sends (WeChat): the platform's report, once it came
            "units": p.mass,
            "waiting": p.mass_waiting,
            "failed": p.mass_failed,
            "total": p.followers,
            "sent": p.followers_sent,
            "errors": p.followers_failed,
            "filtered": p.followers_filtered,
        },
    }


@staff_page
async def broadcasts(request: web.Request) -> web.Response:
    return await _page(request, dict(request.query))


async def _page(
    request: web.Request,
    form: dict[str, str],
    status: int = 200,
    problem: str = "",
    *,
    card: tuple[int, str, str] | None = None,
) -> web.Response:
    """The page; `card` is (broadcast id, what went wrong, the time typed) for a refusal
    shown on that broadcast's card, beside its controls."""
    page = page_of(request)
    service = page.runtime.services.community.broadcasts
    segment = request.query.get("segment", "").strip()[:64]
    size = None
    if segment:  # the "who would it reach?" form; its errors are its own ("audience")
        try:
            size = await service.size(page.shop.id, segment)
        except StoreError as e:
            page.errors = page.errors | {"audience": page.error(e)}
    views = await service.recent(page.shop.id, limit=RECENT)
    if card is not None and card[0] not in {v.id for v in views}:
        problem, card = card[1], None  # not among the cards shown: said at the top
    hours = await service.quiet_hours(page.shop.id)
    return render(
        request,
        "broadcasts.html.j2",
        status=status,
        broadcasts=[(v, progress_json(v)) for v in views],
        segment=segment,
        size=size,
        form=form,
        problem=problem,
        card=card,
        waits_until={
            v.id: until
            for v in views
            if v.scheduled_at is not None
            and (until := quiet_until(v.scheduled_at, page.shop.timezone, hours))
        },
        quiet_now=quiet(service.clock(), page.shop.timezone, hours),
        done=request.query.get("done", ""),
    )


@staff_page
async def compose(request: web.Request) -> web.Response:
    """A draft from the form; it is sent or scheduled from its card, after a look at it."""
    page = page_of(request)
    data = await request.post()
    form = {k: str(data.get(k, "")) for k in ("segment", "text", "image_url")}
    try:
        view = await page.runtime.services.community.broadcasts.draft(
            page.shop.id,
            page.person.id,
            form["segment"],
            form["text"],
            form["image_url"].strip() or None,
            opt_out=opt_out(page.shop),
        )
    except StoreError as e:
        field = {"bad_broadcast_text": "text", "bad_image_url": "image_url"}.get(e.code, "segment")
        page.errors = {field: page.error(e)}
        return await _page(request, form, status=400)
    return see_other(f"/dashboard/broadcasts?done=drafted#broadcast-{view.id}")


ACTIONS = {"send": "send_now", "pause": "pause", "resume": "resume", "cancel": "cancel"}


@staff_page
async def act(request: web.Request) -> web.Response:
    page = page_of(request)
    service = page.runtime.services.community.broadcasts
    bid, action = path_id(request), request.match_info["action"]
    data = await request.post()
    at = str(data.get("at", ""))[:40]
    try:
        if action == "schedule":
            when = parse_when(at, service.clock(), page.shop.timezone)
            await service.schedule(page.shop.id, bid, when)
        elif action in ACTIONS:
            await getattr(service, ACTIONS[action])(page.shop.id, bid)
        else:
            raise NotFound()
    except NotFound:
        raise
    except StoreError as e:  # already sent, a time in the past: say so, change nothing
        return await _page(request, {}, status=409, card=(bid, page.error(e), at))
    return see_other(f"/dashboard/broadcasts?done={action}#broadcast-{bid}")


@staff_page
async def progress(request: web.Request) -> web.Response:
    """What the page polls while a broadcast is running."""
    page = page_of(request)
    view = await page.runtime.services.community.broadcasts.view(page.shop.id, path_id(request))
    return web.json_response(progress_json(view), headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/broadcasts", broadcasts)
    app.router.add_get("/dashboard/broadcasts/{id}/progress", progress)
    app.router.add_post("/dashboard/broadcasts", compose)
    app.router.add_post("/dashboard/broadcasts/{id}/{action}", act)
