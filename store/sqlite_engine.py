"""SQLite shared by several processes: write transactions take the write lock when they begin.

With SQLite's default deferred BEGIN, a transaction that reads and then writes fails at once
with "database is locked" when another process committed in between (the busy timeout does
not apply to that upgrade). BEGIN IMMEDIATE waits for the lock instead, up to busy_timeout.

Times are written in UTC. SQLite keeps them as text and compares them as text, so a bound
in the shop's zone (local midnight, 00:00+08:00) against stored UTC (+00:00) would put
everything from local midnight to 08:00 on the day before: "today" on the dashboard, a date
filter, a daily withdrawal maximum. Tortoise's adapter writes a datetime as it is; this one,
registered after it, writes an aware one in UTC first.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


def _utc_text(value: datetime) -> str:
    return (value.astimezone(UTC) if value.tzinfo else value).isoformat(" ")


sqlite3.register_adapter(datetime, _utc_text)


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient


def get_client_class(db_info: dict[str, Any]) -> type[SqliteClient]:
    return ImmediateSqliteClient
