"""The one aiohttp application: simulator, health check, and the platform adapters."""

from __future__ import annotations

import logging

from aiohttp import web

from bot import accounts_web, dashboard, referral_web
from bot.config import Settings
from bot.runtime import Runtime
from bot.simulator import web as sim_web
from bot.simulator.inbox import PLATFORM as SIM
from bot.simulator.inbox import Inbox

log = logging.getLogger(__name__)
RUNTIME = web.AppKey("runtime", Runtime)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def simulator_wanted(settings: Settings) -> bool:
    """/sim answers anyone as any simulator user: a way to try microstore out, so beside a
    real platform only when server.simulator asks for it."""
    if settings.server.simulator is not None:
        return settings.server.simulator
    return settings.telegram.token is None and not settings.wechat.accounts


async def build_app(runtime: Runtime, *, simulator: bool | None = None) -> web.Application:
    """The app; `simulator` None: as the configuration says (simulator_wanted)."""
    if simulator is None:
        simulator = simulator_wanted(runtime.settings)
    log.info("chat simulator at /sim: %s", "on" if simulator else "off")
    app = web.Application(client_max_size=runtime.settings.server.max_body_bytes)
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    dashboard.mount(app, runtime)  # /dashboard: the merchant web dashboard
    accounts_web.mount(app, runtime.services.accounts)  # /mydata/<token>: data exports
    if simulator:
        inbox = Inbox()
        runtime.register_sender(SIM, inbox.deliver)
        sim_web.setup(app, runtime, inbox)
    # -- platform adapters: each mounts itself when configured ------------------------------
    if runtime.settings.telegram.token is not None:
        from bot.telegram import mount as mount_telegram

        await mount_telegram(app, runtime)
    if runtime.settings.wechat.accounts:
        from bot.wechat import mount as mount_wechat

        await mount_wechat(app, runtime)
    await referral_web.mount(app, runtime.referral)  # share posters, WeChat QR links
    return app
