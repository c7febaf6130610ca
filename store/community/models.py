"""Subscriptions, tags, broadcasts and their per-recipient deliveries."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class SubscriptionStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"  # said /unsubscribe
    BLOCKED = "blocked"  # the platform refused delivery (blocked the bot, unfollowed)


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until lease_until
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    SKIPPED = "skipped"  # unsubscribed meanwhile, outside the platform's window, no sender


class Subscription(Model):
    """A platform identity in a shop's community, with when it last talked to us."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    identity = fields.ForeignKeyField("store.Identity", related_name=False)
    status = fields.CharEnumField(
        SubscriptionStatus, max_length=16, default=SubscriptionStatus.SUBSCRIBED
    )
    # The last private message: WeChat allows customer-service messages for 48 hours after it.
    last_seen_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_subscription"
        unique_together = (("shop", "identity"),)
        indexes = (("shop_id", "status", "id"),)


class CustomerTag(Model):
    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    person = fields.ForeignKeyField("store.Person", related_name=False)
    tag = fields.CharField(max_length=32)

    class Meta:
        table = "community_tag"
        unique_together = (("shop", "person", "tag"),)
        indexes = (("shop_id", "tag"),)


class Broadcast(Model):
    """A message to a segment of a shop's community, sent at a paced rate."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    created_by = fields.ForeignKeyField("store.Person", related_name=False)
    segment = fields.CharField(max_length=64)
    text = fields.TextField()
    image_url = fields.CharField(max_length=500, null=True)
    # Button rows as [[label, payload], ...] (a product card's "View" button).
    buttons = fields.JSONField(default=list)
    status = fields.CharEnumField(BroadcastStatus, max_length=12, default=BroadcastStatus.DRAFT)
    scheduled_at = fields.DatetimeField(null=True)
    # The audience is copied into deliveries page by page, after this source row id.
    audience_cursor = fields.IntField(default=0)
    audience_done = fields.BooleanField(default=False)
    total = fields.IntField(default=0)
    # Rows claimed by a sender that died: sent again, so possibly received twice.
    recovered = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "community_broadcast"
        indexes = (("status", "scheduled_at"), ("shop_id", "id"))


class Delivery(Model):
    """One recipient of one broadcast: a person's private chat or a bound group."""

    id = fields.IntField(primary_key=True)
    broadcast = fields.ForeignKeyField("store.Broadcast", related_name=False)
    identity = fields.ForeignKeyField("store.Identity", null=True, related_name=False)
    platform = fields.CharField(max_length=16)
    chat_id = fields.CharField(max_length=64)
    is_group = fields.BooleanField(default=False)
    status = fields.CharEnumField(DeliveryStatus, max_length=8, default=DeliveryStatus.PENDING)
    claim = fields.CharField(max_length=32, default="")
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    error = fields.CharField(max_length=200, default="")
    sent_at = fields.DatetimeField(null=True)
    via = fields.CharField(max_length=12, default="", db_default="")  # WeChat: custom or template
    # The platform's id of the sent message (a WeChat template msgid), for its later report.
    external_id = fields.CharField(max_length=32, default="", db_default="")

    class Meta:
        table = "community_delivery"
        unique_together = (("broadcast", "platform", "chat_id"),)
        indexes = (("broadcast_id", "status", "id"), ("platform", "external_id"))


class MassSendStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed until lease_until: the request may be on its way
    SUBMITTED = "submitted"  # the platform accepted it; its report comes later
    FINISHED = "finished"  # the report came: counts below
    FAILED = "failed"  # refused (no quota left, ...) or cancelled before it went


class MassSend(Model):
    """One follower-wide send of a broadcast on one channel (a WeChat account).

    The platform delivers it to every follower itself, so it is one unit here, not a row per
    person.
    client_msg_id is fixed at creation, so a send repeated after a crash is recognised by
    the platform as the same one."""

    id = fields.IntField(primary_key=True)
    broadcast = fields.ForeignKeyField("store.Broadcast", related_name=False)
    platform = fields.CharField(max_length=16)
    channel = fields.CharField(max_length=32)
    client_msg_id = fields.CharField(max_length=64)
    status = fields.CharEnumField(MassSendStatus, max_length=10, default=MassSendStatus.PENDING)
    claim = fields.CharField(max_length=32, default="")
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    msg_id = fields.CharField(max_length=32, default="")
    error = fields.CharField(max_length=200, default="")
    # The platform's report: its status word and counts (WeChat's MASSSENDJOBFINISH).
    job_status = fields.CharField(max_length=64, default="")
    total_count = fields.IntField(default=0)
    sent_count = fields.IntField(default=0)
    error_count = fields.IntField(default=0)
    filter_count = fields.IntField(default=0)
    submitted_at = fields.DatetimeField(null=True)
    reported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "community_mass_send"
        unique_together = (("broadcast", "platform", "channel"),)
        indexes = (("platform", "channel", "msg_id"),)


class CommunitySettings(Model):
    """A shop's community preferences: the quiet hours (local) when scheduled sends wait."""

    id = fields.IntField(primary_key=True)
    shop = fields.OneToOneField("store.Shop", related_name=False)
    quiet_start = fields.IntField(default=22)  # hour of day, shop's time zone
    quiet_end = fields.IntField(default=8)  # equal to quiet_start: no quiet hours

    class Meta:
        table = "community_settings"
