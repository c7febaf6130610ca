"""The points ledger: every change of a balance is one appended entry plus one conditional
UPDATE of the member row, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F

from store.loyalty.models import EntryKind, Member, PointsEntry
from store.loyalty.rules import InsufficientPoints


async def member(shop_id: int, person_id: int) -> Member:
    """The person's member row in the shop, created at zero on first use."""
    row, _ = await Member.get_or_create(shop_id=shop_id, person_id=person_id)
    return row


async def post(
    shop_id: int,
    person_id: int,
    kind: EntryKind,
    points: int,
    now: datetime,
    *,
    order_id: int | None = None,
    ref: str = "",
    note: str = "",
    guard: bool = False,
) -> None:
    """Append an entry and move the balance by `points`; call inside a transaction.

    The entry goes first: its unique (kind, order, ref) refuses a repeated event with an
    IntegrityError before anything moved. `guard`: refuse (InsufficientPoints) a debit the
    balance does not cover, decided by the UPDATE's WHERE, so racing spends never overdraw.
    """
    await PointsEntry.create(
        shop_id=shop_id,
        person_id=person_id,
        kind=kind,
        points=points,
        order_id=order_id,
        ref=ref,
        note=note[:120],
        created_at=now,
    )
    row = await member(shop_id, person_id)
    query = Member.filter(id=row.id)
    if guard:
        query = query.filter(balance__gte=-points)
    if not await query.update(balance=F("balance") + points):
        raise InsufficientPoints(balance=row.balance, wanted=-points)
