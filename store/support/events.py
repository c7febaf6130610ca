"""Events of customer service, published after the change commits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TicketPosted:
    """A message on a ticket: a customer's goes to the shop's people, the shop's to the customer."""

    ticket_id: int
    shop_id: int
    customer_id: int
    author_id: int
    author_name: str
    from_staff: bool
    text: str
    opened: bool  # this message opened the ticket


@dataclass(frozen=True, slots=True)
class TicketClosed:
    ticket_id: int
    shop_id: int
    customer_id: int
    by_staff: bool
