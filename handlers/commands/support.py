"""Customer service (客服): questions relayed to the shop's people as tickets, and the FAQ."""

from __future__ import annotations

from handlers.args import bars, need, usage, whole
from handlers.context import Context
from handlers.i18n import N_
from handlers.labels import clip
from handlers.router import Router
from handlers.types import Button, Incoming, ParsedCommand, Reply
from store.errors import InvalidInput, NotFound
from store.support.models import Ticket, TicketStatus
from store.support.service import MAX_FAQ, Thread

router = Router(topic=N_("Customer service"))
FAQ_USAGE = (
    "/faq [n] · /faq add <question> | <answer> · /faq edit <n> <question> | <answer>"
    " · /faq remove <n>"
)


def ticket_buttons(ctx: Context, ticket: Ticket) -> list[list[Button]]:
    tag = f"T{ticket.id}"
    if ticket.status != TicketStatus.OPEN:
        return [[ctx.button("Tickets", "/tickets")]]
    return [[ctx.button("Reply", f"/ticket {tag}"), ctx.button("Close", f"/close {tag}")]]


def _thread_reply(ctx: Context, thread: Thread) -> Reply:
    return ctx.reply("support/thread.j2", thread=thread, buttons=ticket_buttons(ctx, thread.ticket))


@router.command(
    "ask", "客服", "咨询", help=N_("Ask the shop a question"), usage="<question>", private=True
)
async def ask(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    if not cmd.raw_args:
        entries = await ctx.services.support.faq(shop.id)
        rows = _faq_rows(ctx, entries)
        return ctx.reply("support/ask_usage.j2", has_faq=bool(entries), buttons=rows)
    ticket = await ctx.services.support.ask(shop.id, ctx.person, cmd.raw_args)
    return ctx.reply("support/asked.j2", ticket=ticket, buttons=ticket_buttons(ctx, ticket))


@router.command(
    "reply",
    "回复",
    help=N_("Answer on a ticket"),
    usage="<ticket> <text>",
    private=True,
)
async def reply(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    ref = need(cmd.args, 1, "/reply <ticket> <text>")[0]
    if len(cmd.args) == 1:  # no text yet: show the conversation and how to answer
        return _thread_reply(ctx, await ctx.services.support.thread(ref, ctx.person.id))
    text = cmd.raw_args.split(None, 1)[1]
    thread = await ctx.services.support.post(ref, ctx.person, text)
    return ctx.reply("support/sent.j2", thread=thread, buttons=ticket_buttons(ctx, thread.ticket))


@router.command(
    "ticket", "查看工单", help=N_("Show one ticket's conversation"), usage="<ticket>", private=True
)
async def ticket(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    ref = need(cmd.args, 1, "/ticket <ticket>")[0]
    return _thread_reply(ctx, await ctx.services.support.thread(ref, ctx.person.id))


@router.command("tickets", "工单", help=N_("Open tickets (the shop's, or your own)"), private=True)
async def tickets(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    staff = ctx.role is not None
    support = ctx.services.support
    found = (
        await support.open_for_shop(shop.id)
        if staff
        else await support.for_customer(shop.id, ctx.person.id)
    )
    buttons = [[ctx.button("Ticket {tag}", f"/ticket T{t.id}", tag=f"T{t.id}")] for t in found[:5]]
    return ctx.reply("support/tickets.j2", tickets=found, staff=staff, buttons=buttons)


@router.command("close", "关闭工单", help=N_("Close a ticket"), usage="<ticket>", private=True)
async def close(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    ref = need(cmd.args, 1, "/close <ticket>")[0]
    thread = await ctx.services.support.close(ref, ctx.person.id)
    return ctx.reply("support/closed.j2", ticket=thread.ticket, notice=False)


# -- FAQ -------------------------------------------------------------------------------------
def _faq_rows(ctx: Context, entries: list) -> list[list[Button]]:  # type: ignore[type-arg]
    return [
        [Button(f"{n}. {clip(e.question, 30)}", f"/faq {n}")] for n, e in enumerate(entries, 1)
    ][:10]


def _faq_number(value: str) -> int:
    try:
        return whole(value, high=MAX_FAQ)
    except InvalidInput:
        raise NotFound("faq_not_found", n=value[:20]) from None


def _question_answer(text: str) -> tuple[str, str]:
    question, bar, answer = bars(text).partition("|")
    if not bar:
        raise InvalidInput("faq_usage")
    return question, answer


@router.command(
    "faq",
    "常见问题",
    "问答",
    help=N_("Frequent questions and their answers"),
    usage="[n]",
    staff_usage="add <question> | <answer> · edit <n> <question> | <answer> · remove <n>",
    private=True,
)
async def faq(msg: Incoming, cmd: ParsedCommand, ctx: Context) -> Reply:
    shop = ctx.require_shop()
    support = ctx.services.support
    action = cmd.args[0].casefold() if cmd.args else ""
    if action in ("add", "edit", "remove", "添加", "修改", "删除"):
        return await _faq_edit(cmd, ctx, action)
    if action:
        entry = await support.faq_entry(shop.id, _faq_number(action))
        return ctx.reply(
            "support/faq_one.j2",
            entry=entry,
            buttons=[[ctx.button("All questions", "/faq"), ctx.button("Ask the shop", "/ask")]],
        )
    entries = await support.faq(shop.id)
    return ctx.reply(
        "support/faq.j2",
        entries=entries,
        staff=ctx.role is not None,
        buttons=_faq_rows(ctx, entries),
    )


async def _faq_edit(cmd: ParsedCommand, ctx: Context, action: str) -> Reply:
    shop = ctx.require_staff()
    support = ctx.services.support
    rest = cmd.raw_args.split(None, 1)[1] if len(cmd.args) > 1 else ""
    if action in ("add", "添加"):
        if not rest:
            raise usage("/faq add <question> | <answer>")
        number = await support.faq_add(shop.id, *_question_answer(rest))
        return ctx.reply("support/faq_saved.j2", number=number, removed=None)
    if not rest:
        raise usage(FAQ_USAGE)
    head, _, tail = rest.partition(" ")
    number = _faq_number(head)
    if action in ("remove", "删除"):
        removed = await support.faq_remove(shop.id, number)
        return ctx.reply("support/faq_saved.j2", number=number, removed=removed)
    try:
        await support.faq_edit(shop.id, number, *_question_answer(tail))
    except InvalidInput as e:
        if e.code == "faq_usage":  # its text shows /faq add: say how to edit instead
            raise usage("/faq edit <n> <question> | <answer>") from None
        raise
    return ctx.reply("support/faq_saved.j2", number=number, removed=None)
