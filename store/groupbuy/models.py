"""Group-buy tables. Seat counters change only by conditional updates, never read-then-write."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"


class GroupStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    FAILED = "failed"


class SeatStatus(StrEnum):
    RESERVED = "reserved"  # order placed, waiting for payment
    PAID = "paid"
    RELEASED = "released"  # unpaid order cancelled: the seat is free again
    REFUNDED = "refunded"  # paid, then refunded (group failed or the customer asked)


def _money(**kw: object) -> fields.DecimalField:
    return fields.DecimalField(max_digits=12, decimal_places=2, **kw)


class GroupCampaign(Model):
    """A merchant's offer: this product at this price when `size` people buy together."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    product = fields.ForeignKeyField("store.Product", related_name=False)
    group_price = _money()
    leader_price = _money(null=True)  # the leader's benefit, when any
    size = fields.IntField()
    group_seconds = fields.IntField()  # how long each group stays open
    pay_seconds = fields.IntField(default=900)  # payment deadline of a seat's order
    min_members = fields.IntField(null=True)  # complete with this many paid at the deadline
    per_customer = fields.IntField(default=1)
    seat_cap = fields.IntField(null=True)  # the campaign's stock cap, in seats
    seats_held = fields.IntField(default=0)  # reserved or paid seats, against seat_cap
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    status = fields.CharEnumField(CampaignStatus, max_length=8, default=CampaignStatus.ACTIVE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gb_campaign"
        indexes = (("shop_id", "status"),)


class GroupBuy(Model):
    """One group of a campaign, opened by its leader and shared by its code."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=8, unique=True)
    campaign = fields.ForeignKeyField("store.GroupCampaign", related_name="groups")
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    leader = fields.ForeignKeyField("store.Person", related_name=False)
    size = fields.IntField()
    seats_taken = fields.IntField(default=0)  # reserved + paid, never above size
    seats_paid = fields.IntField(default=0)
    status = fields.CharEnumField(GroupStatus, max_length=10, default=GroupStatus.OPEN)
    expires_at = fields.DatetimeField()
    remind_at = fields.DatetimeField()
    reminded = fields.BooleanField(default=False)
    settled = fields.BooleanField(default=False)  # every seat of a closed group dealt with
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gb_group"
        indexes = (("status", "expires_at"), ("status", "settled"), ("campaign_id", "status"))


class GroupSeat(Model):
    """A member's place in a group, with the order that pays for it."""

    id = fields.IntField(primary_key=True)
    group = fields.ForeignKeyField("store.GroupBuy", related_name="seats")
    person = fields.ForeignKeyField("store.Person", related_name=False)
    order = fields.ForeignKeyField("store.Order", related_name=False, unique=True)
    leader = fields.BooleanField(default=False)
    status = fields.CharEnumField(SeatStatus, max_length=10, default=SeatStatus.RESERVED)
    # "<group>:<person>" while the seat is held, NULL after: one held seat per person per group.
    holder = fields.CharField(max_length=24, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gb_seat"
        indexes = (("group_id", "status"), ("person_id", "status"))


class GroupQuota(Model):
    """Seats a customer holds in a campaign, counted by conditional update."""

    id = fields.IntField(primary_key=True)
    campaign = fields.ForeignKeyField("store.GroupCampaign", related_name=False)
    person = fields.ForeignKeyField("store.Person", related_name=False)
    held = fields.IntField(default=0)

    class Meta:
        table = "gb_quota"
        unique_together = (("campaign", "person"),)


class GroupCardPost(Model):
    """A chat where a group's live card was posted, so it can be edited as the group changes."""

    id = fields.IntField(primary_key=True)
    group = fields.ForeignKeyField("store.GroupBuy", related_name="cards")
    platform = fields.CharField(max_length=16)
    chat_id = fields.CharField(max_length=64)
    account = fields.CharField(max_length=64, default="")
    locale = fields.CharField(max_length=8)
    message_ref = fields.CharField(max_length=64, default="")  # the platform's message id
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gb_card"
        unique_together = (("group", "platform", "chat_id"),)
