"""A fresh database built from the models, on SQLite and on PostgreSQL, for race tests.

Built from the models rather than the migrations so the reviews and support tables exist
whatever migration state the tree is in. PostgreSQL runs when MICROSTORE_TEST_POSTGRES is set.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from store.db import close_db, init_db
from tests.integration.conftest import (
    PG_ENV,
    PG_POOL,
    PG_SKIP,
    _create_database,
    _drop_database,
    with_database,
)


@pytest.fixture(params=["sqlite", "postgres"])
async def race_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        await init_db(f"sqlite://{tmp_path / 'races.db'}", create_schema=True)
        try:
            yield "sqlite"
        finally:
            await close_db()
        return
    async with models_on_postgres("test_ms"):
        yield "postgres"


@asynccontextmanager
async def models_on_postgres(prefix: str) -> AsyncIterator[None]:
    """A scratch PostgreSQL database `<prefix>_<random>` built from the models, initialised
    with a pool of 20, dropped afterwards; the test skips without MICROSTORE_TEST_POSTGRES."""
    admin = os.environ.get(PG_ENV)
    if not admin:
        pytest.skip(PG_SKIP)
    name = f"{prefix}_{secrets.token_hex(4)}"
    await _create_database(admin, name)
    try:
        await init_db(f"{with_database(admin, name)}?{PG_POOL}", create_schema=True)
        yield
    finally:
        await close_db()
        await _drop_database(admin, name)
