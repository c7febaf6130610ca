"""Referral (分销): agents share the shop and earn commission; merchants set the rules and pay."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from handlers.args import OFF_WORDS, need, product_id, usage, whole
from handlers.context import Context
from handlers.i18n import N_
from handlers.router import Router
from handlers.types import Incoming, ParsedCommand, Reply
from referral.attribution import Outcome
from referral.models import AgentStatus, BindPolicy, JoinMode, RateKind
from referral.program import MAX_FREEZE_DAYS, MAX_POLICY_DAYS, percent_text, percent_to_bp
from referral.reports import mask_name
from referral.services import ReferralServices
from store.errors import InvalidInput
from store.money import from_minor, parse_amount, to_minor

router = Router(topic=N_("Referral"))
COMMISSION_USAGE = (
    "/commission <level 1 %> [<level 2 %> [<level 3 %>]] | #<product id> <% or amount>|off"
)
REFSET_USAGE = (
    "/refset join open|approval|spend <amount> | freeze <days> | min <amount> | "
    "daymax <amount> | fee <%>"
)


def _ref(ctx: Context) -> ReferralServices:
    if ctx.referral is None:  # wired in the composition root; absent only in odd set-ups
        raise InvalidInput("referral_off")
    return ctx.referral


def _money_minor(ctx: Context) -> Any:
    currency = ctx.require_shop().currency
    return lambda minor: ctx.money(from_minor(minor, currency), currency)


def _minor(ctx: Context, text: str) -> int:
    return to_minor(parse_amount(text), ctx.require_shop().currency)


def _percent(text: str) -> int:
    try:
        value = parse_amount(text.rstrip("%"), allow_zero=True)
    except InvalidInput:
        raise InvalidInput("bad_percent", value=text[:20]) from None
    return percent_to_bp(value)


# -- deep links --------------------------------------------------------------------------
async def start_hook(payload: str, ctx: Context) -> list[Reply]:
    """The deep link `ref_<code>` (/start): bind the newcomer to the agent by the shop's policy."""
    ref = _ref(ctx)
    agent = await ref.agents.by_code(payload)
    if agent is None:
        return []
    if agent.shop_id != ctx.require_shop().id:  # type: ignore[attr-defined]
        # The link names its shop: the customer lands where the agent sells.
        await ctx.enter(await ctx.services.shops.get(agent.shop_id))  # type: ignore[attr-defined]
    result = await ref.attribution.touch(ctx.shop.id, ctx.person.id, agent, ctx.msg.platform)  # type: ignore[union-attr]
    if result.outcome not in (Outcome.BOUND, Outcome.REBOUND, Outcome.SELF):
        return []
    await agent.fetch_related("person")
    return [
        ctx.reply(
            "referral/welcome.j2",
            own=result.outcome == Outcome.SELF,
            agent_name=mask_name(agent.person.display_name),
        )
    ]


