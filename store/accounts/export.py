"""A person's data export: every row of any model that references them, found by a walk of
Tortoise's metadata, with the rows that hang off those rows (an order's items, an agent's
ledger) when they don't belong to someone else too. Hashes of secrets are left out."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.models import Model

from store.accounts.refs import Ref, person_refs, refs_from, refs_to, target_of
from store.models import Person


async def export_person(person_id: int, now: datetime) -> str:
    """The export as JSON text."""
    person = await Person.filter(id=person_id).values()
    records: dict[str, list[dict[str, Any]]] = {}
    bound = {Person, *(ref.model for ref in person_refs())}
    for ref in person_refs():
        rows = [_clean(r) for r in await ref.of(person_id).order_by("id").values()]
        if not rows:
            continue
        await _attach_children(ref.model, rows, bound)
        seen = {r["id"] for r in records.get(ref.table, [])}
        records.setdefault(ref.table, []).extend(r for r in rows if r["id"] not in seen)
    data = {"generated_at": now, "person": _clean(person[0]), "records": records}
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


async def _attach_children(
    model: type[Model], rows: list[dict[str, Any]], bound: set[type[Model]]
) -> None:
    """Rows of other models pointing at `rows`, nested under each row by table name."""
    by_id = {r["id"]: r for r in rows}
    for child in refs_to(model):
        if not _own(child, bound):
            continue
        for row in await child.model.filter(**{f"{child.column}__in": list(by_id)}).values():
            parent = by_id[row[child.column]]
            parent.setdefault(child.table, []).append(_clean(row))


def _own(child: Ref, bound: set[type[Model]]) -> bool:
    """A child row is the person's when it points at nobody else: none of its other foreign
    keys leads to a person or to a row that belongs to a person."""
    return child.model not in bound and all(
        target_of(ref) not in bound for ref in refs_from(child.model) if ref.field != child.field
    )


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.endswith("_hash")}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(type(value).__name__)
