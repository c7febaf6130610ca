"""Broadcasts, read-only: recent broadcasts with a live progress bar, and how many people a
segment reaches. Composing and sending stay in chat (/broadcast), where the preview is."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.pages import page_of, render, staff_page
from store.community.broadcasts import BroadcastView
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
    }


@staff_page
async def broadcasts(request: web.Request) -> web.Response:
    page = page_of(request)
    service = page.runtime.services.community.broadcasts
    segment = request.query.get("segment", "").strip()[:64]
    size = None
    if segment:
        try:
            size = await service.size(page.shop.id, segment)
        except StoreError as e:
            page.errors = {"segment": page.error(e)}
    views = await service.recent(page.shop.id, limit=RECENT)
    return render(
        request,
        "broadcasts.html.j2",
        broadcasts=[(v, progress_json(v)) for v in views],
        segment=segment,
        size=size,
    )


@staff_page
async def progress(request: web.Request) -> web.Response:
    """What the page polls while a broadcast is running."""
    page = page_of(request)
    text = request.match_info["id"]
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        raise NotFound()
    view = await page.runtime.services.community.broadcasts.view(page.shop.id, int(text))
    return web.json_response(progress_json(view), headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/broadcasts", broadcasts)
    app.router.add_get("/dashboard/broadcasts/{id}/progress", progress)
