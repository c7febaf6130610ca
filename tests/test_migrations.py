"""The committed migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from store.db import close_db, migrate, tortoise_config


async def test_models_have_no_unmigrated_changes() -> None:
    config = tortoise_config("sqlite://:memory:")
    await Tortoise.init(config=config)
    try:
        detector = MigrationAutodetector(Tortoise.apps, config["apps"])
        writers = await detector.changes()
        assert [w.name for w in writers] == [], (
            "run: tortoise -c store.db.TORTOISE_ORM makemigrations"
        )
    finally:
        await close_db()


async def test_migrations_apply_to_a_fresh_database_and_twice(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'fresh.db'}"
    await migrate(url)
    await migrate(url)  # nothing left to apply: a no-op, not an error
    await Tortoise.init(config=tortoise_config(url))
    try:
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
        tables = {r["name"] for r in rows}
        assert {"shop", "person", "identity", "product", "order", "order_item", "payment"} <= tables
    finally:
        await close_db()
