"""Group buys: campaigns with their completion rate, open groups filling up, a new offer
(the fields of /gbnew, read by the chat's own parser) and stopping one (as /gbstop)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.dashboard.pages import page_of, path_id, render, see_other, staff_page
from handlers.commands.groupbuy import CAMPAIGN_OPTIONS, new_campaign
from store.errors import InvalidInput, NotFound
from store.groupbuy.service import CampaignStats
from store.product_admin import product_choices
from store.reports import open_group_buys

REQUIRED = ("product", "price", "size", "duration")
FORM_FIELDS = (*REQUIRED, "until", *sorted(CAMPAIGN_OPTIONS))
# The store's refusals that are about one field of the form.
STORE_ERROR_FIELD = {
    "gb_bad_size": "size",
    "gb_per_customer": "limit",
    "gb_price_not_lower": "price",
    "gb_leader_price": "leader",
    "gb_min_members": "min",
    "gb_cap": "cap",
    "gb_bad_window": "until",
}


@dataclass(frozen=True, slots=True)
class CampaignRow:
    stats: CampaignStats
    completion: int | None  # whole percent of the ended groups that completed


def completion_percent(stats: CampaignStats) -> int | None:
    ended = stats.completed + stats.failed
    return stats.completed * 100 // ended if ended else None


@staff_page
async def groupbuys(request: web.Request) -> web.Response:
    return await _page(request)


async def _page(
    request: web.Request, form: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    page = page_of(request)
    services = page.runtime.services
    stats = await services.groupbuys.stats(page.shop.id)
    return render(
        request,
        "groupbuys.html.j2",
        status=status,
        campaigns=[CampaignRow(s, completion_percent(s)) for s in stats],
        groups=await open_group_buys(page.shop.id, services.clock()),
        products=await product_choices(page.shop.id),
        form=form or {},
        now=services.clock(),
        done=request.query.get("done", ""),
    )


@staff_page
async def new_offer(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in FORM_FIELDS}
    given = {k: v for k, v in form.items() if v or k in REQUIRED}
    try:
        new = new_campaign(given, ZoneInfo(page.shop.timezone))
        campaign = await page.runtime.services.groupbuys.create_campaign(page.shop.id, new)
    except NotFound as e:  # the product was hidden or removed meanwhile
        page.errors = {"product": page.error(e)}
        return await _page(request, form, status=400)
    except InvalidInput as e:
        field = str(e.params.get("field") or STORE_ERROR_FIELD.get(e.code, "price"))
        page.errors = {field: page.error(e)}
        return await _page(request, form, status=400)
    return see_other(f"/dashboard/groupbuys?done=created#campaign-{campaign.id}")


@staff_page
async def stop(request: web.Request) -> web.Response:
    page = page_of(request)
    campaign = await page.runtime.services.groupbuys.stop_campaign(page.shop.id, path_id(request))
    return see_other(f"/dashboard/groupbuys?done=stopped#campaign-{campaign.id}")


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/groupbuys", groupbuys)
    app.router.add_post("/dashboard/groupbuys", new_offer)
    app.router.add_post("/dashboard/groupbuys/{id}/stop", stop)
