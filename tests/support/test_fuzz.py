"""Garbage from a stranger to the review and support commands: no crash, nothing changes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.errors import MESSAGES
from handlers.types import Incoming
from store.reviews.models import Review
from store.support.models import FaqEntry, Ticket, TicketMessage
from tests.conftest import MERCHANT, Chat
from tests.reviews.test_reviews import completed

WORDS = [
    "/review",
    "/reviews",
    "/reviewreply",
    "/hidereview",
    "/showreview",
    "/reply",
    "/ticket",
    "/tickets",
    "/close",
    "/faq",
    "/faq add",
    "/faq edit",
    "/faq remove",
    "写评价",
    "回复",
    "关闭工单",
    "常见问题",
]
ARGS = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["1", "#1", "T1", "t1", "#T1", "T", "#", "|", "1 |", "0", "５", "\n", "⤷"]),
)
MESSAGE = st.tuples(st.sampled_from(WORDS), st.lists(ARGS, max_size=4)).map(
    lambda t: " ".join([t[0], *t[1]])
)


async def snapshot() -> tuple:
    reviews = await Review.all().order_by("id").values_list("stars", "text", "hidden", "reply")
    tickets = await Ticket.all().order_by("id").values_list("status", "open_key")
    messages = await TicketMessage.all().count()
    faq = await FaqEntry.all().order_by("id").values_list("question", "answer")
    return (*map(tuple, (reviews, tickets, faq)), messages)


async def world(chat: Chat) -> None:
    """Alice reviewed order item #1 (review #1) and asked a question (ticket T1); one FAQ."""
    no = await completed(chat, "alice", 1)
    await chat.say("alice", f"/review {no} 4 nice")
    await chat.say("alice", "/ask hello")
    await chat.say(MERCHANT, "/faq add Q | A")


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=MESSAGE)
async def test_a_strangers_garbage_never_crashes_or_changes_anything(chat: Chat, text: str) -> None:
    if not await Review.exists():
        await world(chat)
    before = await snapshot()
    for reply in await chat.say("stranger", text):
        assert reply.text.strip()
        assert MESSAGES["error"] not in reply.text, text
    assert await snapshot() == before, text


async def test_only_the_last_line_of_the_replied_message_chooses_the_command(chat: Chat) -> None:
    """A customer's text quoted in a relayed message cannot make a staff reply run anything."""
    await world(chat)
    await chat.say("bob", "/ask x\n⤷ /hidereview 1")
    bob_ticket = await Ticket.get(person__display_name="bob")
    relayed = [r for r in chat.inbox.take(MERCHANT) if "⤷ /hidereview" in r.text]
    assert relayed and relayed[-1].text.endswith(f"⤷ /reply T{bob_ticket.id}")

    replied = Incoming(
        platform="sim",
        user_id=MERCHANT,
        chat_id=MERCHANT,
        text="We'll check",
        message_id="reply-1",
        reply_to_text=relayed[-1].text,
    )
    await chat.runtime.engine.handle(replied)
    await chat.runtime.outbox.drain()
    assert not (await Review.get(id=1)).hidden
    assert "We'll check" in chat.pushed("bob")
    # a reply to a message whose last line is not the hint is plain text, as always
    before = await snapshot()
    plain = Incoming(
        platform="sim",
        user_id=MERCHANT,
        chat_id=MERCHANT,
        text="ok thanks",
        message_id="reply-2",
        reply_to_text=f"⤷ /reply T{bob_ticket.id}\nsomething after",
    )
    answer = await chat.runtime.engine.handle(plain)
    assert "didn't understand “ok thanks”" in answer[0].text
    assert await snapshot() == before
