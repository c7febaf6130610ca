"""Rendering dashboard pages: an HTML jinja2 environment (autoescape on) per locale, sharing
the chat's template folder and gettext catalogs, and what every page knows."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache, wraps
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from markupsafe import Markup
from yarl import URL

from bot.dashboard.sessions import Session, SessionStore
from bot.runtime import Runtime
from handlers.errors import error_text
from handlers.i18n import template_environment, translate
from handlers.status import status_label
from store.errors import InvalidInput, NotFound, StoreError
from store.models import Person, Role, Shop
from store.money import format_money
from store.reports import shop_zone

SESSIONS = web.AppKey("dashboard_sessions", SessionStore)
RUNTIME = web.AppKey("dashboard_runtime", Runtime)


@cache
def html_environment(locale: str) -> jinja2.Environment:
    return template_environment(locale, html=True)


@dataclass(slots=True)
class Page:
    """The signed-in merchant, their shop and the helpers templates use."""

    session: Session
    shop: Shop
    person: Person
    role: Role
    runtime: Runtime
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def locale(self) -> str:
        return self.session.locale

    def t(self, msgid: str, **params: Any) -> str:
        return translate(self.locale, msgid, **params)

    def money(self, value: Decimal, currency: str | None = None) -> str:
        return format_money(value, currency or self.shop.currency, self.locale)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(shop_zone(self.shop)).strftime("%Y-%m-%d %H:%M")

    def time_left(self, moment: datetime) -> str:
        """How long until `moment`, to the minute: "2 d 3 h", "3 h 5 min", "4 min"."""
        minutes = max(0, int((moment - self.runtime.services.clock()).total_seconds()) // 60)
        days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
        if days:
            return self.t("{d} d {h} h", d=days, h=hours)
        if hours:
            return self.t("{h} h {m} min", h=hours, m=mins)
        return self.t("{m} min", m=mins)

    def status_name(self, status: str) -> str:
        return status_label(self.locale, status)

    def error(self, err: StoreError) -> str:
        """The refusal in words; the dashboard's own where the chat's names a command."""
        own = (
            html_environment(self.locale)
            .get_template("dashboard/_error_text.j2")
            .render(code=err.code, p=err.params)
        )
        return Markup(own) if own else error_text(self.locale, err, self.shop.currency)


PAGE = web.RequestKey("dashboard_page", Page)  # the signed-in merchant's page


def render(
    request: web.Request, template: str, *, status: int = 200, locale: str = "", **values: Any
) -> web.Response:
    page = request.get(PAGE)
    locale = locale or (page.locale if page else "zh_CN")
    html = (
        html_environment(locale)
        .get_template(f"dashboard/{template}")
        .render(page=page, locale=locale, path=request.path, back=_back(request), **values)
    )
    return web.Response(text=html, status=status, content_type="text/html", headers=_NO_STORE)


def _back(request: web.Request) -> str:
    """Where switching the language returns to: this page with its filters, without the
    one-time note of what was just done (a form's answer returns to the form's page)."""
    if request.method != "GET":
        return request.path
    query = urlencode([(k, v) for k, v in request.query.items() if k != "done"])
    return request.path + ("?" + query if query else "")


# Pages hold personal data (names, phones, addresses): never cached by the browser or proxies.
_NO_STORE = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def staff_page(handler: Handler) -> Handler:
    """Only a signed-in owner or staff member of the session's shop gets past; a POST must
    carry the session's CSRF token."""

    @wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        runtime = request.app[RUNTIME]
        session = await request.app[SESSIONS].load(request)
        role = None
        if session is not None:
            role = await runtime.services.shops.role_of(session.shop_id, session.person_id)
        if session is None or role is None:  # never logged in, expired, or left the staff
            return render(request, "signed_out.html.j2", status=401, locale=_guess(request))
        if request.method == "POST":
            form = await request.post()
            token = str(form.get("csrf", ""))
            if not secrets_equal(token, session.csrf):
                return render(request, "error.html.j2", status=403, locale=session.locale, code=403)
        request[PAGE] = Page(
            session=session,
            shop=await runtime.services.shops.get(session.shop_id),
            person=await runtime.services.people.person(session.person_id),
            role=role,
            runtime=runtime,
        )
        try:
            return await handler(request)
        except NotFound:  # another shop's product or order looks exactly like none at all
            return render(request, "error.html.j2", status=404, code=404)

    return guarded


def secrets_equal(a: str, b: str) -> bool:
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


def _guess(request: web.Request) -> str:
    return "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "zh_CN"


def _page_at(app: web.Application, method: str, path: str) -> bool:
    """Whether a page of the dashboard answers `method` at `path`: its routes' own patterns
    (resolving would take a request of its own, and the current one's body may be read)."""
    for resource in app.router.resources():
        info = resource.get_info()
        if "path" in info:
            here = info["path"] == path
        elif "pattern" in info:
            here = info["pattern"].fullmatch(path) is not None
        else:
            continue  # static files
        if here and any(r.method == method and r.handler is not elsewhere for r in resource):
            return True
    return False


def nearest_page(app: web.Application, back: str) -> str:
    """`back`, or, when it is where a form was sent (an address only a POST reaches, such as
    an error shown after saving), the page above it: never a 405."""
    url = URL(back)
    path = url.path
    while path.startswith("/dashboard/"):
        if _page_at(app, "GET", path):
            return str(url) if path == url.path else path
        path = path.rsplit("/", 1)[0]
    return "/dashboard"


async def elsewhere(request: web.Request) -> web.StreamResponse:
    """Any other address under /dashboard opened in the browser: a form's address (typed
    again, reopened from the history) goes to the page the form is on; an address that is no
    page says so on a dashboard page, not in a bare "405: Method Not Allowed"."""
    if _page_at(request.app, "POST", request.path):
        return see_other(nearest_page(request.app, request.path))
    return await _not_a_page(request)


@staff_page
async def _not_a_page(request: web.Request) -> web.StreamResponse:
    raise NotFound()


def page_of(request: web.Request) -> Page:
    return request[PAGE]


def page_number(request: web.Request) -> int:
    """?page=N of a paged list; anything else is the first page."""
    text = request.query.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else 1


def list_query(request: web.Request, filters: dict[str, str]) -> str:
    """A paged list's query as it is shown: the filters that are set, and its page past the
    first (where a row's change returns to)."""
    page = page_number(request)
    kept = {k: v for k, v in filters.items() if v}
    return urlencode(kept | ({"page": str(page)} if page > 1 else {}))


def required(value: str) -> str:
    """A form field that may not be left empty (the chat's own errors speak of commands)."""
    if not value.strip():
        raise InvalidInput("field_required")
    return value


def path_id(request: web.Request, name: str = "id") -> int:
    """A numeric id from the path; anything else is a page that does not exist."""
    text = request.match_info[name]
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        raise NotFound()
    return int(text)


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers=_NO_STORE | {"Location": location})


def csv_response(data: bytes, filename: str) -> web.Response:
    return web.Response(
        body=data,
        content_type="text/csv",
        charset="utf-8",
        headers=_NO_STORE | {"Content-Disposition": f'attachment; filename="{filename}"'},
    )
