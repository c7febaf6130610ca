"""Customer service end to end through the chat: tickets relayed both ways, closing, the FAQ."""

from __future__ import annotations

from datetime import UTC, datetime

from store.support.models import FaqEntry, Ticket, TicketMessage, TicketStatus
from store.support.service import RATE_LIMIT
from tests.conftest import MERCHANT, Chat


async def add_staff(chat: Chat, user: str) -> None:
    await chat.say(user, "/help")
    await chat.say(MERCHANT, f"/staff add {user}")


async def state() -> list[tuple[int, str, int]]:
    """Every ticket with its status and number of messages: what bad input must not change."""
    return [
        (t.id, t.status, await TicketMessage.filter(ticket_id=t.id).count())
        for t in await Ticket.all().order_by("id")
    ]


async def test_ask_relays_to_owner_and_staff_and_answers_come_back(chat: Chat) -> None:
    await add_staff(chat, "mia")
    chat.pushed("mia")
    asked = (await chat.say("alice", "/ask Do you ship to Beijing?"))[0]
    ticket = await Ticket.get()
    tag = f"T{ticket.id}"
    assert tag in asked.text
    for person in (MERCHANT, "mia"):
        relayed = chat.inbox.take(person)
        assert len(relayed) == 1, person
        assert "Do you ship to Beijing?" in relayed[0].text and tag in relayed[0].text
        payloads = {b.payload for row in relayed[0].buttons for b in row}
        assert payloads == {f"/ticket {tag}", f"/close {tag}"}
        assert relayed[0].text.endswith(f"⤷ /reply {tag}")

    assert "Sent to alice" in await chat.text("mia", f"/reply {tag} Yes, 2 days.")
    answer = chat.pushed("alice")
    assert "Yes, 2 days." in answer and tag in answer
    assert chat.pushed(MERCHANT) == ""  # the shop's answer goes to the customer only

    # a second question appends to the open ticket instead of opening another
    await chat.say("alice", "/ask And to Shanghai?")
    await chat.say("alice", f"/reply {tag} Thanks!")
    assert await Ticket.all().count() == 1
    thread = await chat.text(MERCHANT, f"/ticket {tag}")
    for said in ("Beijing?", "mia (shop): Yes, 2 days.", "And to Shanghai?", "Thanks!"):
        assert said in thread, said
    assert thread.index("Beijing") < thread.index("Shanghai")
    assert "And to Shanghai?" in chat.pushed("mia")


async def test_close_by_staff_tells_the_customer_and_a_new_question_opens_a_new_ticket(
    chat: Chat,
) -> None:
    await chat.say("alice", "/ask Where is my parcel?")
    first = await Ticket.get()
    assert "is closed" in await chat.text(MERCHANT, f"/close T{first.id}")
    assert f"closed ticket T{first.id}" in chat.pushed("alice")
    assert (await Ticket.get(id=first.id)).status == TicketStatus.CLOSED

    before = await state()
    assert "Ask again with /ask" in await chat.text("alice", f"/reply T{first.id} hello?")
    # The shop is not told to /ask its own shop a question.
    late = await chat.text(MERCHANT, f"/reply T{first.id} late answer")
    assert "is closed already" in late and "/ask" not in late
    again = await chat.text(MERCHANT, f"/close T{first.id}")
    assert "is closed already" in again and "/ask" not in again
    assert "is closed" in await chat.text("alice", f"/close T{first.id}")
    assert await state() == before

    await chat.say("alice", "/ask Another thing")
    second = await Ticket.filter(status=TicketStatus.OPEN).get()
    assert second.id != first.id
    await chat.say("alice", f"/close T{second.id}")
    assert f"customer closed ticket T{second.id}" in chat.pushed(MERCHANT)


async def test_other_peoples_and_other_shops_tickets_answer_like_unknown_ones(chat: Chat) -> None:
    await chat.say("alice", "/ask A private question")
    tag = f"T{(await Ticket.get()).id}"
    await chat.say("rival", "/newshop Rival Tea")  # owner of another shop, not of the demo
    before = await state()
    for user in ("bob", "rival"):
        for line in (f"/reply {tag} sneaky", f"/ticket {tag}", f"/close {tag}"):
            text = await chat.text(user, line)
            assert f"no ticket {tag} of yours" in text, (user, line, text)
    unknown = ["/ticket T99999", "/reply #99999 hi", "/close 99999", "/ticket Tx"]
    unknown.append("/close " + "9" * 24)  # more digits than any id
    for line in unknown:
        assert "There is no ticket" in await chat.text("alice", line), line
    assert await state() == before
    assert "sneaky" not in chat.pushed("alice")


async def test_bad_arguments_change_nothing(chat: Chat) -> None:
    await chat.say("alice", "/ask First")
    tag = f"T{(await Ticket.get()).id}"
    before = await state()
    cases = {
        "/ask": "/ask Do you ship",
        "/reply": "Usage: /reply",
        "/close": "Usage: /close",
        "/ticket": "Usage: /ticket",
        "/ask " + "x" * 1001: "at most 1000 characters",
        f"/reply {tag} " + "x" * 1001: "at most 1000 characters",
    }
    for line, expected in cases.items():
        assert expected in await chat.text("alice", line), line
    assert await state() == before


