"""Settings: the shop's timeouts and its customers' language; quiet hours and the referral
policy are shown, and changed in chat (/quiet, /refpolicy), where those capabilities live."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.pages import page_of, render, see_other, staff_page
from store.shop_settings import SHOP_LOCALES, SettingsForm, ShopSettings
from store.shops import SETTING_LIMITS

SETTINGS = web.AppKey("dashboard_settings", ShopSettings)


async def _render(request: web.Request, form: SettingsForm, status: int = 200) -> web.Response:
    page = page_of(request)
    quiet = await page.runtime.services.community.broadcasts.quiet_hours(page.shop.id)
    referral = page.runtime.referral
    return render(
        request,
        "settings.html.j2",
        status=status,
        form=form,
        limits=SETTING_LIMITS,
        locales=SHOP_LOCALES,
        done=request.query.get("done", ""),
        quiet=quiet,
        program=await referral.program.get(page.shop.id) if referral else None,
    )


@staff_page
async def settings_page(request: web.Request) -> web.Response:
    shop = page_of(request).shop
    form = SettingsForm(
        unpaid_timeout_minutes=str(shop.unpaid_timeout_minutes),
        autocomplete_days=str(shop.autocomplete_days),
        locale=shop.locale,
    )
    return await _render(request, form)


@staff_page
async def save_settings(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.post()
    form = SettingsForm(**{k: str(data.get(k, "")) for k in SettingsForm.__dataclass_fields__})
    page.shop, errors = await request.app[SETTINGS].update(page.shop.id, page.person.id, form)
    if errors:
        page.errors = {k: page.error(e) for k, e in errors.items()}
        return await _render(request, form, status=400)
    return see_other("/dashboard/settings?done=saved")


def setup(app: web.Application, settings: ShopSettings) -> None:
    app[SETTINGS] = settings
    app.router.add_get("/dashboard/settings", settings_page)
    app.router.add_post("/dashboard/settings", save_settings)
