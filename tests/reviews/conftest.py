"""A model-built database on SQLite and PostgreSQL for the race tests."""

from tests.support.race_db import race_db  # noqa: F401 - fixture used here
