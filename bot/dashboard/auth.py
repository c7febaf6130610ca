"""Signing in with a one-time link from chat, switching language, signing out.

Opening the link only shows a button; the token is spent by the POST the button sends.
Chat apps fetch links to draw previews, and a GET that spent the token would let the
preview robot use it up. The POST must also carry the random value this page put in a
cookie, so another site cannot sign a visitor into someone else's shop.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.dashboard.pages import (
    RUNTIME,
    SESSIONS,
    nearest_page,
    page_of,
    render,
    secrets_equal,
    see_other,
    staff_page,
)
from bot.dashboard.sessions import Session
from handlers.i18n import LOCALES, normalise_locale
from store.login_links import LoginLinkInvalid

PRE_COOKIE = "ms_dashboard_login"


def _link_locale(request: web.Request) -> str:
    lang = request.headers.get("Accept-Language", "")
    return "en" if lang.lower().startswith("en") else "zh_CN"


async def login_page(request: web.Request) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    response = render(request, "login.html.j2", locale=_link_locale(request), nonce=nonce)
    response.set_cookie(
        PRE_COOKIE,
        nonce,
        max_age=600,
        path="/dashboard/login",
        httponly=True,
        samesite="Strict",
        secure=request.app[SESSIONS].secure,
    )
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    locale = _link_locale(request)
    if not secrets_equal(str(form.get("nonce", "")), request.cookies.get(PRE_COOKIE, "")):
        return render(request, "login.html.j2", status=403, locale=locale, nonce="", failed=True)
    runtime = request.app[RUNTIME]
    try:
        grant = await runtime.services.logins.redeem(request.match_info["token"])
    except LoginLinkInvalid:
        return render(request, "login.html.j2", status=403, locale=locale, nonce="", failed=True)
    person = await runtime.services.people.person(grant.person_id)
    shop = await runtime.services.shops.get(grant.shop_id)
    session = Session.new(
        grant.shop_id, grant.person_id, normalise_locale(person.locale or shop.locale)
    )
    response = see_other("/dashboard")
    response.del_cookie(PRE_COOKIE, path="/dashboard/login")
    await request.app[SESSIONS].save(response, session)
    return response


@staff_page
async def logout(request: web.Request) -> web.StreamResponse:
    page = page_of(request)
    response = render(request, "signed_out.html.j2", logged_out=True)
    await request.app[SESSIONS].end(response, page.session)
    return response


@staff_page
async def switch_language(request: web.Request) -> web.StreamResponse:
    page = page_of(request)
    form = await request.post()
    if form.get("locale") in LOCALES:
        page.session.locale = str(form["locale"])
    back = str(form.get("next", ""))
    if not back.startswith("/dashboard") or "//" in back or "\\" in back:
        back = "/dashboard"
    response = see_other(nearest_page(request.app, back))
    await request.app[SESSIONS].save(response, page.session)
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/dashboard/login/{token}", login_page)
    app.router.add_post("/dashboard/login/{token}", login)
    app.router.add_post("/dashboard/logout", logout)
    app.router.add_post("/dashboard/language", switch_language)
