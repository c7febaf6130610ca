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
