"""Customer service (客服): tickets between a customer and a shop's people, and the FAQ.

A customer holds at most one open ticket per shop: /ask appends to it or opens a new one.
Closed tickets stay closed (read-only); the next /ask opens a new ticket. Someone else's
ticket, or another shop's, answers exactly like an unknown one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.functions import Max

from store.clock import Clock
from store.db import transaction
from store.errors import InvalidInput, NotFound, StoreError
from store.events import EventBus
from store.models import Person, ShopMember
from store.paging import clamp_page
from store.support.events import TicketClosed, TicketPosted
from store.support.models import (
    MAX_ANSWER,
    MAX_MESSAGE,
    MAX_QUESTION,
    FaqEntry,
    Ticket,
    TicketMessage,
    TicketStatus,
)

# A customer may send this many ticket messages in this window (all shops together).
RATE_LIMIT = 10
RATE_WINDOW = timedelta(minutes=10)
THREAD_LENGTH = 10  # messages shown of a ticket, the latest ones
LIST_LENGTH = 20
MAX_FAQ = 30
MAX_TICKET_ID = 2_147_483_647


@dataclass(frozen=True, slots=True)
class Thread:
    ticket: Ticket
    customer: Person
    messages: list[TicketMessage]  # oldest first, the latest THREAD_LENGTH; [] after post/close
    as_staff: bool  # the reader is the shop's owner or staff, not the customer


@dataclass(frozen=True, slots=True)
class InboxRow:
    """An open ticket in the shop's inbox, with its latest message."""

    ticket: Ticket
    last: TicketMessage

    @property
    def waiting(self) -> bool:
        """The customer spoke last: the shop owes an answer."""
        return not self.last.from_staff


@dataclass(frozen=True, slots=True)
class InboxPage:
    rows: list[InboxRow]
    page: int
    pages: int
    total: int  # open tickets in all


def ticket_id(ref: str) -> int:
    """`T12`, `#12`, `t12` or `12` -> 12; anything else is an unknown ticket."""
    body = ref.strip().lstrip("#").removeprefix("T").removeprefix("t")
    if not (body.isascii() and body.isdigit()) or len(body) > 10 or int(body) > MAX_TICKET_ID:
        raise NotFound("ticket_not_found", ticket=ref[:20])
    return int(body)


