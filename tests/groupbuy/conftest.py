"""Group-buy tests reuse the real-database fixtures of the store core's concurrency tests."""

from __future__ import annotations

import pytest

from store.services import StoreServices
from tests.conftest import FakeClock
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    pg_admin,
    pg_backend,
    pg_database,
    pg_db,
    sqlite_template,
)


@pytest.fixture
def services(clock: FakeClock) -> StoreServices:
    return StoreServices.build(clock=clock)
