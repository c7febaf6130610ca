"""Settings: the shop's timeouts and its customers' language, and, in a second form, the
broadcast quiet hours and the referral binding policy (also /quiet and /refpolicy in chat);
the team, where the owner invites (a one-time code for /joinstaff) and removes staff."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.pages import page_of, path_id, render, see_other, staff_page
from referral.models import BindPolicy
from referral.program import MAX_POLICY_DAYS
from store.errors import InvalidInput, NotFound, PermissionDenied, StoreError
from store.models import Person, Role
from store.money import plain
from store.shop_settings import SHOP_LOCALES, SettingsForm, ShopSettings
from store.shops import PAY_NOTE_MAX, SETTING_LIMITS

SETTINGS = web.AppKey("dashboard_settings", ShopSettings)


async def _render(
    request: web.Request,
    form: SettingsForm,
    status: int = 200,
    rules: dict[str, str] | None = None,
    problem: str = "",
    invite: str = "",
) -> web.Response:
    page = page_of(request)
    quiet = await page.runtime.services.community.broadcasts.quiet_hours(page.shop.id)
    referral = page.runtime.referral
    program = await referral.program.get(page.shop.id) if referral else None
    if rules is None:  # the form shows what is saved
        rules = {"quiet_start": str(quiet[0]), "quiet_end": str(quiet[1])}
        if program is not None:
            rules |= {"policy": str(program.policy), "policy_days": str(program.policy_days)}
    return render(
        request,
        "settings.html.j2",
        status=status,
        form=form,
        limits=SETTING_LIMITS,
        pay_note_max=PAY_NOTE_MAX,
        locales=SHOP_LOCALES,
        done=request.query.get("done", ""),
        quiet=quiet,
        program=program,
        rules=rules,
        max_policy_days=MAX_POLICY_DAYS,
        team=await page.runtime.services.shops.staff(page.shop.id),
        owner=page.role == Role.OWNER,
        problem=problem,
        invite=invite,
    )


def _current_form(request: web.Request) -> SettingsForm:
    shop = page_of(request).shop
    free = shop.free_shipping_over
    return SettingsForm(
        unpaid_timeout_minutes=str(shop.unpaid_timeout_minutes),
        autocomplete_days=str(shop.autocomplete_days),
        locale=shop.locale,
        shipping_fee=plain(shop.shipping_fee),
        free_shipping_over="" if free is None else plain(free),
        pay_note=shop.pay_note,
    )


@staff_page
async def settings_page(request: web.Request) -> web.Response:
    return await _render(request, _current_form(request))


@staff_page
async def save_settings(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.post()
    fields: dict[str, str | None] = {
        k: str(data.get(k, "")) for k in SettingsForm.__dataclass_fields__
    }
    if "pay_note" not in data:  # a form without the field leaves how to pay as it is
        fields["pay_note"] = None
    form = SettingsForm(**fields)  # type: ignore[arg-type]
    page.shop, errors = await request.app[SETTINGS].update(page.shop.id, page.person.id, form)
    if errors:
        page.errors = {k: page.error(e) for k, e in errors.items()}
        return await _render(request, form, status=400)
    return see_other("/dashboard/settings?done=saved")


def _whole(rules: dict[str, str], key: str, low: int, high: int, errors: dict) -> int:  # type: ignore[type-arg]
    text = rules.get(key, "").strip()
    if text.isascii() and text.isdigit() and len(text) < 6 and low <= int(text) <= high:
        return int(text)
    errors[key] = InvalidInput("setting_out_of_range", key=key, low=low, high=high)
    return low


@staff_page
async def save_rules(request: web.Request) -> web.Response:
    """Quiet hours and the referral policy: every field checked first, then both saved."""
    page = page_of(request)
    data = await request.post()
    rules = {k: str(data.get(k, "")) for k in ("quiet_start", "quiet_end", "policy", "policy_days")}
    errors: dict[str, StoreError] = {}
    start = _whole(rules, "quiet_start", 0, 23, errors)
    end = _whole(rules, "quiet_end", 0, 23, errors)
    referral = page.runtime.referral
    policy = days = None
    if referral is not None:
        if rules["policy"] not in {p.value for p in BindPolicy}:
            errors["policy"] = InvalidInput("invalid_input")
        else:
            policy = BindPolicy(rules["policy"])
            if policy == BindPolicy.DAYS:
                days = _whole(rules, "policy_days", 1, MAX_POLICY_DAYS, errors)
    if errors:
        page.errors = {k: page.error(e) for k, e in errors.items()}
        return await _render(request, _current_form(request), status=400, rules=rules)
    await page.runtime.services.community.broadcasts.set_quiet_hours(page.shop.id, start, end)
    if referral is not None and policy is not None:
        await referral.program.set_policy(page.shop.id, policy, days or 0)
    return see_other("/dashboard/settings?done=saved")


@staff_page
async def remove_staff(request: web.Request) -> web.Response:
    page = page_of(request)
    person = await Person.get_or_none(id=path_id(request))
    try:
        if person is None or not await page.runtime.services.shops.remove_staff(
            page.shop.id, page.person.id, person
        ):
            raise NotFound()  # not on this shop's staff (the owner is never removed)
    except PermissionDenied as e:
        problem = page.error(e)
        return await _render(request, _current_form(request), status=403, problem=problem)
    return see_other("/dashboard/settings?done=staff_removed#team")


@staff_page
async def invite_staff(request: web.Request) -> web.Response:
    """A one-time code for a new staff member, shown on the page itself (never in a URL)."""
    page = page_of(request)
    form = _current_form(request)
    try:
        code = await page.runtime.services.staff_invites.issue(page.shop.id, page.person.id)
    except PermissionDenied as e:
        return await _render(request, form, status=403, problem=page.error(e))
    return await _render(request, form, invite=code)


def setup(app: web.Application, settings: ShopSettings) -> None:
    app[SETTINGS] = settings
    app.router.add_get("/dashboard/settings", settings_page)
    app.router.add_post("/dashboard/settings", save_settings)
    app.router.add_post("/dashboard/settings/rules", save_rules)
    app.router.add_post("/dashboard/settings/team/invite", invite_staff)
    app.router.add_post("/dashboard/settings/team/{id}/remove", remove_staff)
