"""GET /mydata/<token>: a person's data export, downloaded once through the link /mydata sent."""

from __future__ import annotations

from aiohttp import web

from handlers.i18n import N_, normalise_locale, translate
from store.accounts.service import Accounts

ACCOUNTS = web.AppKey("accounts", Accounts)
# The export is personal data: never cached, never framed, never leaked in a Referer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
GONE = N_("This download link has expired or was already used. Send /mydata for a new one.")


async def download(request: web.Request) -> web.Response:
    data = await request.app[ACCOUNTS].redeem_export(request.match_info["token"])
    if data is None:
        locale = normalise_locale(request.headers.get("Accept-Language"))
        text = translate(locale, GONE) + "\n"
        return web.Response(text=text, status=404, headers=PRIVATE)
    return web.Response(
        text=data,
        content_type="application/json",
        headers={**PRIVATE, "Content-Disposition": 'attachment; filename="mydata.json"'},
    )


def mount(app: web.Application, accounts: Accounts) -> None:
    app[ACCOUNTS] = accounts
    app.router.add_get("/mydata/{token}", download)
