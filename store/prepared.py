"""Hot selects whose SQL is built once per database dialect, then only run with new values.

Tortoise builds a query's SQL afresh on every await (filters resolved, joins mapped, pypika
rendering): about three quarters of the client CPU of a one-row select such as the identity
read that every message starts with. A `Prepared` select is written as an ordinary queryset
built from its parameters; the first call builds it with marker values, finds where each
parameter's value lands among the SQL's bound values, and keeps the SQL. Later calls bind
the new values there and hand the SQL to Tortoise's own executor, which turns the rows into
model instances (related ones included) exactly as an awaited queryset does.

`PreparedValues` does the same for a `.values(...)` select (an aggregate, say): its rows
come back as dicts, converted as the awaited ValuesQuery converts them. `PreparedUpdate`
does it for a `.filter(...).update(...)`, and returns the number of rows it changed (or,
given a column to return, its new values).

Only str and int parameters, each used as a bound value: something that changes the
statement's shape (None, which becomes IS NULL; a list, which sizes an IN) needs its own
Prepared or an ordinary query.

This leans on Tortoise internals (`_make_query`, `_select_related_idx`, the executor's
`execute_select(sql, values)`, an update query's `_db`), one more reason tortoise-orm is
pinned below 1.2; tests/test_prepared.py holds the results to the queries' own on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from types import LambdaType
from typing import Any, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet, UpdateQuery, ValuesQuery

M = TypeVar("M", bound=Model)
P = TypeVar("P")
R = TypeVar("R")
_MARKER_INT = 1_987_654_000  # positive: limit and offset refuse negative numbers
_CONSTANT = -1


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    slots: list[tuple[int, Any]]  # per bound value: the parameter's index, or _CONSTANT and it
    select_related_idx: Any
    custom_fields: list[str]


@dataclass(frozen=True, slots=True)
class _ValuesPlan:
    sql: str
    slots: list[tuple[int, Any]]
    converters: list[tuple[str, Callable[[Any], Any]]]


@dataclass(frozen=True, slots=True)
class _UpdatePlan:
    sql: str
    slots: list[tuple[int, Any]]


def _check(params: tuple[object, ...]) -> None:
    for p in params:
        if isinstance(p, bool) or not isinstance(p, str | int):
            raise TypeError(f"a prepared select takes str and int values, not {p!r}")


def _marker(n: int, sample: object) -> str | int:
    return f"\x00prepared-{n}\x00" if isinstance(sample, str) else _MARKER_INT + n


class _Statement(ABC, Generic[P]):
    """What every kind shares: the plan per dialect, made on first use."""

    def __init__(self, model: type[Model], shape: Callable[..., Any]) -> None:
        self.model = model
        self.shape = shape
        self._plans: dict[str, P] = {}

    def _db_and_plan(self, params: tuple[str | int, ...]) -> tuple[Any, P]:
        _check(params)
        db = self.model._meta.db  # the current transaction's connection inside one
        plan = self._plans.get(db.capabilities.dialect)
        if plan is None:
            plan = self._plans[db.capabilities.dialect] = self._plan(db, params)
        return db, plan

    @abstractmethod
    def _plan(self, db: Any, params: tuple[str | int, ...]) -> P: ...


class _Select(_Statement[P], Generic[P, R]):
    @abstractmethod
    async def all(self, *params: str | int) -> list[R]: ...

    async def first(self, *params: str | int) -> R | None:
        rows = await self.all(*params)
        return rows[0] if rows else None


class Prepared(_Select[_Plan, M]):
    """A select of model instances (with their select_related ones)."""

    def __init__(self, model: type[M], shape: Callable[..., QuerySet[M]]) -> None:
        super().__init__(model, shape)

    async def all(self, *params: str | int) -> list[M]:
        db, plan = self._db_and_plan(params)
        executor = db.executor_class(
            model=self.model, db=db, select_related_idx=plan.select_related_idx
        )
        return await executor.execute_select(
            plan.sql, _bind(params, plan.slots), custom_fields=plan.custom_fields
        )

    def _plan(self, db: Any, params: tuple[str | int, ...]) -> _Plan:
        query = self.shape(*_markers(params)).using_db(db)
        query._make_query()
        sql, slots = _sql_and_slots(query, params)
        return _Plan(sql, slots, query._select_related_idx, list(query._annotations))


class PreparedValues(_Select[_ValuesPlan, dict[str, Any]]):
    """A `.values(...)` select, an aggregate say: rows as dicts."""

    def __init__(self, model: type[Model], shape: Callable[..., ValuesQuery[Any]]) -> None:
        super().__init__(model, shape)

    async def all(self, *params: str | int) -> list[dict[str, Any]]:
        db, plan = self._db_and_plan(params)
        rows = await db.execute_query_dict(plan.sql, _bind(params, plan.slots))
        for row in rows:
            for column, to_python in plan.converters:
                row[column] = to_python(row[column])
        return rows

    def _plan(self, db: Any, params: tuple[str | int, ...]) -> _ValuesPlan:
        query = self.shape(*_markers(params))
        query._make_query()
        sql, slots = _sql_and_slots(query, params)
        converters = [  # as ValuesQuery converts: its lambdas pass values through unchanged
            (alias, convert)
            for alias, field in query._fields_for_select.items()
            if not isinstance(
                convert := query.resolve_to_python_value(self.model, field), LambdaType
            )
        ]
        return _ValuesPlan(sql, slots, converters)


class PreparedUpdate(_Statement[_UpdatePlan]):
    """A conditional update (`stock = stock - n WHERE stock >= n`): how many rows it changed,
    or with `returning`, that column's new value in each row it changed."""

    def __init__(
        self, model: type[Model], shape: Callable[..., UpdateQuery], returning: str | None = None
    ) -> None:
        super().__init__(model, shape)
        self.returning = returning

    async def run(self, *params: str | int) -> int:
        db, plan = self._db_and_plan(params)
        return (await db.execute_query(plan.sql, _bind(params, plan.slots)))[0]

    async def returned(self, *params: str | int) -> list[Any]:
        """The `returning` column of each changed row (UPDATE ... RETURNING)."""
        db, plan = self._db_and_plan(params)
        rows = await db.execute_query_dict(plan.sql, _bind(params, plan.slots))
        return [row[self.returning] for row in rows]

    def _plan(self, db: Any, params: tuple[str | int, ...]) -> _UpdatePlan:
        query = self.shape(*_markers(params))
        query._db = db
        query._make_query()
        sql, slots = _sql_and_slots(query, params)
        if self.returning is not None:  # PostgreSQL and SQLite >= 3.35 both say it so
            sql += f' RETURNING "{self.returning}"'
        return _UpdatePlan(sql, slots)


def _markers(params: tuple[str | int, ...]) -> list[str | int]:
    return [_marker(n, p) for n, p in enumerate(params)]


def _sql_and_slots(query: Any, params: tuple[str | int, ...]) -> tuple[str, list[tuple[int, Any]]]:
    sql, values = query.query.get_parameterized_sql()
    where = {(type(m), m): n for n, m in enumerate(_markers(params))}
    slots = [(where.get((type(v), v), _CONSTANT), v) for v in values]
    missing = set(range(len(params))) - {n for n, _ in slots}
    if missing:  # a parameter the statement does not bind as given would be ignored
        raise TypeError(f"parameters {sorted(missing)} are not bound values of the statement")
    return sql, slots


def _bind(params: tuple[str | int, ...], slots: list[tuple[int, Any]]) -> list[Any]:
    return [params[i] if i != _CONSTANT else value for i, value in slots]
