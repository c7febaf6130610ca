"""Database models of reviews."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

MAX_REVIEW_TEXT = 500  # characters, for a review and for the merchant's reply


class Review(Model):
    """A buyer's rating of one item of a completed order: the item is unique, so once per item.

    Hidden reviews stay stored but are left out of lists and of the product's average.
    """

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Shop", related_name=False)
    product: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "store.Product", related_name="reviews"
    )
    order_item: fields.OneToOneRelation = fields.OneToOneField(
        "store.OrderItem", related_name="review"
    )
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "store.Person", related_name="reviews"
    )
    stars = fields.SmallIntField()
    text = fields.CharField(max_length=MAX_REVIEW_TEXT, default="")
    hidden = fields.BooleanField(default=False)
    reply = fields.CharField(max_length=MAX_REVIEW_TEXT, default="")
    replied_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "review"
        indexes = (("product_id", "hidden"),)
