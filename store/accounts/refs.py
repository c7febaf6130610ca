"""Where a person is referenced, read from Tortoise's metadata: every model of every app with
a foreign key to store.Person, so tables added later are covered without a list to keep."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tortoise import Tortoise
from tortoise.models import Model

from store.models import Person


@dataclass(frozen=True, slots=True)
class Ref:
    """`model.field` points at a row of another model, stored in column `column`."""

    model: type[Model]
    field: str
    column: str

    @property
    def table(self) -> str:
        return str(self.model._meta.db_table)

    def of(self, row_id: int) -> Any:
        return self.model.filter(**{self.column: row_id})

    def unique_keys(self) -> list[tuple[str, ...]]:
        """The other columns of every unique constraint this column is part of; () when the
        column is unique on its own (one-to-one)."""
        meta = self.model._meta
        keys: list[tuple[str, ...]] = [()] if meta.fields_map[self.field].unique else []
        for group in meta.unique_together:
            columns = tuple(_column(self.model, name) for name in group)
            if self.column in columns:
                keys.append(tuple(c for c in columns if c != self.column))
        return keys


def all_models() -> Iterator[type[Model]]:
    for models in Tortoise.apps.values():
        yield from models.values()


def refs_to(target: type[Model]) -> list[Ref]:
    """Every foreign key (or one-to-one) of any model pointing at `target`."""
    return [ref for model in all_models() for ref in refs_from(model) if target_of(ref) is target]


def refs_from(model: type[Model]) -> list[Ref]:
    meta = model._meta
    return [
        Ref(model, name, meta.fields_map[name].source_field)
        for name in sorted(meta.fk_fields | meta.o2o_fields)
    ]


def person_refs() -> list[Ref]:
    return refs_to(Person)


def target_of(ref: Ref) -> type[Model]:
    return ref.model._meta.fields_map[ref.field].related_model  # type: ignore[no-any-return]


def _column(model: type[Model], name: str) -> str:
    field = model._meta.fields_map.get(name)
    return str(getattr(field, "source_field", None) or name)
