"""/mydata/<token>: a person's data export, downloaded once through the link /mydata sent.

Opening the link only shows a button; the export is delivered, and the link spent, by the
POST the button sends. Chat apps fetch links to draw previews, and link scanners open them:
a GET that spent the link would use it up before the person got there. (The dashboard's
login link works the same way: bot/dashboard/auth.py.)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.dashboard.pages import html_environment
from handlers.i18n import normalise_locale
from store.accounts.service import Accounts

ACCOUNTS = web.AppKey("accounts", Accounts)
# The export is personal data: never cached, never framed, never leaked in a Referer.
PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
PAGE = "accounts/download.html.j2"


def _page(request: web.Request, *, status: int = 200, **values: Any) -> web.Response:
    """The page in the visitor's language, in the dashboard's look."""
    locale = normalise_locale(request.headers.get("Accept-Language"))
    html = (
        html_environment(locale)
        .get_template(PAGE)
        .render(page=None, locale=locale, path=request.path, **values)
    )
    return web.Response(text=html, status=status, content_type="text/html", headers=PRIVATE)


async def download_page(request: web.Request) -> web.Response:
    """The button that downloads; looking at it does not use the link up."""
    usable = await request.app[ACCOUNTS].export_usable(request.match_info["token"])
    return _page(request, gone=not usable, status=200 if usable else 404)


async def download(request: web.Request) -> web.Response:
    data = await request.app[ACCOUNTS].redeem_export(request.match_info["token"])
    if data is None:
        return _page(request, gone=True, status=404)
    return web.Response(
        text=data,
        content_type="application/json",
        headers={**PRIVATE, "Content-Disposition": 'attachment; filename="mydata.json"'},
    )


def mount(app: web.Application, accounts: Accounts) -> None:
    app[ACCOUNTS] = accounts
    app.router.add_get("/mydata/{token}", download_page)
    app.router.add_post("/mydata/{token}", download)
