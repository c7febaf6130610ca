"""Database set-up: one Tortoise config for SQLite (WAL, busy timeout) or PostgreSQL; and
`transaction()`, the one way microstore opens a transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import DBConnectionError
from tortoise.transactions import in_transaction

from store.errors import Unavailable

MODEL_MODULES = {
    "store": [
        "store.models",
        "store.dashboard_models",
        "store.community.models",
        "store.groupbuy.models",
        "store.promotions.models",
        "store.loyalty.models",
        "store.reviews.models",
        "store.support.models",
        "store.accounts.models",
    ],
    "referral": ["referral.models"],
}
MIGRATIONS = {"store": "store.migrations", "referral": "referral.migrations"}


def is_connection_failure(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) means the database, or another backing service
    (`Unavailable`), could not be reached: nothing was changed, and trying later may work."""
    import asyncpg

    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, OSError | TimeoutError | DBConnectionError | Unavailable) or isinstance(
            seen,
            asyncpg.exceptions.ConnectionDoesNotExistError
            | asyncpg.exceptions.CannotConnectNowError
            | asyncpg.exceptions.InterfaceError
            | asyncpg.exceptions.AdminShutdownError,
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite://") and ":memory:" not in url and "busy_timeout" not in url:
        url += ("&" if "?" in url else "?") + "busy_timeout=5000"
    return url


async def _keep_session(connection: Any) -> None:
    """asyncpg's pool runs `RESET ALL; UNLISTEN *; ...` whenever a connection goes back, a
    round trip after every query outside a transaction. The app never changes session state
    (no SET, LISTEN, advisory locks), and asyncpg still rolls back an open transaction before
    calling this, so nothing is left to reset."""


def connection_config(url: str) -> dict[str, Any]:
    url = normalise_url(url)
    config = expand_db_url(url)
    if url.startswith("sqlite://"):
        config["engine"] = "store.sqlite_engine"  # BEGIN IMMEDIATE: safe across processes
    else:
        config["credentials"]["reset"] = _keep_session
    return config


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(url)},
        "apps": {
            label: {
                "models": modules,
                "default_connection": "default",
                "migrations": MIGRATIONS[label],
            }
            for label, modules in MODEL_MODULES.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(url: str, *, create_schema: bool = False) -> None:
    """Connect. `create_schema` builds tables straight from models (tests on fresh databases)."""
    # Tortoise caches each model's INSERT per connection *name* ("default"), whatever the
    # backend: a process that connected to SQLite before (tests, benchmarks) would send `?`
    # placeholders to PostgreSQL. A new connection starts with a new cache.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    if create_schema:
        await Tortoise.generate_schemas(safe=True)


def in_a_transaction() -> bool:
    """Whether this task's statements run in a transaction it holds open."""
    try:
        return isinstance(connections.get("default"), TransactionalDBClient)
    except RuntimeError:  # no database at all (copies used on their own)
        return False


# What to do once the transaction this task is in commits (None: not in one of ours).
_ON_COMMIT: ContextVar[list[Callable[[], None]] | None] = ContextVar("on_commit", default=None)


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """Tortoise's `in_transaction()` (a savepoint inside another), which also runs what
    `on_commit` was given once the outermost one commits; never when any of them rolls back.
    The block commits by ending, and rolls back by raising."""
    outer = _ON_COMMIT.get()
    mine: list[Callable[[], None]] = []
    token = _ON_COMMIT.set(mine)
    try:
        async with in_transaction():
            yield
    finally:
        _ON_COMMIT.reset(token)
    if outer is not None:  # a savepoint released: the outer transaction may still roll back
        outer.extend(mine)
        return
    for then in mine:
        then()


def on_commit(then: Callable[[], None]) -> None:
    """Run `then` now outside a transaction, or once this task's transaction commits. In a
    transaction not opened by `transaction()` it is never run (it can't be known to commit)."""
    if not in_a_transaction():
        then()
    elif (pending := _ON_COMMIT.get()) is not None:
        pending.append(then)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(url: str) -> None:
    """Apply every migration that has not run yet (tortoise's own migration engine)."""
    from tortoise.migrations.api import migrate as run_migrations

    try:
        await run_migrations(config=tortoise_config(url))
    finally:
        await Tortoise.close_connections()


# For the `tortoise makemigrations` developer command (see CONTRIBUTING in README).
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
