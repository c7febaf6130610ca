"""Typed errors of referral; codes map to friendly text in handlers/errors.py."""

from __future__ import annotations

from store.errors import InvalidInput, NotFound, PermissionDenied, StoreError


class NotAnAgent(NotFound):
    code = "not_an_agent"


class AgentNotFound(NotFound):
    code = "agent_not_found"


class WithdrawalNotFound(NotFound):
    code = "withdrawal_not_found"


class CannotJoin(PermissionDenied):
    code = "cannot_join"  # params: needed (the spend still missing), or none


class InsufficientBalance(StoreError):
    code = "insufficient_balance"


class WithdrawalRefused(InvalidInput):
    """Below the minimum or over the daily maximum (code names which)."""

    code = "withdraw_below_minimum"


class AlreadyDecided(StoreError):
    code = "already_decided"
