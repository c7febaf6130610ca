"""A scratch PostgreSQL database for referral's concurrency tests (skipped when not configured).

MICROSTORE_TEST_POSTGRES=postgres://user@host:port/db names the server; a database
test_ref_<random> is built with the real migrations for the session and dropped after.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import warnings
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from store.db import close_db, init_db, migrate

PG_ENV = "MICROSTORE_TEST_POSTGRES"


def _url(base: str, database: str, scheme: str | None = None) -> str:
    parts = urlsplit(base)
    return urlunsplit((scheme or parts.scheme, parts.netloc, "/" + database, "", ""))


async def _admin(base: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_url(base, urlsplit(base).path.lstrip("/"), "postgresql"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _build_schema(base: str, name: str, url: str) -> None:
    """The real migrations; if they fail (tests/test_migrations.py says so loudly), the schema
    from the models, so these tests still speak about referral."""
    try:
        await migrate(url)
    except Exception as exc:
        warnings.warn(
            f"migrations failed on PostgreSQL ({exc}); using the models' schema", stacklevel=1
        )
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _admin(base, f'CREATE DATABASE "{name}"')
        await init_db(url, create_schema=True)
        await close_db()


@pytest.fixture(scope="session")
def referral_pg() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"set {PG_ENV}=postgres://... to run against PostgreSQL")
    name = f"test_ref_{secrets.token_hex(4)}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        url = _url(base, name)
        asyncio.run(_build_schema(base, name, url))
        yield url
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def pg(referral_pg: str) -> AsyncIterator[str]:
    """Connected to the scratch database, every table emptied."""
    import asyncpg

    conn = await asyncpg.connect(
        _url(referral_pg, urlsplit(referral_pg).path.lstrip("/"), "postgresql")
    )
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'tortoise_migrations'"
        )
        names = ", ".join(f'"{r["tablename"]}"' for r in tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    await init_db(f"{referral_pg}?maxsize=25")
    try:
        yield referral_pg
    finally:
        await close_db()
