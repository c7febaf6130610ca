"""The merchant web dashboard at /dashboard, on the one aiohttp application."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard import (
    agents,
    auth,
    broadcasts,
    customers,
    faq,
    groupbuys,
    members,
    orders,
    overview,
    products,
    promotions,
    reviews,
    settings,
    support,
)
from bot.dashboard.pages import RUNTIME, SESSIONS, elsewhere
from bot.dashboard.sessions import CookieSessions, RedisSessions, SessionStore
from bot.runtime import Runtime
from handlers.i18n import TEMPLATE_DIR
from store.reports import ShopReports
from store.shop_settings import ShopSettings


def mount(app: web.Application, runtime: Runtime) -> None:
    config = runtime.settings.dashboard
    max_age = config.session_hours * 3600
    secure = runtime.settings.server.public_url.startswith("https://")
    secret = config.secret_key.get_secret_value() if config.secret_key else None
    sessions: SessionStore = (
        RedisSessions(runtime.kv, max_age, secure)
        if runtime.redis is not None
        else CookieSessions(secret, max_age, secure, runtime.services.clock)
    )
    app[RUNTIME] = runtime
    app[SESSIONS] = sessions
    services = runtime.services
    reports = ShopReports(services.clock)
    auth.setup(app)
    overview.setup(app, reports)
    products.setup(app, services.product_admin)
    orders.setup(app, reports)
    customers.setup(app)
    settings.setup(app, ShopSettings(services.shops))
    groupbuys.setup(app)
    promotions.setup(app)
    members.setup(app)
    broadcasts.setup(app)
    reviews.setup(app)
    faq.setup(app)  # before support: /dashboard/support/faq is not a ticket
    support.setup(app)
    if runtime.referral is not None:
        agents.setup(app, runtime.referral)
    app.router.add_static("/dashboard/static", TEMPLATE_DIR / "dashboard" / "static")
    app.router.add_get("/dashboard/{anything:.+}", elsewhere)  # last: only what nothing else is
