"""On Telegram, staff answer a ticket by replying to the relayed message: through the webhook."""

from __future__ import annotations

from typing import Any

from store.support.models import Ticket, TicketMessage
from tests.telegram import updates as u
from tests.telegram.conftest import Harness
from tests.telegram.flows import make_demo_staff

ALICE = 111
MIA = 222  # the demo shop's staff


def reply_to(user_id: int, text: str, replied: dict[str, Any], name: str = "Mia") -> dict[str, Any]:
    """A plain message replying to one the bot sent, as Telegram delivers it."""
    update = u.message(user_id, text, name=name)
    update["message"]["reply_to_message"] = replied
    return update


async def test_staff_reply_to_the_relayed_message_answers_the_ticket(tg: Harness) -> None:
    await make_demo_staff(tg, MIA)
    await tg.send(u.message(ALICE, "/ask Is the <tea> organic & fresh?"))
    tag = f"T{(await Ticket.get()).id}"
    relayed = tg.last_to(MIA)
    assert "Is the &lt;tea&gt; organic &amp; fresh?" in relayed.params["text"]  # escaped HTML
    assert relayed.result["text"].endswith(f"⤷ /reply {tag}")
    assert {b["text"] for b in tg.buttons(relayed)} == {"Reply", "Close"}

    await tg.send(reply_to(MIA, "Yes, certified organic.", relayed.result))
    answer = tg.last_to(ALICE)
    assert "Yes, certified organic." in answer.params["text"] and tag in answer.params["text"]
    assert "Sent to Alice" in tg.last_to(MIA).params["text"]
    staff_message = await TicketMessage.filter(from_staff=True).get()
    assert staff_message.text == "Yes, certified organic."

    # the customer answers the same way, by replying to the shop's answer
    await tg.send(reply_to(ALICE, "Great, thanks", answer.result, name="Alice"))
    assert "Great, thanks" in tg.last_to(MIA).params["text"]
    assert await TicketMessage.all().count() == 3


async def test_a_reply_to_another_message_or_another_ticket_changes_nothing(tg: Harness) -> None:
    await make_demo_staff(tg, MIA)
    await tg.send(u.message(ALICE, "/ask Question one"))
    relayed = tg.last_to(MIA)
    await tg.send(u.message(MIA, "/catalog"))
    catalog = tg.last_to(MIA)
    before = await TicketMessage.all().count()

    # a reply to a message without the ticket line is just text: an unknown command
    await tg.send(reply_to(MIA, "hello", catalog.result))
    assert "hello" not in tg.last_to(ALICE).params["text"]
    # a ticket line typed by a person (not the bot) is not trusted
    forged = {**relayed.result, "from": u.user(ALICE, "Alice")}
    await tg.send(reply_to(MIA, "forged", forged))
    # someone who is neither the customer nor staff replying to a relayed message
    await tg.send(reply_to(333, "intruder", relayed.result, name="Eve"))
    assert "no ticket" in tg.last_to(333).params["text"]
    assert await TicketMessage.all().count() == before
