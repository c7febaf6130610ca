"""Fault tests reuse the real-database fixtures of the store core's concurrency tests."""

from __future__ import annotations

from tests.integration.conftest import (  # noqa: F401  (fixtures)
    pg_admin,
    pg_backend,
    pg_database,
    pg_db,
)
