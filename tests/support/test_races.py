"""Many questions at once from one customer: one open ticket, every message kept."""

from __future__ import annotations

import asyncio

from store.services import StoreServices
from store.support.models import Ticket, TicketMessage, TicketStatus
from tests.integration.world import make_shop


async def test_ten_questions_at_once_share_one_open_ticket(race_db: str) -> None:
    services = StoreServices.build()
    shop, _ = await make_shop(services)
    ident = await services.people.identify("sim", "asker", "Asker")
    person = await services.people.person(ident.person_id)  # type: ignore[attr-defined]
    results = await asyncio.gather(
        *(services.support.ask(shop.id, person, f"question {n}") for n in range(10)),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert await Ticket.filter(status=TicketStatus.OPEN).count() == 1
    assert await TicketMessage.all().count() == 10


async def test_close_and_answers_racing_keep_exactly_the_accepted_answers(race_db: str) -> None:
    services = StoreServices.build()
    shop, owner_id = await make_shop(services)
    ident = await services.people.identify("sim", "asker", "Asker")
    person = await services.people.person(ident.person_id)  # type: ignore[attr-defined]
    ticket = await services.support.ask(shop.id, person, "first")
    owner = await services.people.person(owner_id)
    ref = f"T{ticket.id}"
    results = await asyncio.gather(
        services.support.close(ref, owner_id),
        *(services.support.post(ref, owner, f"answer {n}") for n in range(8)),
        return_exceptions=True,
    )
    closed = await Ticket.get(id=ticket.id)
    assert closed.status == TicketStatus.CLOSED
    posted = [r for r in results[1:] if not isinstance(r, BaseException)]
    # every accepted message is stored; every refused one was refused as "closed"
    assert await TicketMessage.filter(ticket_id=ticket.id).count() == 1 + len(posted)
    refused = [r for r in results[1:] if isinstance(r, BaseException)]
    assert all(getattr(e, "code", "") == "ticket_closed_staff" for e in refused), refused
