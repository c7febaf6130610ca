"""Real-database fixtures for the store core's concurrency tests.

Backends are chosen by environment variables, never guessed:

- ``MICROSTORE_TEST_POSTGRES=postgres://user@host:port/db`` — a scratch database
  ``test_ms_<random>`` is created next to the given one for the test session, built with
  the real migrations (``store.db.migrate``) and dropped at the end. Every test starts
  from empty tables (TRUNCATE ... RESTART IDENTITY).
- ``MICROSTORE_TEST_REDIS=redis://host:port/db`` — every test uses its own key prefix and
  deletes its keys afterwards.

SQLite needs nothing: one temporary file is migrated per session and copied per test.

If the real migrations fail on PostgreSQL the schema is built from the models instead, so
the concurrency tests still say something; ``test_migrations.py`` fails loudly in that case.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from store.db import close_db, init_db, migrate
from store.events import OrderEvent
from store.services import StoreServices

PG_ENV = "MICROSTORE_TEST_POSTGRES"
REDIS_ENV = "MICROSTORE_TEST_REDIS"
PG_SKIP = f"set {PG_ENV}=postgres://... to run against PostgreSQL"
REDIS_SKIP = f"set {REDIS_ENV}=redis://... to run against Redis"

# Enough pooled connections, opened up front, for real concurrency (tortoise defaults: 1..5).
PG_POOL = "minsize=20&maxsize=20"


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))


def pg_admin_url(url: str) -> str:
    """asyncpg does not know the ``postgres://`` tortoise spelling's query options."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, "", ""))


# -- the clock and the event collector ----------------------------------------------------
@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class EventLog:
    events: list[OrderEvent] = field(default_factory=list)

    async def __call__(self, event: OrderEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[OrderEvent]) -> list[OrderEvent]:
        return [e for e in self.events if type(e) is kind]


# -- PostgreSQL ----------------------------------------------------------------------------
@dataclass
class PgDatabase:
    url: str  # tortoise URL of the scratch database, no options
    name: str
    migration_error: BaseException | None


async def _create_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg_admin_url(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg_admin_url(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _build_pg_schema(admin_url: str, name: str, url: str) -> BaseException | None:
    try:
        await migrate(url)
        return None
    except Exception as exc:  # the migrations are broken: say so, and build from models
        await _drop_database(admin_url, name)
        await _create_database(admin_url, name)
        await init_db(url, create_schema=True)
        await close_db()
        return exc


@pytest.fixture(scope="session")
def pg_admin() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    return url


@pytest.fixture(scope="session")
def pg_database(pg_admin: str) -> Iterator[PgDatabase]:
    name = f"test_ms_{secrets.token_hex(4)}"
    url = with_database(pg_admin, name)
    asyncio.run(_create_database(pg_admin, name))
    try:
        error = asyncio.run(_build_pg_schema(pg_admin, name, url))
        if error is not None:
            warnings.warn(
                f"store.db.migrate failed on PostgreSQL ({error}); the concurrency tests use "
                "a schema generated from the models instead",
                stacklevel=1,
            )
        yield PgDatabase(url=url, name=name, migration_error=error)
    finally:
        asyncio.run(_drop_database(pg_admin, name))


async def _truncate(url: str) -> None:
    """Empty every table (tortoise's migration record excepted) and restart the ids."""
    import asyncpg

    conn = await asyncpg.connect(pg_admin_url(url))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'tortoise_migrations'"
        )
        names = ", ".join(f'"{r["tablename"]}"' for r in tables)
        if names:
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


# -- SQLite --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(migrate(f"sqlite://{path}"))
    return path


# -- the database a test runs on -----------------------------------------------------------
@dataclass
class Db:
    kind: str  # "sqlite" | "postgres"
    url: str  # the URL the test process connects with (options included)
    plain_url: str  # without pool options, for other processes


@dataclass
class Backend:
    """A backend made ready synchronously (session fixtures run ``asyncio.run``)."""

    kind: str
    pg: PgDatabase | None = None
    sqlite_template: Path | None = None


def _backend(kind: str, request: pytest.FixtureRequest) -> Backend:
    if kind == "postgres":
        return Backend(kind, pg=request.getfixturevalue("pg_database"))
    return Backend(kind, sqlite_template=request.getfixturevalue("sqlite_template"))


@pytest.fixture(params=["sqlite", "postgres"])
def any_backend(request: pytest.FixtureRequest) -> Backend:
    return _backend(request.param, request)


@pytest.fixture
def pg_backend(request: pytest.FixtureRequest) -> Backend:
    return _backend("postgres", request)


@pytest.fixture
def sqlite_backend(request: pytest.FixtureRequest) -> Backend:
    return _backend("sqlite", request)


async def _open(backend: Backend, tmp_path: Path) -> Db:
    if backend.pg is not None:
        await _truncate(backend.pg.url)
        db = Db("postgres", f"{backend.pg.url}?{PG_POOL}", backend.pg.url)
    else:
        assert backend.sqlite_template is not None
        path = tmp_path / "store.db"
        shutil.copyfile(backend.sqlite_template, path)
        url = f"sqlite://{path}"
        db = Db("sqlite", url, url)
    await init_db(db.url)
    return db


@pytest.fixture
async def any_db(any_backend: Backend, tmp_path: Path) -> AsyncIterator[Db]:
    """The test runs once on SQLite and once on PostgreSQL (skipped when not configured)."""
    db = await _open(any_backend, tmp_path)
    try:
        yield db
    finally:
        await close_db()


@pytest.fixture
async def pg_db(pg_backend: Backend, tmp_path: Path) -> AsyncIterator[Db]:
    db = await _open(pg_backend, tmp_path)
    try:
        yield db
    finally:
        await close_db()


@pytest.fixture
async def sqlite_db(sqlite_backend: Backend, tmp_path: Path) -> AsyncIterator[Db]:
    db = await _open(sqlite_backend, tmp_path)
    try:
        yield db
    finally:
        await close_db()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(clock: FakeClock) -> StoreServices:
    return StoreServices.build(clock=clock)


@pytest.fixture
def events(services: StoreServices) -> EventLog:
    log = EventLog()
    services.bus.subscribe(OrderEvent, log)  # the bus walks the MRO: every order event
    return log


# -- Redis ---------------------------------------------------------------------------------
@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(REDIS_SKIP)
    return url


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    from redis.asyncio import Redis

    prefix = f"mstest:{secrets.token_hex(6)}:"
    yield prefix
    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
