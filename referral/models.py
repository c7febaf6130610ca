"""Database models of referral: agents, bindings, order snapshots and the commission ledger.

Money here is integer minor units (fen): the ledger is summed, never rounded twice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

MAX_LEVELS = 3  # deeper chains are multi-level marketing, which the law forbids
BP = 10_000  # basis points in a whole: rates and the cap are kept in them


class JoinMode(StrEnum):
    OPEN = "open"  # /ref enrols anyone
    APPROVAL = "approval"  # /apply, then the merchant decides
    SPEND = "spend"  # /ref enrols who has spent enough in the shop


class BindPolicy(StrEnum):
    FIRST = "first"  # first touch, permanent
    DAYS = "days"  # first touch, for N days: then it earns nothing and is re-bindable
    LAST = "last"  # last touch wins


class AgentStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"


class EntryKind(StrEnum):
    COMMISSION = "commission"  # order paid: pending +
    RELEASE = "release"  # freeze period over: pending -> available
    REVERSAL = "reversal"  # refund: pending - or available - (claw-back)
    HOLD = "hold"  # withdrawal requested: available -> held
    PAYOUT = "payout"  # withdrawal approved: held -> withdrawn
    RETURN = "return"  # withdrawal rejected: held -> available


class WithdrawalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RateKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"  # an amount per unit sold


class ReferralProgram(Model):
    """A shop's referral rules. Rates and fees in basis points (1% = 100)."""

    id = fields.IntField(primary_key=True)
    shop = fields.OneToOneField("store.Shop", related_name=False)
    join_mode = fields.CharEnumField(JoinMode, max_length=8, default=JoinMode.OPEN)
    join_spend_minor = fields.BigIntField(default=0)
    policy = fields.CharEnumField(BindPolicy, max_length=8, default=BindPolicy.FIRST)
    policy_days = fields.IntField(default=30)
    levels = fields.IntField(default=2)
    rate1_bp = fields.IntField(default=1000)
    rate2_bp = fields.IntField(default=500)
    rate3_bp = fields.IntField(default=0)
    cap_bp = fields.IntField(default=5000)
    freeze_days = fields.IntField(default=7)
    withdraw_min_minor = fields.BigIntField(default=1000)
    withdraw_daily_max_minor = fields.BigIntField(default=500000)
    withdraw_fee_bp = fields.IntField(default=0)

    class Meta:
        table = "referral_program"

    def rates(self) -> list[int]:
        return [self.rate1_bp, self.rate2_bp, self.rate3_bp][: self.levels]


class ProductRate(Model):
    """A product's own level-1 commission, a percentage or a fixed amount per unit."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    product = fields.OneToOneField("store.Product", related_name=False)
    kind = fields.CharEnumField(RateKind, max_length=8)
    value = fields.BigIntField()  # basis points, or minor units per unit

    class Meta:
        table = "referral_product_rate"


class Agent(Model):
    """An agent of one shop. The balance columns are the ledger's running sums, changed only
    together with the entry that explains them."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    person = fields.ForeignKeyField("store.Person", related_name=False)
    code = fields.CharField(max_length=16, unique=True)
    status = fields.CharEnumField(AgentStatus, max_length=8)
    pending_minor = fields.BigIntField(default=0)
    available_minor = fields.BigIntField(default=0)  # may be negative after a claw-back
    held_minor = fields.BigIntField(default=0)
    withdrawn_minor = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "referral_agent"
        unique_together = (("shop", "person"),)


class Binding(Model):
    """The agent a customer belongs to in a shop, by the shop's policy."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    customer = fields.ForeignKeyField("store.Person", related_name=False)
    agent = fields.ForeignKeyField("referral.Agent", related_name="bindings")
    channel = fields.CharField(max_length=16)
    bound_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "referral_binding"
        unique_together = (("shop", "customer"),)


class Touch(Model):
    """Every referral touch and what came of it, so any binding can be explained."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    agent = fields.ForeignKeyField("referral.Agent", related_name=False)
    customer = fields.ForeignKeyField("store.Person", related_name=False)
    channel = fields.CharField(max_length=16)
    at = fields.DatetimeField()
    outcome = fields.CharField(max_length=16)

    class Meta:
        table = "referral_touch"
        indexes = (("shop_id", "customer_id"),)


class OrderReferral(Model):
    """The agent chain and commission terms in force when an order was placed."""

    id = fields.IntField(primary_key=True)
    order = fields.OneToOneField("store.Order", related_name=False)
    order_no = fields.CharField(max_length=16)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    customer = fields.ForeignKeyField("store.Person", related_name=False)
    currency = fields.CharField(max_length=3)
    total_minor = fields.BigIntField()  # what the customer pays, shipping included
    goods_minor = fields.BigIntField()  # the commission base
    created_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    release_at = fields.DatetimeField(null=True)  # completed + freeze period
    released_at = fields.DatetimeField(null=True)
    refunded_minor = fields.BigIntField(default=0)

    class Meta:
        table = "referral_order"
        indexes = (("released_at", "release_at"),)


class OrderCommission(Model):
    """What one level of the chain earns on an order, fixed when the order was placed."""

    id = fields.IntField(primary_key=True)
    referral = fields.ForeignKeyField("referral.OrderReferral", related_name="commissions")
    agent = fields.ForeignKeyField("referral.Agent", related_name=False)
    level = fields.IntField()
    base_minor = fields.BigIntField()
    amount_minor = fields.BigIntField()

    class Meta:
        table = "referral_order_commission"
        unique_together = (("referral", "level"),)


class Withdrawal(Model):
    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    agent = fields.ForeignKeyField("referral.Agent", related_name="withdrawals")
    amount_minor = fields.BigIntField()  # leaves the balance
    fee_minor = fields.BigIntField(default=0)  # kept by the shop, so paid out = amount - fee
    status = fields.CharEnumField(WithdrawalStatus, max_length=8, default=WithdrawalStatus.PENDING)
    reason = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "referral_withdrawal"
        indexes = (("shop_id", "status"),)


class ProcessedEvent(Model):
    """Events without a state change to guard them (refunds) are applied once by key."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=120, unique=True)

    class Meta:
        table = "referral_processed_event"


class EntryChanged(Exception):
    """Ledger entries are append-only."""


class LedgerEntry(Model):
    """One movement between an agent's buckets. Never edited or deleted.

    The unique key (order, agent, level, kind, ref) makes a replayed event harmless. ref tells
    apart several entries of one kind, e.g. two refunds, or the withdrawal an entry belongs to.
    """

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    agent = fields.ForeignKeyField("referral.Agent", related_name="entries")
    order_id = fields.IntField(default=0)  # 0 for withdrawal entries
    order_no = fields.CharField(max_length=16, default="")
    level = fields.IntField(default=0)
    kind = fields.CharEnumField(EntryKind, max_length=12)
    ref = fields.CharField(max_length=64, default="")
    withdrawal = fields.ForeignKeyField(
        "referral.Withdrawal", null=True, related_name=False, on_delete=fields.RESTRICT
    )
    pending = fields.BigIntField(default=0)
    available = fields.BigIntField(default=0)
    held = fields.BigIntField(default=0)
    withdrawn = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "referral_ledger_entry"
        unique_together = (("order_id", "agent", "level", "kind", "ref"),)
        indexes = (("shop_id", "created_at"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise EntryChanged(self.id)
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise EntryChanged(self.id)
