"""PostgreSQL fixtures for the loyalty concurrency tests, borrowed from tests/integration.

The scratch database is built from the models rather than the migrations, so these tests do
not wait for the migration of loyalty's tables (tests/integration/test_migrations.py checks
the migrations themselves).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import pytest

from store.db import close_db, init_db
from store.services import StoreServices
from tests.integration.conftest import (
    FakeClock,
    PgDatabase,
    _create_database,
    _drop_database,
    pg_admin,
    pg_backend,
    pg_db,
    with_database,
)

__all__ = ["pg_admin", "pg_backend", "pg_database", "pg_db", "pg_services"]


@pytest.fixture(scope="session")
def pg_database(pg_admin: str) -> Iterator[PgDatabase]:
    name = f"test_ms_{secrets.token_hex(4)}"
    url = with_database(pg_admin, name)
    asyncio.run(_create_database(pg_admin, name))

    async def build() -> None:
        await init_db(url, create_schema=True)
        await close_db()

    try:
        asyncio.run(build())
        yield PgDatabase(url=url, name=name, migration_error=None)
    finally:
        asyncio.run(_drop_database(pg_admin, name))


@pytest.fixture
def pg_services() -> StoreServices:
    return StoreServices.build(clock=FakeClock())
