"""Events of accounts, published after the change commits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountsLinked:
    """`identity_id` used a /link code: its accounts and the person's are one person now."""

    person_id: int  # the surviving person
    identity_id: int  # the account that typed the code
    platforms: tuple[str, ...]  # every platform the person is on now
