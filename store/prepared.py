"""Hot selects whose SQL is built once per database dialect, then only run with new values.

Tortoise builds a query's SQL afresh on every await (filters resolved, joins mapped, pypika
rendering): about three quarters of the client CPU of a one-row select such as the identity
read that every message starts with. A `Prepared` select is written as an ordinary queryset
built from its parameters; the first call builds it with marker values, finds where each
parameter's value lands among the SQL's bound values, and keeps the SQL. Later calls bind
the new values there and hand the SQL to Tortoise's own executor, which turns the rows into
model instances (related ones included) exactly as an awaited queryset does.

Only str and int parameters, each used as a bound value: something that changes the
statement's shape (None, which becomes IS NULL; a list, which sizes an IN) needs its own
Prepared or an ordinary query.

This leans on Tortoise internals (`_make_query`, `_select_related_idx`, the executor's
`execute_select(sql, values)`), one more reason tortoise-orm is pinned below 1.2;
tests/test_prepared.py holds the rows to the queryset's on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)
_MARKER_INT = 1_987_654_000  # positive: limit and offset refuse negative numbers
_CONSTANT = -1


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    slots: list[tuple[int, Any]]  # per bound value: the parameter's index, or _CONSTANT and it
    select_related_idx: Any
    custom_fields: list[str]


def _check(params: tuple[object, ...]) -> None:
    for p in params:
        if isinstance(p, bool) or not isinstance(p, str | int):
            raise TypeError(f"a prepared select takes str and int values, not {p!r}")


def _marker(n: int, sample: object) -> str | int:
    return f"\x00prepared-{n}\x00" if isinstance(sample, str) else _MARKER_INT + n


class Prepared(Generic[M]):
    def __init__(self, model: type[M], shape: Callable[..., QuerySet[M]]) -> None:
        self.model = model
        self.shape = shape
        self._plans: dict[str, _Plan] = {}

    async def all(self, *params: str | int) -> list[M]:
        _check(params)
        db = self.model._meta.db  # the current transaction's connection inside one
        plan = self._plans.get(db.capabilities.dialect)
        if plan is None:
            plan = self._plans[db.capabilities.dialect] = self._plan(db, params)
        values = [params[i] if i != _CONSTANT else value for i, value in plan.slots]
        executor = db.executor_class(
            model=self.model, db=db, select_related_idx=plan.select_related_idx
        )
        return await executor.execute_select(plan.sql, values, custom_fields=plan.custom_fields)

    async def first(self, *params: str | int) -> M | None:
        rows = await self.all(*params)
        return rows[0] if rows else None

    def _plan(self, db: Any, params: tuple[str | int, ...]) -> _Plan:
        markers = [_marker(n, p) for n, p in enumerate(params)]
        query = self.shape(*markers).using_db(db)
        query._make_query()
        sql, values = query.query.get_parameterized_sql()
        where = {(type(m), m): n for n, m in enumerate(markers)}
        slots = [(where.get((type(v), v), _CONSTANT), v) for v in values]
        missing = set(range(len(markers))) - {n for n, _ in slots}
        if missing:  # a parameter the statement does not bind as given would be ignored
            raise TypeError(f"parameters {sorted(missing)} are not bound values of the select")
        return _Plan(sql, slots, query._select_related_idx, list(query._annotations))
