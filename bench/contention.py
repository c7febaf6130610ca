"""Contention: many customers ordering one hot product at once.

    python bench/contention.py                       # SQLite and PostgreSQL, 1 and 2 processes
    python bench/contention.py --backend sqlite --processes 1 --customers 600 --stock 400

Reports successful orders per second, and the oversell count, which must always be 0:
orders placed beyond the stock, or a stock that went negative.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fresh_database, save, table
from store.catalog import NewProduct
from store.db import close_db, init_db, migrate
from store.errors import OutOfStock
from store.models import Order, Product
from store.orders import Contact
from store.services import StoreServices

CONTACT = Contact("Bench Buyer", "13800138000", "1 Benchmark Road, Hangzhou")


async def setup(url: str, customers: int, stock: int) -> tuple[int, list[int]]:
    await migrate(url)
    await init_db(url)
    services = StoreServices.build()
    owner = await services.people.identify("bench", "owner")
    shop = await services.shops.create("Bench", await services.people.person(owner.person_id))  # type: ignore[attr-defined]
    product = await services.catalog.add_product(
        shop.id, NewProduct(title="Hot item", price=Decimal("9.90"), stock=stock)
    )
    people = []
    for i in range(customers):
        ident = await services.people.identify("bench", f"c{i}")
        await services.carts.add(ident.person_id, shop.id, product.id, 1)  # type: ignore[attr-defined]
        people.append(ident.person_id)  # type: ignore[attr-defined]
    await close_db()
    return shop.id, people


async def worker(
    url: str, shop_id: int, people: list[int], concurrency: int, start_at: float
) -> dict:
    await init_db(url)
    services = StoreServices.build()
    gate = asyncio.Semaphore(concurrency)
    ok = sold_out = errors = 0

    async def one(person_id: int) -> None:
        nonlocal ok, sold_out, errors
        async with gate:
            try:
                await services.orders.place(person_id, shop_id, CONTACT)
                ok += 1
            except OutOfStock:
                sold_out += 1
            except Exception:
                errors += 1

    await asyncio.sleep(max(0.0, start_at - time.time()))
    began = time.perf_counter()
    await asyncio.gather(*(one(p) for p in people))
    elapsed = time.perf_counter() - began
    await close_db()
    return {"ok": ok, "sold_out": sold_out, "errors": errors, "elapsed": elapsed}


async def run_case(
    backend: str, processes: int, customers: int, stock: int, concurrency: int, workdir: Path
) -> dict:
    async with fresh_database(backend, workdir) as url:
        shop_id, people = await setup(url, customers, stock)
        start_at = time.time() + 1.5
        slices = [people[i::processes] for i in range(processes)]
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                url,
                str(shop_id),
                json.dumps(s),
                str(concurrency),
                str(start_at),
                stdout=asyncio.subprocess.PIPE,
            )
            for s in slices
        ]
        outs = [json.loads((await p.communicate())[0]) for p in procs]
        await init_db(url)
        left = (await Product.all().first()).stock  # type: ignore[union-attr]
        orders = await Order.all().count()
        await close_db()
    ok = sum(o["ok"] for o in outs)
    wall = max(o["elapsed"] for o in outs)
    return {
        "backend": backend,
        "processes": processes,
        "customers": customers,
        "stock": stock,
        "orders": orders,
        "sold_out": sum(o["sold_out"] for o in outs),
        "errors": sum(o["errors"] for o in outs),
        "orders_per_s": round(ok / wall, 1) if wall else 0,
        "oversell": max(0, orders - stock) + (1 if left < 0 else 0) + abs(stock - orders - left),
        "stock_left": left,
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--processes", type=int, choices=[1, 2], nargs="*", default=[1, 2])
    p.add_argument("--customers", type=int, default=600)
    p.add_argument("--stock", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=32, help="orders in flight per process")
    p.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    p.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.case:  # one backend per process: Tortoise caches SQL per dialect
        backend, procs = args.case
        with tempfile.TemporaryDirectory() as tmp:
            row = asyncio.run(
                run_case(
                    backend, int(procs), args.customers, args.stock, args.concurrency, Path(tmp)
                )
            )
        print(json.dumps(row))
        return
    if args.worker:
        url, shop_id, people, concurrency, start_at = args.worker
        result = asyncio.run(
            worker(url, int(shop_id), json.loads(people), int(concurrency), float(start_at))
        )
        print(json.dumps(result))
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    rows = []
    for backend in backends:
        for procs in args.processes:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--case",
                    backend,
                    str(procs),
                    "--customers",
                    str(args.customers),
                    "--stock",
                    str(args.stock),
                    "--concurrency",
                    str(args.concurrency),
                ],
                capture_output=True,
                text=True,
                check=True,
                timeout=900,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        table(
            rows,
            [
                "backend",
                "processes",
                "customers",
                "stock",
                "orders",
                "sold_out",
                "errors",
                "orders_per_s",
                "oversell",
                "stock_left",
            ],
        )
    )
    print(f"results: {save('contention', {'runs': rows})}")
    if any(r["oversell"] for r in rows):
        sys.exit("OVERSELL: a run sold more than its stock")


if __name__ == "__main__":
    main()