# -- agents ------------------------------------------------------------------------------
@router.command(
    "ref",
    "推广",
    help=N_("Become an agent: your link, QR code and poster"),
    usage="[product id]",
    private=True,
)
async def ref_(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    ref = _ref(ctx)
    agent = await ref.agents.enrol(shop.id, ctx.person.id)
    if agent.status != AgentStatus.ACTIVE:
        return ctx.reply("referral/applied.j2", agent=agent)
    product = None
    if cmd.args:
        product = await ctx.services.catalog.product(shop.id, product_id(cmd.args[0]))
    link = await ref.share_link(msg.platform, msg.account, agent.code)
    query = {"lang": ctx.locale, "platform": msg.platform, "account": msg.account}
    if product is not None:
        query["product"] = str(product.id)
    poster = f"{ref.public_url}{ref.poster_path(agent.code)}?{urlencode(query)}"
    reply = ctx.reply(
        "referral/share.j2",
        agent=agent,
        link=link,
        product=product,
        buttons=[[ctx.button("My earnings", "/earnings"), ctx.button("My team", "/team")]],
    )
    return Reply(text=reply.text, buttons=reply.buttons, image=poster, private=True)


@router.command("apply", "申请推广", help=N_("Apply to become an agent of this shop"), private=True)
async def apply(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    agent = await _ref(ctx).agents.apply(ctx.require_shop().id, ctx.person.id)
    if agent.status == AgentStatus.ACTIVE:
        return ctx.reply(
            "referral/applied.j2", agent=agent, buttons=[[ctx.button("Share the shop", "/ref")]]
        )
    return ctx.reply("referral/applied.j2", agent=agent)


@router.command(
    "earnings", "收益", "佣金", help=N_("Your commission, order by order"), private=True
)
async def earnings(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    ref = _ref(ctx)
    agent = await ref.agents.require_agent(ctx.require_shop().id, ctx.person.id)
    report = await ref.reports.earnings(agent)
    withdrawals = await ref.withdrawals.of_agent(agent.id)
    program = await ref.program.get(ctx.require_shop().id)
    return ctx.reply(
        "referral/earnings.j2",
        report=report,
        withdrawals=withdrawals,
        program=program,
        m=_money_minor(ctx),
    )


@router.command("team", "团队", help=N_("Your customers and sub-agents by level"), private=True)
async def team(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    ref = _ref(ctx)
    shop = ctx.require_shop()
    agent = await ref.agents.require_agent(shop.id, ctx.person.id)
    program = await ref.program.get(shop.id)
    levels = await ref.reports.team(agent, program, ref.clock())
    return ctx.reply("referral/team.j2", levels=levels, program=program)


@router.command("top", "排行", "排行榜", help=N_("The agents' leaderboard"), usage="[week|month]")
async def top(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    period = cmd.args[0].casefold() if cmd.args else "week"
    period = {"周": "week", "本周": "week", "月": "month", "本月": "month"}.get(period, period)
    if period not in ("week", "month"):
        raise usage("/top [week|month]")
    ref = _ref(ctx)
    leaders = await ref.reports.leaderboard(ctx.require_shop().id, period, ref.clock())
    return ctx.reply("referral/top.j2", leaders=leaders, period=period, m=_money_minor(ctx))


@router.command(
    "withdraw",
    "提现",
    help=N_("Withdraw your available commission"),
    usage="<amount>",
    private=True,
)
async def withdraw(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    amount = need(cmd.args, 1, "/withdraw <amount>")[0]
    ref = _ref(ctx)
    agent = await ref.agents.require_agent(ctx.require_shop().id, ctx.person.id)
    withdrawal = await ref.withdrawals.request(agent, _minor(ctx, amount))
    return ctx.reply("referral/withdraw_requested.j2", w=withdrawal, m=_money_minor(ctx))


# -- merchants ---------------------------------------------------------------------------
@router.command("agents", "推广员", help=N_("The shop's agents"), merchant=True, private=True)
async def agents(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    found = await _ref(ctx).agents.list(ctx.require_staff().id)
    return ctx.reply("referral/agents.j2", agents=found, m=_money_minor(ctx))


async def _decide(msg: Incoming, cmd: ParsedCommand, ctx: Context, approve: bool) -> Reply:
    shop = ctx.require_staff()
    who = need(cmd.args, 1, f"/{cmd.name} <user>")[0]
    person = await ctx.services.people.find(msg.platform, who)
    agent = await _ref(ctx).agents.decide(shop.id, person.id, approve)
    return ctx.reply("referral/agent_decided.j2", agent=agent, person=person)


@router.command("agentok", "批准推广", help=N_("Approve an agent"), usage="<user>", merchant=True)
async def agentok(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await _decide(msg, cmd, ctx, True)


@router.command(
    "agentno", "拒绝推广", help=N_("Reject or stop an agent"), usage="<user>", merchant=True
)
async def agentno(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    return await _decide(msg, cmd, ctx, False)


@router.command(
    "commission",
    "佣金设置",
    help=N_("Commission rates per level or per product"),
    usage="<level 1 %> [<level 2 %> [<level 3 %>]] | #<product id> <% or amount>|off",
    merchant=True,
)
async def commission(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    program_service = _ref(ctx).program
    if cmd.args and cmd.args[0].startswith("#"):
        args = need(cmd.args, 2, COMMISSION_USAGE)
        pid = product_id(args[0])
        if args[1].casefold() in OFF_WORDS:
            await program_service.clear_product_rate(shop.id, pid)
        elif args[1].endswith("%"):
            await program_service.set_product_rate(
                shop.id, pid, RateKind.PERCENT, _percent(args[1])
            )
        else:
            await program_service.set_product_rate(
                shop.id, pid, RateKind.FIXED, _minor(ctx, args[1])
            )
    elif cmd.args:
        await program_service.set_rates(shop.id, [_percent(a) for a in cmd.args])
    return await _program_reply(ctx, saved=bool(cmd.args))


@router.command(
    "refpolicy",
    "绑定规则",
    help=N_("How customers bind to agents"),
    usage="first|last|days <n>",
    merchant=True,
)
async def refpolicy(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    if cmd.args:
        try:
            policy = BindPolicy(cmd.args[0].casefold())
        except ValueError:
            raise usage("/refpolicy first|last|days <n>") from None
        days = 0
        if policy == BindPolicy.DAYS:
            days = whole(
                need(cmd.args, 2, "/refpolicy days <n>")[1],
                high=MAX_POLICY_DAYS,
                code="setting_out_of_range",
            )
        await _ref(ctx).program.set_policy(shop.id, policy, days)
    return await _program_reply(ctx, saved=bool(cmd.args))


@router.command(
    "refset",
    "分销设置",
    help=N_("Who may become an agent, freeze period, withdrawal limits"),
    usage="[join|freeze|min|daymax|fee <value>]",
    merchant=True,
)
async def refset(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    program = _ref(ctx).program
    if cmd.args:
        args = need(cmd.args, 2, REFSET_USAGE)
        key, value = args[0].casefold(), args[1]
        if key == "join":
            try:
                mode = JoinMode(value.casefold())
            except ValueError:
                raise usage(REFSET_USAGE) from None
            spend = _minor(ctx, need(args, 3, REFSET_USAGE)[2]) if mode == JoinMode.SPEND else 0
            await program.set_join(shop.id, mode, spend)
        elif key == "freeze":
            days = whole(value, low=0, high=MAX_FREEZE_DAYS, code="setting_out_of_range")
            await program.set_freeze(shop.id, days)
        elif key == "min":
            await program.set_withdraw_limits(shop.id, minimum=_minor(ctx, value))
        elif key == "daymax":
            await program.set_withdraw_limits(shop.id, daily_max=_minor(ctx, value))
        elif key == "fee":
            await program.set_withdraw_limits(shop.id, fee_bp=_percent(value))
        else:
            raise usage(REFSET_USAGE)
    return await _program_reply(ctx, saved=bool(cmd.args))


async def _program_reply(ctx: Context, saved: bool) -> Reply:
    shop = ctx.require_shop()
    ref = _ref(ctx)
    program = await ref.program.get(shop.id)
    return ctx.reply(
        "referral/program.j2",
        saved=saved,
        program=program,
        product_rates=await ref.program.product_rate_list(shop.id),
        pct=percent_text,
        m=_money_minor(ctx),
    )


@router.command(
    "wd", "提现审核", help=N_("Withdrawals waiting for you"), merchant=True, private=True
)
async def wd(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    pending = await _ref(ctx).withdrawals.pending(ctx.require_staff().id)
    buttons = [[ctx.button("Pay #{id}", f"/wdok {w.id}", id=w.id)] for w in pending[:5]]
    return ctx.reply("referral/wd.j2", pending=pending, m=_money_minor(ctx), buttons=buttons)


@router.command("wdok", "同意提现", help=N_("Mark a withdrawal paid"), usage="<id>", merchant=True)
async def wdok(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    wid = whole(need(cmd.args, 1, "/wdok <id>")[0].lstrip("#"))
    w = await _ref(ctx).withdrawals.approve(ctx.require_staff().id, wid)
    return ctx.reply("referral/wd_decided.j2", w=w, m=_money_minor(ctx))


@router.command(
    "wdno", "拒绝提现", help=N_("Refuse a withdrawal"), usage="<id> <reason>", merchant=True
)
async def wdno(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    args = need(cmd.args, 2, "/wdno <id> <reason>")
    wid = whole(args[0].lstrip("#"))
    reason = cmd.raw_args[len(args[0]) :].strip()
    w = await _ref(ctx).withdrawals.reject(ctx.require_staff().id, wid, reason)
    return ctx.reply("referral/wd_decided.j2", w=w, m=_money_minor(ctx))


@router.command(
    "refexport",
    "分销导出",
    help=N_("The commission ledger or the withdrawals as CSV"),
    usage="ledger|withdrawals",
    merchant=True,
    private=True,
)
async def refexport(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_staff()
    what = cmd.args[0].casefold() if cmd.args else "ledger"
    reports = _ref(ctx).reports
    if what == "ledger":
        data = await reports.ledger_csv(shop.id)
    elif what == "withdrawals":
        data = await reports.withdrawals_csv(shop.id)
    else:
        raise usage("/refexport ledger|withdrawals")
    return Reply(text=data.decode("utf-8-sig"), private=True)
