"""Database models of accounts: one-time codes typed in chat and data-export links."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CodePurpose(StrEnum):
    LINK = "link"  # /link: join another identity to this person
    ERASE = "erase"  # /deleteme: confirm the erasure


class AccountCode(Model):
    """A short code a person types in chat.

    Only its SHA-256 is stored, it expires and it is used once (a guarded update on used_at)."""

    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    purpose = fields.CharEnumField(CodePurpose, max_length=8)
    person = fields.ForeignKeyField("store.Person", related_name=False)
    identity = fields.ForeignKeyField("store.Identity", related_name=False)  # who asked
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_code"
        indexes = (("person_id", "purpose"),)


class ExportLink(Model):
    """A one-time download link of a person's data export (login-link mechanism)."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    person = fields.ForeignKeyField("store.Person", related_name=False)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_export_link"