async def test_customers_are_rate_limited(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    for n in range(RATE_LIMIT):
        await chat.say("alice", f"/ask message {n}")
    before = await state()
    assert "wait 10 minutes" in await chat.text("alice", "/ask one too many")
    assert await state() == before
    clock.advance(minutes=11)
    assert "Sent to the shop" in await chat.text("alice", "/ask later")


async def test_tickets_lists_the_shops_for_staff_and_own_for_customers(chat: Chat) -> None:
    await chat.say("alice", "/ask from alice")
    await chat.say("bob", "/ask from bob")
    alice_t, bob_t = await Ticket.all().order_by("id")
    staff_list = await chat.text(MERCHANT, "/tickets")
    assert f"T{alice_t.id}" in staff_list and f"T{bob_t.id}" in staff_list
    own = await chat.text("alice", "/tickets")
    assert f"T{alice_t.id}" in own and f"T{bob_t.id}" not in own
    assert "no tickets" in await chat.text("carol", "/tickets")
    await chat.say(MERCHANT, f"/close T{alice_t.id}")
    assert f"T{alice_t.id}" not in await chat.text(MERCHANT, "/tickets")


async def test_faq_is_edited_by_the_shop_and_read_by_customers(chat: Chat) -> None:
    assert "No frequent questions yet" in await chat.text("alice", "/faq")
    assert "saved" in await chat.text(MERCHANT, "/faq add Shipping? | 2 days, free over ¥99")
    assert "saved" in await chat.text(MERCHANT, "/faq add Returns? | Within 7 days")
    listing = (await chat.say("alice", "/faq"))[0]
    assert "1. Shipping?" in listing.text and "2. Returns?" in listing.text
    assert [b.payload for row in listing.buttons for b in row] == ["/faq 1", "/faq 2"]
    assert "Within 7 days" in await chat.text("alice", "/faq 2", button=True)

    await chat.say(MERCHANT, "/faq edit 1 Shipping time? | 1-2 days")
    assert "1-2 days" in await chat.text("alice", "/faq 1")
    assert "removed" in await chat.text(MERCHANT, "/faq remove 1")
    assert "Within 7 days" in await chat.text("alice", "/faq 1")  # numbers follow the order

    before = [(e.question, e.answer) for e in await FaqEntry.all().order_by("id")]
    for user, line, expected in (
        ("alice", "/faq add Hack? | yes", "only the shop's owner and staff"),
        ("alice", "/faq remove 1", "only the shop's owner and staff"),
        ("alice", "/faq 9", "no question 9"),
        ("alice", "/faq abc", "no question abc"),
        (MERCHANT, "/faq add no answer here", "/faq add <question> | <answer>"),
        (MERCHANT, "/faq add  | empty question", "/faq add <question> | <answer>"),
        (MERCHANT, "/faq edit 7 Q | A", "no question 7"),
        (MERCHANT, "/faq edit 1", "Usage: /faq edit <n> <question> | <answer>"),
        (MERCHANT, "/faq edit 1 no answer here", "Usage: /faq edit <n> <question> | <answer>"),
        (MERCHANT, "/faq edit 1  | empty question", "Usage: /faq edit <n>"),
        (MERCHANT, "/faq remove", "Usage: /faq"),
        (MERCHANT, "/faq add " + "q" * 201 + " | a", "at most 200 characters"),
    ):
        assert expected in await chat.text(user, line), line
    assert [(e.question, e.answer) for e in await FaqEntry.all().order_by("id")] == before
    await chat.say("rival", "/newshop Rival Tea")
    assert "No frequent questions yet" in await chat.text("rival", "/faq")  # per shop


async def test_chinese_aliases(chat: Chat) -> None:
    await chat.say("alice", "/lang zh")
    text = await chat.text("alice", "客服 有发票吗？")
    tag = f"T{(await Ticket.get()).id}"
    assert tag in text and "已" in text
    assert "有发票吗" in chat.pushed(MERCHANT)
    await chat.say(MERCHANT, f"回复 {tag} 有的")
    assert "有的" in chat.pushed("alice")
    assert "还没有常见问题" in await chat.text("alice", "常见问题")  # /faq by its Chinese name


async def test_staff_asking_their_own_shop_reach_the_rest_of_the_team_only(chat: Chat) -> None:
    await add_staff(chat, "mia")
    chat.pushed("mia")
    await chat.say("mia", "/ask Testing the help desk")
    assert "Testing the help desk" in chat.pushed(MERCHANT)
    assert chat.pushed("mia") == ""  # not relayed back to the person who asked
    tag = f"T{(await Ticket.get()).id}"
    await chat.say("mia", f"/close {tag}")
    assert tag in chat.pushed(MERCHANT) and chat.pushed("mia") == ""


async def test_times_are_the_shops_clock_not_utc(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = datetime(2026, 11, 21, 17, 30, tzinfo=UTC)  # 01:30 the next day in Shanghai
    await chat.say("alice", "/ask Is the tea fresh?")
    assert "11-22 01:30" in await chat.text("alice", "/tickets")
    assert "11-22 01:30 alice: Is the tea fresh?" in await chat.text("alice", "/ticket T1")
