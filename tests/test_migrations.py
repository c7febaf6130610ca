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


async def test_upgrading_a_first_release_database_keeps_its_orders(tmp_path: Path) -> None:
    """A shop on the 0001 schema, with an order in it, migrates to the head with nothing lost."""
    from tortoise.migrations.api import migrate as run_migrations

    url = f"sqlite://{tmp_path / 'old.db'}"
    await run_migrations(
        config=tortoise_config(url), app_labels=["store"], target="store.0001_initial"
    )
    conn = Tortoise.get_connection("default")
    now = "2026-01-05 12:00:00+00:00"
    await conn.execute_script(
        f"""
        INSERT INTO shop (id, slug, name, currency, locale, timezone, unpaid_timeout_minutes,
            autocomplete_days, created_at) VALUES (1, 'old', 'Old', 'CNY', 'zh_CN',
            'Asia/Shanghai', 30, 10, '{now}');
        INSERT INTO person (id, display_name, created_at) VALUES (1, 'Ann', '{now}');
        INSERT INTO "order" (id, order_no, shop_id, person_id, status, subtotal, shipping_fee,
            total, currency, contact_name, phone, address, note, payment_method, pay_deadline,
            carrier, tracking_no, cancel_reason, refund_reason, refund_rejection, refund_note,
            status_before_refund, created_at, updated_at) VALUES (1, 'OLD12345', 1, 1, 'paid',
            '30.00', '0.00', '30.00', 'CNY', 'Ann', '13800138000', 'Somewhere 1', '', 'manual',
            '{now}', '', '', '', '', '', '', '', '{now}', '{now}');
        INSERT INTO order_item (id, order_id, title, unit_price, quantity)
            VALUES (1, 1, 'Tea', '15.00', 2);
        """
    )
    await close_db()

    await migrate(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        from store.models import Order

        order = await Order.get(order_no="OLD12345").prefetch_related("items")
        assert (order.total, order.discount_total, order.refunded_amount) == (30, 0, 0)
        assert [(i.title, i.quantity, i.discount, i.refunded_quantity) for i in order.items] == [
            ("Tea", 2, 0, 0)
        ]
    finally:
        await close_db()
