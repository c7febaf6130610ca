"""The overview page: today, this month, what waits for the merchant (orders to ship, refunds,
questions, reviews), orders by status, 30 days of revenue, best sellers."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.chart import revenue_chart
from bot.dashboard.pages import page_of, render, staff_page
from store.reports import ShopReports, open_group_buys

REPORTS = web.AppKey("dashboard_reports", ShopReports)


@staff_page
async def overview(request: web.Request) -> web.Response:
    page = page_of(request)
    report = await request.app[REPORTS].overview(page.shop)
    services = page.runtime.services
    groups = await open_group_buys(page.shop.id, services.clock(), limit=5)
    return render(
        request,
        "overview.html.j2",
        report=report,
        chart=revenue_chart(report.daily),
        groups=groups,
        questions=await services.support.waiting_count(page.shop.id),
        reviews=await services.reviews.unanswered_count(page.shop.id),
    )


def setup(app: web.Application, reports: ShopReports) -> None:
    app[REPORTS] = reports
    app.router.add_get("/dashboard", overview)
    app.router.add_get("/dashboard/", overview)
