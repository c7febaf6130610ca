"""Two OS processes selling the same last ten units from one database.

PostgreSQL is the production set-up for several processes. SQLite is the embedded default,
but `microstore sweep` (cron) next to `microstore serve` is already two processes on it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from store.models import Order, OrderItem
from store.services import StoreServices

from .conftest import Db
from .script_processes import release, script_processes
from .world import StockWatch, World, make_world, stock_of, watch_stock

WORKER = Path(__file__).with_name("order_worker.py")
TIMEOUT = 30
LOCKED = "OperationalError: database is locked"


async def _finish(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def _race(db: Db, world: World) -> tuple[list[dict[str, Any]], StockWatch]:
    """Each process gets 25 of the 50 customers; both start on one signal."""
    url = f"{db.plain_url}?minsize=10&maxsize=10" if db.kind == "postgres" else db.plain_url
    specs = [
        {"url": url, "shop_id": world.shop.id, "people": half}
        for half in (world.customers[0::2], world.customers[1::2])
    ]
    async with script_processes(WORKER, specs, TIMEOUT) as procs:
        async with watch_stock(world.product.id) as watch:
            await release(procs, "go")
            results = await asyncio.gather(*(_finish(p) for p in procs))
    return list(results), watch


async def _assert_books_agree(world: World, numbers: list[str], watch: StockWatch) -> None:
    assert len(set(numbers)) == len(numbers)
    assert await stock_of(world.product.id) == 10 - len(numbers)
    assert watch.lowest >= 0, f"stock went negative: {sorted(set(watch.seen))}"
    assert sorted(await Order.all().values_list("order_no", flat=True)) == sorted(numbers)
    assert sum(await OrderItem.all().values_list("quantity", flat=True)) == len(numbers)


async def test_two_processes_sell_exactly_the_last_ten_units(
    pg_db: Db, services: StoreServices
) -> None:
    world = await make_world(services, stock=10, customers=50)

    results, watch = await _race(pg_db, world)

    assert [r["errors"] for r in results] == [[], []]
    numbers = [no for r in results for no in r["orders"]]
    assert len(numbers) == 10, results
    assert sum(r["out_of_stock"] for r in results) == 40
    await _assert_books_agree(world, numbers, watch)


async def test_two_processes_on_sqlite_never_oversell(
    sqlite_db: Db, services: StoreServices
) -> None:
    world = await make_world(services, stock=10, customers=50)

    results, watch = await _race(sqlite_db, world)

    numbers = [no for r in results for no in r["orders"]]
    assert 1 <= len(numbers) <= 10, results
    assert {e for r in results for e in r["errors"]} <= {LOCKED}, results
    await _assert_books_agree(world, numbers, watch)


async def test_two_processes_on_sqlite_answer_every_customer(
    sqlite_db: Db, services: StoreServices
) -> None:
    """A deferred BEGIN (read, then write) fails at once with "database is locked" when the
    other process wrote meanwhile - the busy timeout never applies. Writers must BEGIN
    IMMEDIATE so they queue on the busy timeout instead."""
    world = await make_world(services, stock=10, customers=50)

    results, _ = await _race(sqlite_db, world)

    assert [r["errors"] for r in results] == [[], []]
    assert sum(len(r["orders"]) for r in results) == 10
