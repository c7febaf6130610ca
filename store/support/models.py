"""Database models of support."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

MAX_MESSAGE = 1000  # characters of one ticket message
MAX_QUESTION = 200  # an FAQ entry's question
MAX_ANSWER = 1000  # an FAQ entry's answer


class TicketStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Ticket(Model):
    """One conversation between a customer and a shop, shown as T<id>.

    open_key is "<shop id>:<person id>" while the ticket is open and NULL once closed: its
    unique constraint lets a customer hold one open ticket per shop even under races.
    """

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Shop", related_name=False)
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "store.Person", related_name="tickets"
    )
    status = fields.CharEnumField(TicketStatus, max_length=8, default=TicketStatus.OPEN)
    open_key = fields.CharField(max_length=24, null=True, unique=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()  # the last message
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "support_ticket"
        indexes = (("shop_id", "status"), ("person_id", "status"))


class TicketMessage(Model):
    """One message of a ticket, from the customer or from the shop's owner or staff."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "store.Ticket", related_name="messages"
    )
    author: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Person", related_name=False)
    from_staff = fields.BooleanField()
    text = fields.CharField(max_length=MAX_MESSAGE)
    created_at = fields.DatetimeField()

    class Meta:
        table = "support_message"
        indexes = (("author_id", "created_at"),)


class FaqEntry(Model):
    """A canned answer. A shop's entries are numbered 1, 2, ... in the order they were added."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Shop", related_name=False)
    question = fields.CharField(max_length=MAX_QUESTION)
    answer = fields.CharField(max_length=MAX_ANSWER)

    class Meta:
        table = "support_faq"
        indexes = (("shop_id", "id"),)
