"""Ledger: settle many orders' commissions at once, then check the ledger against balances.

    python bench/ledger.py                          # 100,000 orders on SQLite
    python bench/ledger.py --orders 10000 --backend postgres

Setup (not timed): a shop, 50 agents, and `--orders` orders placed, paid, shipped and completed
by customers bound to those agents, through the real services and the referral event
subscribers. Then the freeze period passes and the release sweep (`Ledger.release_due`, the
one the server's sweeper runs) settles them all: time, orders per second, peak memory, and
whether every agent's balances equal the sums of their ledger entries.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fresh_database, save, table
from referral.models import Agent, LedgerEntry
from referral.services import ReferralServices
from store.catalog import NewProduct
from store.db import close_db, init_db, migrate
from store.orders import Contact
from store.services import StoreServices

CONTACT = Contact("Bench Buyer", "13800138000", "1 Benchmark Road, Hangzhou")
AGENTS = 50


class Clock:
    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime(2026, 11, 1, tzinfo=UTC)

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def place_all(store: StoreServices, referral: ReferralServices, orders: int) -> None:
    owner = await store.people.identify("bench", "owner")
    shop = await store.shops.create("Bench", owner.person)
    product = await store.catalog.add_product(
        shop.id, NewProduct(title="Tea", price=Decimal("12.80"), stock=1_000_000)
    )
    agents = []
    for i in range(AGENTS):
        ident = await store.people.identify("bench", f"agent{i}")
        agents.append(await referral.agents.enrol(shop.id, ident.person.id))
    customers = AGENTS * 40
    for n in range(orders):
        ident = await store.people.identify("bench", f"c{n % customers}")
        if n < customers:  # bound on the first visit; later orders are repeat purchases
            await referral.attribution.touch(shop.id, ident.person.id, agents[n % AGENTS], "link")
        await store.carts.add(ident.person.id, shop.id, product.id, 1)
        order = await store.orders.place(ident.person.id, shop.id, CONTACT)
        await store.payments.confirm_manual(order)
        order = await store.orders.ship(order, "SF", f"SF{n}")
        await store.orders.complete(order)
        if n and n % 5000 == 0:
            print(f"  {n} orders placed", file=sys.stderr, flush=True)


async def balance_check() -> tuple[bool, int]:
    """Every agent: balances == the sums of the ledger entries."""
    wrong = 0
    for agent in await Agent.all():
        entries = await LedgerEntry.filter(agent_id=agent.id).values_list(
            "pending", "available", "held", "withdrawn"
        )
        sums = [sum(e[i] for e in entries) for i in range(4)]
        shown = [
            agent.pending_minor,
            agent.available_minor,
            agent.held_minor,
            agent.withdrawn_minor,
        ]
        wrong += sums != shown
    return wrong == 0, wrong


async def run(backend: str, orders: int, batch: int, workdir: Path) -> dict:
    async with fresh_database(backend, workdir) as url:
        await migrate(url)
        await init_db(url)
        clock = Clock()
        store = StoreServices.build(clock=clock)
        referral = ReferralServices.build(store.bus, clock=clock)
        referral.subscribe()
        began = time.perf_counter()
        await place_all(store, referral, orders)
        setup = time.perf_counter() - began
        clock.now += timedelta(days=30)  # every freeze period is over
        memory_before = peak_mib()
        began = time.perf_counter()
        settled = 0
        while done := await referral.ledger.release_due(batch=batch):
            settled += done
        elapsed = time.perf_counter() - began
        ok, wrong = await balance_check()
        pending = sum(await Agent.all().values_list("pending_minor", flat=True))
        await close_db()
    return {
        "backend": backend,
        "orders": orders,
        "settled": settled,
        "seconds": round(elapsed, 1),
        "orders_per_s": round(settled / elapsed, 1),
        "setup_s": round(setup, 1),
        "peak_mib_before": round(memory_before, 1),
        "peak_mib_after": round(peak_mib(), 1),
        "balances_match": ok,
        "agents_wrong": wrong,
        "pending_left_minor": pending,
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=200, help="orders per sweep round")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        row = asyncio.run(run(args.backend, args.orders, args.batch, Path(tmp)))
    print(table([row], list(row)))
    print(f"results: {save(f'ledger-{args.backend}-{args.orders}', row)}")
    if not row["balances_match"] or row["pending_left_minor"] or row["settled"] != args.orders:
        sys.exit("LEDGER CHECK FAILED")


if __name__ == "__main__":
    main()
