"""Group-buy events, published after the transaction that caused them commits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GroupEvent:
    """Any change of a group: its live cards are redrawn."""

    group_id: int
    code: str
    shop_id: int


@dataclass(frozen=True, slots=True)
class GroupJoined(GroupEvent):
    person_id: int


@dataclass(frozen=True, slots=True)
class SeatReleased(GroupEvent):
    person_id: int


@dataclass(frozen=True, slots=True)
class SeatPaid(GroupEvent):
    """A seat is paid and the group is still open; the payment that completes the group is
    published as GroupCompleted alone (one change, one redraw of the cards)."""

    person_id: int


@dataclass(frozen=True, slots=True)
class GroupCompleted(GroupEvent):
    pass


@dataclass(frozen=True, slots=True)
class GroupFailed(GroupEvent):
    pass


@dataclass(frozen=True, slots=True)
class GroupDeadlineNear(GroupEvent):
    pass
