"""Models of the merchant dashboard: one-time login links sent in chat."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class LoginToken(Model):
    """A login link: only its SHA-256 is stored, it expires and it is redeemed once."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    shop: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Shop", related_name=False)
    person: fields.ForeignKeyRelation = fields.ForeignKeyField("store.Person", related_name=False)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "dashboard_login_token"
