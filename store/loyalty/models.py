"""Database models of loyalty: a shop's rules, its levels, members, the points ledger."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


def _money(**kw: object) -> fields.DecimalField:
    return fields.DecimalField(max_digits=12, decimal_places=2, **kw)


class PointsProgram(Model):
    """A shop's points rules. No row, or enabled false: no points are earned or spent."""

    id = fields.IntField(primary_key=True)
    shop: fields.OneToOneRelation = fields.OneToOneField("store.Shop", related_name=False)
    enabled = fields.BooleanField(default=True)
    earn_rate = fields.DecimalField(max_digits=6, decimal_places=2)  # points per 1 unit paid
    redeem_points = fields.IntField()  # points worth 1 unit of the shop's currency
    cap_percent = fields.IntField()  # at most this % of an order is paid with points
    updated_at = fields.DatetimeField()

    class Meta:
        table = "loyalty_program"


class LevelRule(Model):
    """A member level: reached at a total spend, worth a discount on every order."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Shop", related_name=False)
    name = fields.CharField(max_length=20)
    min_spend = _money()
    discount_percent = fields.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        table = "loyalty_level"
        unique_together = (("shop_id", "name"), ("shop_id", "min_spend"))


class Member(Model):
    """A person's points balance and total spend in one shop.

    The balance only changes by a conditional update in the transaction that appends the
    matching ledger entry, so it always equals the sum of the person's entries."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Shop", related_name=False)
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "store.Person", related_name="loyalty_members"
    )
    balance = fields.IntField(default=0)  # negative only after a refund reversed spent points
    # Completed orders net of refunds, in minor units: SQLite would add DECIMAL text as floats.
    total_spend_minor = fields.BigIntField(default=0)

    class Meta:
        table = "loyalty_member"
        unique_together = (("shop_id", "person_id"),)


class EntryKind(StrEnum):
    EARN = "earn"  # an order completed
    SPEND = "spend"  # paid part of an order
    RETURN = "return"  # spent points given back: order cancelled or refunded
    REVERSE = "reverse"  # earned points taken back: order refunded after completing
    ADJUST = "adjust"  # the owner corrected a balance by hand


class PointsEntry(Model):
    """Append-only. (kind, order, ref) is unique, so an event delivered twice lands once:
    ref is empty for earn and spend, the word cancel for a cancellation, the refund key for a
    refund, and a fresh token for a hand adjustment."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Shop", related_name=False)
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "store.Person", related_name="loyalty_entries"
    )
    kind = fields.CharEnumField(EntryKind, max_length=8)
    points = fields.IntField()  # signed: + credits the balance, - debits it
    order: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "store.Order", null=True, related_name=False
    )
    ref = fields.CharField(max_length=80, default="")
    note = fields.CharField(max_length=120, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "loyalty_entry"
        unique_together = (("kind", "order_id", "ref"),)
        indexes = (("shop_id", "person_id", "id"),)


class OrderPoints(Model):
    """What loyalty did for one order.

    Refunds return and reverse in proportion and cumulatively, so several partial refunds
    never drift by a point."""

    id = fields.IntField(primary_key=True)
    order: fields.OneToOneRelation = fields.OneToOneField("store.Order", related_name=False)
    shop: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Shop", related_name=False)
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "store.Person", related_name="loyalty_orders"
    )
    spent = fields.IntField(default=0)  # points paid at checkout
    refunded = _money(default=0)  # refunded so far, as applied here
    completed = fields.BooleanField(default=False)
    earned = fields.IntField(default=0)  # points credited at completion
    earn_base = _money(default=0)  # net paid at completion: what earned and spend were on
    refunded_at_completion = _money(default=0)

    class Meta:
        table = "loyalty_order"
