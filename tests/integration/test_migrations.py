"""The real migrations build the same schema as the models, on SQLite and on PostgreSQL.

A drift here means production (migrated) and tests (often generated) run different schemas.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from store.db import close_db, init_db, migrate

from .conftest import _create_database, _drop_database, pg_admin_url, with_database

Schema = tuple[set[tuple], set[tuple]]  # (columns, indexes)


def _sqlite_schema(path: Path) -> Schema:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "AND name != 'tortoise_migrations'"
            )
        ]
        columns: set[tuple] = set()
        indexes: set[tuple] = set()
        for table in tables:
            for _, name, ctype, notnull, _, pk in conn.execute(f'PRAGMA table_info("{table}")'):
                columns.add((table, name, ctype.upper(), bool(notnull), bool(pk)))
            for _, iname, unique, *_ in conn.execute(f'PRAGMA index_list("{table}")'):
                # An index on a name that is no column (SQLite quietly takes "shop" as a
                # string literal) shows up here as a column named None.
                cols = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{iname}")'))
                indexes.add((table, cols, bool(unique)))
        return columns, indexes
    finally:
        conn.close()


async def _pg_schema(url: str) -> Schema:
    import asyncpg

    conn = await asyncpg.connect(pg_admin_url(url))
    try:
        cols = await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name <> 'tortoise_migrations'"
        )
        idx = await conn.fetch(
            "SELECT t.relname AS tbl, i.indisunique AS uniq, ARRAY("
            "  SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)"
            "  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum"
            "  ORDER BY k.ord) AS cols "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = 'public' AND t.relname <> 'tortoise_migrations'"
        )
        columns = {
            (
                r["table_name"],
                r["column_name"],
                r["data_type"],
                r["is_nullable"],
                r["column_default"],
            )
            for r in cols
        }
        indexes = {(r["tbl"], tuple(r["cols"]), r["uniq"]) for r in idx}
        return columns, indexes
    finally:
        await conn.close()


async def _generated(url: str) -> None:
    await init_db(url, create_schema=True)
    await close_db()


def _assert_same(migrated: Schema, generated: Schema) -> None:
    m_cols, m_idx = migrated
    g_cols, g_idx = generated
    assert m_cols == g_cols, {"only migrated": m_cols - g_cols, "only models": g_cols - m_cols}
    assert m_idx == g_idx, {"only migrated": m_idx - g_idx, "only models": g_idx - m_idx}


async def test_migrated_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    await migrate(f"sqlite://{tmp_path / 'migrated.db'}")
    await _generated(f"sqlite://{tmp_path / 'generated.db'}")
    _assert_same(
        _sqlite_schema(tmp_path / "migrated.db"), _sqlite_schema(tmp_path / "generated.db")
    )


@pytest.fixture
async def two_pg_databases(pg_admin: str) -> AsyncIterator[Callable[[str], str]]:
    names: list[str] = []

    def url(role: str) -> str:
        return with_database(pg_admin, names[["migrated", "generated"].index(role)])

    for _ in range(2):
        names.append(f"test_ms_{secrets.token_hex(4)}")
        await _create_database(pg_admin, names[-1])
    try:
        yield url
    finally:
        await close_db()
        for name in names:
            await _drop_database(pg_admin, name)


async def test_migrations_apply_on_postgres_and_match_the_models(
    two_pg_databases: Callable[[str], str],
) -> None:
    await migrate(two_pg_databases("migrated"))  # raises if a migration does not apply
    await _generated(two_pg_databases("generated"))
    _assert_same(
        await _pg_schema(two_pg_databases("migrated")),
        await _pg_schema(two_pg_databases("generated")),
    )


async def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'twice.db'}"
    await migrate(url)
    before = _sqlite_schema(tmp_path / "twice.db")
    await migrate(url)
    assert _sqlite_schema(tmp_path / "twice.db") == before
