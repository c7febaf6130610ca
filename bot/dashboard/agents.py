"""Agents (referral): the leaderboard, every agent's balances and ledger, the withdrawals
waiting for a decision (approved or rejected here or in chat), the commission rules, and the
CSV exports."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiohttp import web

from bot.dashboard.pages import Page, csv_response, page_of, path_id, render, see_other, staff_page
from referral.ledger import balances
from referral.models import Agent, LedgerEntry
from referral.program import percent_text, percent_to_bp
from referral.services import ReferralServices
from store.errors import InvalidInput, NotFound, StoreError
from store.money import from_minor

REFERRAL = web.AppKey("dashboard_referral", ReferralServices)
LEDGER_ROWS = 200


def _minor(page: Page):  # type: ignore[no-untyped-def]
    """Referral keeps integer fen; the page shows money."""
    currency = page.shop.currency
    return lambda amount: page.money(from_minor(int(amount), currency))


@staff_page
async def agents(request: web.Request) -> web.Response:
    return await _agents_page(request)


async def _agents_page(
    request: web.Request,
    status: int = 200,
    problem: str = "",
    rates_form: dict[str, str] | None = None,
    reason_error: tuple[int, str] | None = None,
) -> web.Response:
    """`reason_error`: (withdrawal id, what was wrong) for a refusal without a reason,
    said beside that withdrawal's reason field."""
    page = page_of(request)
    referral = request.app[REFERRAL]
    shop_id = page.shop.id
    now = page.runtime.services.clock()
    program = await referral.program.get(shop_id)
    if rates_form is None:  # the form shows the saved rates
        rates_form = {
            name: percent_text(rate)
            for name, rate in zip(LEVEL_FIELDS, program.rates(), strict=False)
        }
    return render(
        request,
        "agents.html.j2",
        rates_form=rates_form,
        reason_error=reason_error,
        status=status,
        problem=problem,
        done=request.query.get("done", ""),
        agents=[(a, balances(a)) for a in await referral.agents.list(shop_id)],
        month=await referral.reports.leaderboard(shop_id, "month", now),
        week=await referral.reports.leaderboard(shop_id, "week", now),
        withdrawals=await referral.withdrawals.pending(shop_id, limit=50),
        program=program,
        product_rates=await referral.program.product_rate_list(shop_id),
        minor=_minor(page),
        percent=percent_text,
    )


@staff_page
async def agent_ledger(request: web.Request) -> web.Response:
    page = page_of(request)
    agent = await Agent.get_or_none(id=path_id(request), shop_id=page.shop.id).prefetch_related(
        "person"
    )
    if agent is None:
        raise NotFound()
    referral = request.app[REFERRAL]
    return render(
        request,
        "agent.html.j2",
        agent=agent,
        balance=balances(agent),
        entries=await LedgerEntry.filter(agent_id=agent.id).order_by("-id").limit(LEDGER_ROWS),
        withdrawals=await referral.withdrawals.of_agent(agent.id, limit=20),
        minor=_minor(page),
    )


@staff_page
async def ledger_csv(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.app[REFERRAL].reports.ledger_csv(page.shop.id)
    return csv_response(data, f"ledger-{page.shop.slug}.csv")


@staff_page
async def withdrawals_csv(request: web.Request) -> web.Response:
    page = page_of(request)
    data = await request.app[REFERRAL].reports.withdrawals_csv(page.shop.id)
    return csv_response(data, f"withdrawals-{page.shop.slug}.csv")


async def _decide(request: web.Request, approve: bool) -> web.Response:
    """The same decision as /wdok and /wdno in chat, from the withdrawals list."""
    page = page_of(request)
    withdrawals = request.app[REFERRAL].withdrawals
    wid = path_id(request)
    form = await request.post()
    try:
        if approve:
            await withdrawals.approve(page.shop.id, wid)
        else:
            reason = str(form.get("reason", "")).strip()
            if not reason:
                missing = page.error(InvalidInput("reason_required"))
                return await _agents_page(request, status=400, reason_error=(wid, missing))
            await withdrawals.reject(page.shop.id, wid, reason)
    except NotFound:
        raise
    except StoreError as e:  # decided already, or no reason: say so, change nothing
        return await _agents_page(request, status=409, problem=page.error(e))
    return see_other(f"/dashboard/agents?done={'approved' if approve else 'rejected'}")


@staff_page
async def approve_withdrawal(request: web.Request) -> web.Response:
    return await _decide(request, approve=True)


@staff_page
async def reject_withdrawal(request: web.Request) -> web.Response:
    return await _decide(request, approve=False)


LEVEL_FIELDS = ("level1", "level2", "level3")


def _rates(form: dict[str, str], errors: dict[str, StoreError]) -> list[int]:
    """Percentages per level, in basis points; a level left empty ends the list."""
    rates: list[int] = []
    for n, name in enumerate(LEVEL_FIELDS):
        text = form.get(name, "").strip().rstrip("%")
        if not text:
            if any(form.get(later, "").strip() for later in LEVEL_FIELDS[n + 1 :]):
                errors[name] = InvalidInput("field_required")  # level 3 needs a level 2
            break
        try:
            rates.append(percent_to_bp(Decimal(text)))
        except (InvalidOperation, StoreError):
            errors[name] = InvalidInput("bad_percent", value=text[:10])
    if not rates and "level1" not in errors:
        errors["level1"] = InvalidInput("field_required")  # not "“” is not a percentage"
    return rates


@staff_page
async def save_rates(request: web.Request) -> web.Response:
    """The commission rate of each level, as /commission <l1> [<l2> [<l3>]] in chat."""
    page = page_of(request)
    data = await request.post()
    form = {name: str(data.get(name, "")) for name in LEVEL_FIELDS}
    errors: dict[str, StoreError] = {}
    rates = _rates(form, errors)
    if not errors:
        try:
            await request.app[REFERRAL].program.set_rates(page.shop.id, rates)
        except StoreError as e:  # over the cap: the whole set is refused
            errors["level1"] = e
    if errors:
        page.errors = {k: page.error(e) for k, e in errors.items()}
        return await _agents_page(request, status=400, rates_form=form)
    return see_other("/dashboard/agents?done=rates")


def setup(app: web.Application, referral: ReferralServices) -> None:
    app[REFERRAL] = referral
    r = app.router
    r.add_get("/dashboard/agents", agents)
    r.add_get("/dashboard/agents/ledger.csv", ledger_csv)
    r.add_get("/dashboard/agents/withdrawals.csv", withdrawals_csv)
    r.add_get("/dashboard/agents/{id}", agent_ledger)
    r.add_post("/dashboard/agents/rates", save_rates)
    r.add_post("/dashboard/agents/withdrawals/{id}/approve", approve_withdrawal)
    r.add_post("/dashboard/agents/withdrawals/{id}/reject", reject_withdrawal)
