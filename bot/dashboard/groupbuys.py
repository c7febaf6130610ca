"""Group buys, read-only: campaigns with their completion rate, open groups filling up."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.dashboard.pages import page_of, render, staff_page
from store.groupbuy.service import CampaignStats
from store.reports import open_group_buys


@dataclass(frozen=True, slots=True)
class CampaignRow:
    stats: CampaignStats
    completion: int | None  # whole percent of the ended groups that completed


def completion_percent(stats: CampaignStats) -> int | None:
    ended = stats.completed + stats.failed
    return stats.completed * 100 // ended if ended else None


@staff_page
async def groupbuys(request: web.Request) -> web.Response:
    page = page_of(request)
    services = page.runtime.services
    stats = await services.groupbuys.stats(page.shop.id)
    return render(
        request,
        "groupbuys.html.j2",
        campaigns=[CampaignRow(s, completion_percent(s)) for s in stats],
        groups=await open_group_buys(page.shop.id, services.clock()),
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/groupbuys", groupbuys)
