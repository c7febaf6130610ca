"""Customer service on the dashboard: the inbox, a ticket's conversation, answering and
closing; the customer hears it in their chat, and nothing of another shop's shows."""

from __future__ import annotations

from store.models import Shop
from store.support.models import Ticket, TicketMessage, TicketStatus
from tests.conftest import MERCHANT, FakeClock
from tests.dashboard.conftest import Dashboard


async def messages(ticket_id: int) -> list[tuple[bool, str]]:
    rows = TicketMessage.filter(ticket_id=ticket_id).order_by("id")
    return [(m.from_staff, m.text) for m in await rows]


async def test_inbox_shows_who_waits_and_an_answer_reaches_the_customer(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("alice", "/ask Do you ship to Beijing?")
    await chat.say("bob", "/ask Is the tea organic?")
    alice = await Ticket.get(person__identities__platform_user_id="alice")
    bob = await Ticket.get(person__identities__platform_user_id="bob")
    await chat.say(MERCHANT, f"/reply T{bob.id} Yes, certified.")
    chat.pushed("alice"), chat.pushed("bob")
    await dash.login()

    status, body = await dash.get("/dashboard/support")
    assert status == 200
    rows = {
        tid: body.split(f'id="ticket-T{tid}"')[1].split("</tr>")[0] for tid in (alice.id, bob.id)
    }
    assert (
        "Do you ship to Beijing?" in rows[alice.id] and "Waiting for your answer" in rows[alice.id]
    )
    assert "Yes, certified." in rows[bob.id] and "Answered" in rows[bob.id]

    status, body = await dash.get(f"/dashboard/support/T{alice.id}")
    assert status == 200 and "Do you ship to Beijing?" in body and "alice" in body

    data = {"text": "Yes, in 2 days."}
    status, _, location = await dash.post(f"/dashboard/support/T{alice.id}/answer", data)
    assert status == 303 and location.endswith(f"/dashboard/support/T{alice.id}?done=sent")
    heard = chat.pushed("alice")
    assert "Yes, in 2 days." in heard and f"T{alice.id}" in heard
    assert await messages(alice.id) == [
        (False, "Do you ship to Beijing?"),
        (True, "Yes, in 2 days."),
    ]
    _, body = await dash.get(location)
    assert "Sent." in body and "Yes, in 2 days." in body
    row = (await dash.get("/dashboard/support"))[1].split(f'id="ticket-T{alice.id}"')[1]
    assert "Answered" in row.split("</tr>")[0]
    # The customer's next message in chat puts the ticket back on the waiting list.
    await chat.say("alice", f"/reply T{alice.id} Great, thanks!")
    row = (await dash.get("/dashboard/support"))[1].split(f'id="ticket-T{alice.id}"')[1]
    assert "Great, thanks!" in row.split("</tr>")[0] and "Waiting" in row.split("</tr>")[0]


async def test_closing_tells_the_customer_and_a_closed_ticket_takes_no_answer(
    dash: Dashboard,
) -> None:
    chat = dash.chat
    await chat.say("alice", "/ask Where is my parcel?")
    ticket = await Ticket.get()
    chat.pushed("alice")
    await dash.login()

    status, _, location = await dash.post(f"/dashboard/support/T{ticket.id}/close")
    assert status == 303 and location.endswith("done=closed")
    assert (await Ticket.get(id=ticket.id)).status == TicketStatus.CLOSED
    assert f"closed ticket T{ticket.id}" in chat.pushed("alice")
    _, body = await dash.get(location)
    assert "Closed." in body and 'id="answer"' not in body  # no answer box on a closed ticket
    assert f"T{ticket.id}" not in (await dash.get("/dashboard/support"))[1]  # not in the inbox

    data = {"text": "Late answer"}
    status, body, _ = await dash.post(f"/dashboard/support/T{ticket.id}/answer", data)
    assert status == 409 and "is closed" in body
    status, body, _ = await dash.post(f"/dashboard/support/T{ticket.id}/close")
    assert status == 409 and f"Ticket T{ticket.id} is closed already." in body
    assert "/tickets" not in body
    assert await messages(ticket.id) == [(False, "Where is my parcel?")]
    assert chat.pushed("alice") == ""


async def test_bad_answers_and_forged_posts_change_nothing(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("alice", "/ask Hello?")
    ticket = await Ticket.get()
    chat.pushed("alice")
    await dash.login()
    path = f"/dashboard/support/T{ticket.id}/answer"

    status, body, _ = await dash.post(path, {"text": "   "})
    assert status == 400 and "Please fill this in." in body.split('id="err-text"')[1]
    status, body, _ = await dash.post(path, {"text": "x" * 1001})
    assert status == 400 and 'id="err-text"' in body and "x" * 1001 in body  # the text is kept
    status, _, _ = await dash.post(path, {"text": "Forged"}, csrf=False)
    assert status == 403
    status, _, _ = await dash.post(f"/dashboard/support/T{ticket.id}/close", csrf=False)
    assert status == 403
    assert await messages(ticket.id) == [(False, "Hello?")]
    assert (await Ticket.get(id=ticket.id)).status == TicketStatus.OPEN
    assert chat.pushed("alice") == ""


async def test_another_shops_tickets_and_unknown_ones_answer_404(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("rival", "/newshop Rival Tea")
    rival = await Shop.get(name="Rival Tea")
    await chat.say(MERCHANT, "/help")
    await chat.say("rival", f"/staff add {MERCHANT}")  # our merchant is staff there too
    await chat.say("carol", f"/shop {rival.slug}")
    await chat.say("carol", "/ask A question for the rival shop")
    theirs = await Ticket.get(shop_id=rival.id)
    chat.pushed("carol")
    # Staff of both shops: the dashboard session is the demo shop's, so the rival's ticket
    # answers like an unknown one there (in chat, /ticket still shows it).
    assert "rival shop" in await chat.text(MERCHANT, f"/ticket T{theirs.id}")
    await dash.login()

    for ref in (f"T{theirs.id}", "T999999", "T99999999999", "%E4%B8%AD", "abc"):
        status, body = await dash.get(f"/dashboard/support/{ref}")
        assert status == 404 and "Not found" in body, ref
        assert (await dash.post(f"/dashboard/support/{ref}/answer", {"text": "hi"}))[0] == 404
        assert (await dash.post(f"/dashboard/support/{ref}/close"))[0] == 404
    assert "rival shop" not in (await dash.get("/dashboard/support"))[1]
    assert await messages(theirs.id) == [(False, "A question for the rival shop")]
    assert (await Ticket.get(id=theirs.id)).status == TicketStatus.OPEN
    assert chat.pushed("carol") == ""


async def test_the_inbox_speaks_chinese(dash: Dashboard) -> None:
    await dash.chat.say("alice", "/ask 有货吗？")
    await dash.login()
    await dash.post("/dashboard/language", {"locale": "zh_CN", "next": "/dashboard/support"})
    body = (await dash.get("/dashboard/support"))[1]
    assert "客服" in body and "等待你回复" in body and "有货吗？" in body


async def test_every_open_ticket_is_on_a_page_of_the_inbox(
    dash: Dashboard, clock: FakeClock
) -> None:
    """More open tickets than one page: the older ones are on page 2, not left out (the
    overview counts them all)."""
    for n in range(23):
        await dash.chat.say(f"user{n}", f"/ask Question {n}")
        clock.advance(minutes=1)
    await dash.login()
    _, first = await dash.get("/dashboard/support")
    assert "Question 22" in first and "Question 0<" not in first and "Page 1 of 2" in first
    _, second = await dash.get("/dashboard/support?page=2")
    assert all(f"Question {n}<" in second for n in range(3)) and "Question 22" not in second
    _, overview = await dash.get("/dashboard")
    assert ">23</strong>" in overview.split('id="kpi-questions"')[1].split("</a>")[0]