async def _last_message_ids(ticket_ids: list[int]) -> list[int]:
    return list(
        await TicketMessage.filter(ticket_id__in=ticket_ids)
        .group_by("ticket_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )


def check_message(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("ticket_empty")
    if len(text) > MAX_MESSAGE:
        raise InvalidInput("ticket_too_long", high=MAX_MESSAGE)
    return text


class Support:
    def __init__(self, bus: EventBus, clock: Clock) -> None:
        self.bus = bus
        self.clock = clock

    def subscribe(self) -> None:
        """Nothing to listen to: relaying messages is the notifier's job (TicketPosted)."""

    # -- tickets -----------------------------------------------------------------------------
    async def ask(self, shop_id: int, person: Person, text: str) -> Ticket:
        """Append to the customer's open ticket with the shop, or open one."""
        text = check_message(text)
        await self._check_rate(person.id)
        key = f"{shop_id}:{person.id}"
        now = self.clock()
        for _ in range(3):  # a ticket closed or opened concurrently: look again
            ticket = await Ticket.get_or_none(open_key=key)
            if ticket is not None:
                if await self._append(ticket, person, False, text):
                    return ticket
                continue
            try:
                async with transaction():
                    ticket = await Ticket.create(
                        shop_id=shop_id, person=person, open_key=key, created_at=now, updated_at=now
                    )
                    await TicketMessage.create(
                        ticket=ticket, author=person, from_staff=False, text=text, created_at=now
                    )
            except IntegrityError:
                continue
            await self._posted(ticket, person, False, text, opened=True)
            return ticket
        raise StoreError("error")

    async def post(
        self, ref: str, person: Person, text: str, *, shop_id: int | None = None
    ) -> Thread:
        """A message on an existing open ticket, by its customer or by the shop's people."""
        thread = await self._reader(ref, person.id, shop_id)
        text = check_message(text)
        if not thread.as_staff:
            await self._check_rate(person.id)
        if not await self._append(thread.ticket, person, thread.as_staff, text):
            raise StoreError(_closed(thread), ticket=f"T{thread.ticket.id}")
        return thread

    async def close(self, ref: str, person_id: int, *, shop_id: int | None = None) -> Thread:
        thread = await self._reader(ref, person_id, shop_id)
        ticket = thread.ticket
        done = await Ticket.filter(id=ticket.id, status=TicketStatus.OPEN).update(
            status=TicketStatus.CLOSED, open_key=None, closed_at=self.clock()
        )
        if not done:
            raise StoreError(_closed(thread), ticket=f"T{ticket.id}")
        ticket.status = TicketStatus.CLOSED
        await self.bus.publish(
            [
                TicketClosed(
                    ticket_id=ticket.id,
                    shop_id=ticket.shop_id,  # type: ignore[attr-defined]
                    customer_id=ticket.person_id,  # type: ignore[attr-defined]
                    by_staff=thread.as_staff,
                )
            ]
        )
        return thread

    async def thread(
        self,
        ref: str,
        person_id: int,
        *,
        shop_id: int | None = None,
        length: int = THREAD_LENGTH,
    ) -> Thread:
        """The ticket and its latest messages, if the reader may see it (see _reader)."""
        thread = await self._reader(ref, person_id, shop_id)
        latest = (
            await TicketMessage.filter(ticket_id=thread.ticket.id)
            .order_by("-id")
            .limit(length)
            .prefetch_related("author")
        )
        return replace(thread, messages=latest[::-1])

    async def _reader(self, ref: str, person_id: int, shop_id: int | None = None) -> Thread:
        """The ticket (no messages) if the reader is its customer or one of its shop's people;
        with `shop_id`, only a ticket of that shop (the dashboard is one shop's)."""
        tid = ticket_id(ref)
        ticket = await Ticket.get_or_none(id=tid).prefetch_related("person")
        if ticket is None or shop_id not in (None, ticket.shop_id):  # type: ignore[attr-defined]
            raise NotFound("ticket_not_found", ticket=ref[:20])
        as_staff = ticket.person_id != person_id  # type: ignore[attr-defined]
        if as_staff and not await ShopMember.exists(shop_id=ticket.shop_id, person_id=person_id):  # type: ignore[attr-defined]
            raise NotFound("ticket_not_found", ticket=ref[:20])
        return Thread(ticket, ticket.person, [], as_staff)

    async def open_for_shop(self, shop_id: int, offset: int = 0) -> list[Ticket]:
        return (
            await Ticket.filter(shop_id=shop_id, status=TicketStatus.OPEN)
            .order_by("-updated_at", "-id")
            .offset(offset)
            .limit(LIST_LENGTH)
            .prefetch_related("person")
        )

    async def inbox(self, shop_id: int, page: int = 1) -> InboxPage:
        """The shop's open tickets, latest activity first, each with its last message, a
        page of LIST_LENGTH at a time (every open ticket is on some page)."""
        total = await Ticket.filter(shop_id=shop_id, status=TicketStatus.OPEN).count()
        page, pages = clamp_page(page, total, LIST_LENGTH)
        tickets = await self.open_for_shop(shop_id, offset=(page - 1) * LIST_LENGTH)
        last_ids = await _last_message_ids([t.id for t in tickets])
        last = {
            m.ticket_id: m  # type: ignore[attr-defined]
            for m in await TicketMessage.filter(id__in=last_ids).prefetch_related("author")
        }
        rows = [InboxRow(t, last[t.id]) for t in tickets if t.id in last]
        return InboxPage(rows, page, pages, total)

    async def waiting_count(self, shop_id: int) -> int:
        """Open tickets of the shop whose customer spoke last: answers the shop owes."""
        open_ids = await Ticket.filter(shop_id=shop_id, status=TicketStatus.OPEN).values_list(
            "id", flat=True
        )
        last_ids = await _last_message_ids(list(open_ids))  # type: ignore[arg-type]
        return await TicketMessage.filter(id__in=last_ids, from_staff=False).count()

    async def for_customer(self, shop_id: int, person_id: int) -> list[Ticket]:
        """The customer's tickets with the shop, open ones first, then the latest."""
        return (
            await Ticket.filter(shop_id=shop_id, person_id=person_id)
            .order_by("status", "-updated_at", "-id")
            .limit(LIST_LENGTH)
            .prefetch_related("person")
        )

    async def _append(self, ticket: Ticket, author: Person, from_staff: bool, text: str) -> bool:
        """Add a message if the ticket is still open (guarded in the same transaction)."""
        now = self.clock()
        async with transaction():
            if not await Ticket.filter(id=ticket.id, status=TicketStatus.OPEN).update(
                updated_at=now
            ):
                return False
            await TicketMessage.create(
                ticket=ticket, author=author, from_staff=from_staff, text=text, created_at=now
            )
        await self._posted(ticket, author, from_staff, text, opened=False)
        return True

    async def _posted(
        self, ticket: Ticket, author: Person, from_staff: bool, text: str, *, opened: bool
    ) -> None:
        await self.bus.publish(
            [
                TicketPosted(
                    ticket_id=ticket.id,
                    shop_id=ticket.shop_id,  # type: ignore[attr-defined]
                    customer_id=ticket.person_id,  # type: ignore[attr-defined]
                    author_id=author.id,
                    author_name=author.display_name,
                    from_staff=from_staff,
                    text=text,
                    opened=opened,
                )
            ]
        )

    async def _check_rate(self, person_id: int) -> None:
        since = self.clock() - RATE_WINDOW
        sent = await TicketMessage.filter(
            author_id=person_id, from_staff=False, created_at__gt=since
        ).count()
        if sent >= RATE_LIMIT:
            raise StoreError("ticket_rate_limited", minutes=int(RATE_WINDOW.total_seconds() // 60))

    # -- FAQ ---------------------------------------------------------------------------------
    async def faq(self, shop_id: int) -> list[FaqEntry]:
        return await FaqEntry.filter(shop_id=shop_id).order_by("id").limit(MAX_FAQ)

    async def faq_entry(self, shop_id: int, number: int) -> FaqEntry:
        """The entry shown as number `number` (1-based) in /faq."""
        entry = (
            await FaqEntry.filter(shop_id=shop_id).order_by("id").offset(number - 1).first()
            if 1 <= number <= MAX_FAQ
            else None
        )
        if entry is None:
            raise NotFound("faq_not_found", n=number)
        return entry

    async def faq_add(self, shop_id: int, question: str, answer: str) -> int:
        """Add at the end; returns its number."""
        question, answer = _check_faq(question, answer)
        async with transaction():
            count = await FaqEntry.filter(shop_id=shop_id).count()
            if count >= MAX_FAQ:
                raise InvalidInput("faq_full", high=MAX_FAQ)
            await FaqEntry.create(shop_id=shop_id, question=question, answer=answer)
        return count + 1

    async def faq_edit(self, shop_id: int, number: int, question: str, answer: str) -> None:
        question, answer = _check_faq(question, answer)
        entry = await self.faq_entry(shop_id, number)
        await FaqEntry.filter(id=entry.id).update(question=question, answer=answer)

    async def faq_remove(self, shop_id: int, number: int) -> FaqEntry:
        entry = await self.faq_entry(shop_id, number)
        await FaqEntry.filter(id=entry.id).delete()
        return entry


def _check_faq(question: str, answer: str) -> tuple[str, str]:
    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        raise InvalidInput("faq_usage")
    if len(question) > MAX_QUESTION or len(answer) > MAX_ANSWER:
        raise InvalidInput("faq_too_long", question=MAX_QUESTION, answer=MAX_ANSWER)
    return question, answer


def _closed(thread: Thread) -> str:
    """The refusal for a closed ticket: the customer may open another with /ask; the shop's
    people are only told it is closed."""
    return "ticket_closed_staff" if thread.as_staff else "ticket_closed"
