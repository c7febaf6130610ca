"""Contention: many customers ordering one hot product, or joining one hot group-buy campaign.

    python bench/contention.py                       # SQLite and PostgreSQL, 1 and 2 processes
    python bench/contention.py --backend sqlite --processes 1 --customers 600 --stock 400
    python bench/contention.py --scenario groupbuy   # joins of the groups of one campaign

orders: reports successful orders per second, and the oversell count, which must always be 0:
orders placed beyond the stock, or a stock that went negative. `--products N` spreads the
same customers and stock over N products (customer i buys product i mod N): with enough
products nobody waits for anybody, which gives the ceiling the hot product is compared with.

groupbuy: `--groups` groups of `--size` (each opened by its leader in the setup) of one
campaign capped at `--cap` seats; every customer joins one group (customers spread over the
groups round-robin). Reports successful joins per second and the overfill count, which must
always be 0: seats beyond a group's size, beyond the campaign's cap, or counters that
disagree with the seat rows.
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

from bench._common import (
    backend_parser,
    chosen_backends,
    fresh_database,
    postgres_cpu,
    save,
    table,
)
from store.catalog import NewProduct
from store.db import close_db, init_db, migrate
from store.errors import OutOfStock
from store.groupbuy.errors import CampaignSoldOut, GroupUnavailable
from store.groupbuy.models import GroupBuy, GroupCampaign, GroupSeat
from store.groupbuy.service import HELD, NewCampaign
from store.models import Order, Product
from store.orders import Contact
from store.services import StoreServices

CONTACT = Contact("Bench Buyer", "13800138000", "1 Benchmark Road, Hangzhou")


async def setup(url: str, customers: int, stock: int, products: int = 1) -> tuple[int, list[int]]:
    await migrate(url)
    await init_db(url)
    services = StoreServices.build()
    owner = await services.people.identify("bench", "owner")
    shop = await services.shops.create("Bench", await services.people.person(owner.person_id))  # type: ignore[attr-defined]
    items = [
        await services.catalog.add_product(
            shop.id,
            NewProduct(title=f"Hot item {n}", price=Decimal("9.90"), stock=share),
        )
        for n, share in enumerate(_split(stock, products))
    ]
    people = []
    for i in range(customers):
        ident = await services.people.identify("bench", f"c{i}")
        product = items[i % products]
        await services.carts.add(ident.person_id, shop.id, product.id, 1)  # type: ignore[attr-defined]
        people.append(ident.person_id)  # type: ignore[attr-defined]
    await close_db()
    return shop.id, people


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


async def setup_groups(
    url: str, customers: int, groups: int, size: int, cap: int
) -> tuple[int, list[tuple[int, str]]]:
    """A campaign with `groups` open groups (leaders seated); joiners, each with one code."""
    await migrate(url)
    await init_db(url)
    services = StoreServices.build()
    owner = await services.people.identify("bench", "owner")
    shop = await services.shops.create("Bench", owner.person)  # type: ignore[attr-defined]
    product = await services.catalog.add_product(
        shop.id, NewProduct(title="Hot item", price=Decimal("9.90"), stock=100_000)
    )
    campaign = await services.groupbuys.create_campaign(
        shop.id, NewCampaign(product.id, Decimal("6.60"), size, 3600, seat_cap=cap)
    )
    codes = []
    for i in range(groups):
        leader = await services.people.identify("bench", f"leader{i}")
        seat = await services.groupbuys.open_group(
            shop.id,
            campaign.id,
            leader.person_id,
            CONTACT,  # type: ignore[attr-defined]
        )
        codes.append(seat.group.code)
    joiners = []
    for i in range(customers):
        ident = await services.people.identify("bench", f"c{i}")
        joiners.append((ident.person_id, codes[i % groups]))  # type: ignore[attr-defined]
    await close_db()
    return shop.id, joiners


async def overfill() -> tuple[int, int]:
    """(overfill, held seats): every way the seats could exceed a limit, or counters drift."""
    campaign = await GroupCampaign.get()
    held = await GroupSeat.filter(status__in=HELD).count()
    bad = max(0, held - (campaign.seat_cap or held)) + abs(campaign.seats_held - held)
    for group in await GroupBuy.all():
        seats = await GroupSeat.filter(group_id=group.id, status__in=HELD).count()
        bad += max(0, seats - group.size) + abs(seats - group.seats_taken)
    return bad, held


async def worker(
    url: str, shop_id: int, jobs: list, concurrency: int, start_at: float, scenario: str
) -> dict:
    await init_db(url)
    services = StoreServices.build()
    gate = asyncio.Semaphore(concurrency)
    ok = sold_out = errors = 0

    async def one(job: int | list) -> None:
        nonlocal ok, sold_out, errors
        async with gate:
            try:
                if scenario == "orders":
                    await services.orders.place(job, shop_id, CONTACT)  # type: ignore[arg-type]
                else:
                    person_id, code = job  # type: ignore[misc]
                    await services.groupbuys.join(shop_id, code, person_id, CONTACT)
                ok += 1
            except (OutOfStock, GroupUnavailable, CampaignSoldOut):
                sold_out += 1
            except Exception:
                errors += 1

    await asyncio.sleep(max(0.0, start_at - time.time()))
    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(j) for j in jobs))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    await close_db()
    return {"ok": ok, "sold_out": sold_out, "errors": errors, "elapsed": elapsed, "cpu": cpu}


async def run_case(args: argparse.Namespace, backend: str, processes: int, workdir: Path) -> dict:
    async with fresh_database(backend, workdir) as url:
        if args.scenario == "orders":
            shop_id, jobs = await setup(url, args.customers, args.stock, args.products)
        else:
            shop_id, jobs = await setup_groups(
                url, args.customers, args.groups, args.size, args.cap
            )
        start_at = time.time() + 1.5
        db_cpu = postgres_cpu()
        slices = [jobs[i::processes] for i in range(processes)]
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                url,
                str(shop_id),
                json.dumps(s),
                str(args.concurrency),
                str(start_at),
                args.scenario,
                stdout=asyncio.subprocess.PIPE,
            )
            for s in slices
        ]
        outs = [json.loads((await p.communicate())[0]) for p in procs]
        db_cpu = postgres_cpu() - db_cpu
        await init_db(url)
        stocks = [p.stock for p in await Product.all()]
        left, negative = sum(stocks), any(n < 0 for n in stocks)
        orders = await Order.all().count()
        if args.scenario == "groupbuy":
            bad, held = await overfill()
        await close_db()
    ok = sum(o["ok"] for o in outs)
    wall = max(o["elapsed"] for o in outs)
    common = {
        "backend": backend,
        "processes": processes,
        "customers": args.customers,
        "errors": sum(o["errors"] for o in outs),
        # the client processes' CPU per attempt (refused ones included): the part that is ours
        "cpu_ms": round(sum(o["cpu"] for o in outs) * 1000 / len(jobs), 2),
        # the local PostgreSQL server's (its start-up of the workers' connections included)
        "db_cpu_ms": round(db_cpu * 1000 / len(jobs), 2) if backend == "postgres" else "",
    }
    if args.scenario == "groupbuy":
        return common | {
            "groups": args.groups,
            "size": args.size,
            "cap": args.cap,
            "joined": ok,
            "refused": sum(o["sold_out"] for o in outs),
            "seats_held": held,
            "joins_per_s": round(ok / wall, 1) if wall else 0,
            "overfill": bad + (1 if held != args.groups + ok else 0),
        }
    stock = args.stock
    return common | {
        "products": args.products,
        "stock": stock,
        "orders": orders,
        "sold_out": sum(o["sold_out"] for o in outs),
        "orders_per_s": round(ok / wall, 1) if wall else 0,
        "oversell": max(0, orders - stock) + int(negative) + abs(stock - orders - left),
        "stock_left": left,
    }


COLUMNS = {
    "orders": [
        *("products", "stock", "orders", "sold_out", "errors", "orders_per_s"),
        *("cpu_ms", "db_cpu_ms"),
        *("oversell", "stock_left"),
    ],
    "groupbuy": [
        *("groups", "size", "cap", "joined", "refused", "errors", "seats_held"),
        *("joins_per_s", "cpu_ms", "db_cpu_ms", "overfill"),
    ],
}


def main() -> None:
    p = backend_parser(__doc__)
    p.add_argument("--scenario", choices=["orders", "groupbuy"], default="orders")
    p.add_argument("--processes", type=int, choices=[1, 2], nargs="*", default=[1, 2])
    p.add_argument(
        "--customers", type=int, help="default: 3000 ordering, 600 joining (a steady few seconds)"
    )
    p.add_argument("--stock", type=int, default=2000)
    p.add_argument("--products", type=int, default=1, help="orders: products sharing the stock")
    p.add_argument("--groups", type=int, default=80, help="groupbuy: open groups")
    p.add_argument("--size", type=int, default=5, help="groupbuy: seats per group")
    p.add_argument("--cap", type=int, default=300, help="groupbuy: the campaign's seat cap")
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight per process")
    p.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    p.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.customers = args.customers or (3000 if args.scenario == "orders" else 600)
    if args.case:  # one backend per process: Tortoise caches SQL per dialect
        backend, procs = args.case
        with tempfile.TemporaryDirectory() as tmp:
            row = asyncio.run(run_case(args, backend, int(procs), Path(tmp)))
        print(json.dumps(row))
        return
    if args.worker:
        url, shop_id, jobs, concurrency, start_at, scenario = args.worker
        result = asyncio.run(
            worker(url, int(shop_id), json.loads(jobs), int(concurrency), float(start_at), scenario)
        )
        print(json.dumps(result))
        return
    backends = chosen_backends(args.backend)
    passed = [
        f"--{name}={getattr(args, name)}"
        for name in (
            *("scenario", "customers", "stock", "products", "groups", "size", "cap"),
            "concurrency",
        )
    ]
    rows = []
    for backend in backends:
        for procs in args.processes:
            out = subprocess.run(
                [sys.executable, __file__, "--case", backend, str(procs), *passed],
                capture_output=True,
                text=True,
                check=True,
                timeout=900,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(table(rows, ["backend", "processes", "customers", *COLUMNS[args.scenario]]))
    name = "contention" if args.scenario == "orders" else f"contention-{args.scenario}"
    print(f"results: {save(name, {'runs': rows})}")
    if any(r.get("oversell") or r.get("overfill") for r in rows):
        sys.exit("OVERSELL/OVERFILL: a run went beyond a limit")


if __name__ == "__main__":
    main()
