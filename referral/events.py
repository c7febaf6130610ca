"""Referral's own events, published on the store's bus after the transaction commits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommissionEarned:
    shop_id: int
    agent_person_id: int
    order_no: str
    level: int
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class WithdrawalRequested:
    shop_id: int
    withdrawal_id: int
    agent_person_id: int
    amount_minor: int


@dataclass(frozen=True, slots=True)
class WithdrawalDecided:
    shop_id: int
    withdrawal_id: int
    agent_person_id: int
    amount_minor: int
    fee_minor: int
    approved: bool
    reason: str
