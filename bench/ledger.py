"""Ledger: settle many orders' commissions at once, then check the ledger against balances.

    python bench/ledger.py                          # 100,000 orders on SQLite
    python bench/ledger.py --orders 10000 --backend postgres

Setup (not timed, not the code under test): a shop and 50 agents through the services, then
`--orders` completed orders, each with its referral snapshot, two levels of commission and
their pending ledger entries, bulk-inserted straight into the tables (`seed`), with every
agent's pending balance set to the sum of its entries. Then the freeze period passes and the
release sweep the server runs (`Ledger.release_due`, the real code path) settles them all:
time, orders per second, peak memory, and whether every agent's balances equal the sums of
their ledger entries.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fresh_database, save, table
from referral.ledger import ledger_sums
from referral.models import Agent, EntryKind, LedgerEntry, OrderCommission, OrderReferral
from referral.services import ReferralServices
from store.db import close_db, init_db, migrate
from store.models import Order, OrderStatus
from store.services import StoreServices

AGENTS = 50
CUSTOMERS = AGENTS * 40
TOTAL = Decimal("12.80")
RATES = (1000, 500)  # basis points of levels 1 and 2: the default program
CHUNK = 1000


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed(orders: int, release_at: datetime, agents: int = AGENTS) -> None:
    """`orders` completed orders whose commission is pending and due at `release_at`.

    People, the shop and the agents go through the services; the orders and their referral
    rows are bulk-inserted, in the shape the store and the referral subscribers leave them.
    Needs an initialised, migrated, empty database.
    """
    store = StoreServices.build()
    referral = ReferralServices.build(store.bus)
    owner = await store.people.identify("bench", "owner")
    shop = await store.shops.create("Bench", owner.person)
    chain = []
    for i in range(agents):
        ident = await store.people.identify("bench", f"agent{i}")
        chain.append(await referral.agents.enrol(shop.id, ident.person.id))
    buyers = [
        (await store.people.identify("bench", f"c{i}")).person.id
        for i in range(min(CUSTOMERS, orders))
    ]
    minor = int(TOTAL * 100)
    paid = release_at - timedelta(days=8)
    for first in range(0, orders, CHUNK):
        numbers = range(first, min(first + CHUNK, orders))
        await Order.bulk_create(
            [
                Order(
                    order_no=f"B{n:09d}",
                    shop_id=shop.id,
                    person_id=buyers[n % len(buyers)],
                    status=OrderStatus.COMPLETED,
                    subtotal=TOTAL,
                    total=TOTAL,
                    currency="CNY",
                    contact_name="Bench Buyer",
                    phone="13800138000",
                    address="1 Benchmark Road, Hangzhou",
                    pay_deadline=paid,
                    paid_at=paid,
                    shipped_at=paid,
                    completed_at=release_at - timedelta(days=7),
                )
                for n in numbers
            ]
        )
        ids = dict(
            await Order.filter(order_no__in=[f"B{n:09d}" for n in numbers]).values_list(
                "order_no", "id"
            )
        )
        await OrderReferral.bulk_create(
            [
                OrderReferral(
                    order_id=ids[f"B{n:09d}"],
                    order_no=f"B{n:09d}",
                    shop_id=shop.id,
                    customer_id=buyers[n % len(buyers)],
                    currency="CNY",
                    total_minor=minor,
                    goods_minor=minor,
                    created_at=paid,
                    paid_at=paid,
                    completed_at=release_at - timedelta(days=7),
                    release_at=release_at,
                )
                for n in numbers
            ]
        )
        snapshots = await OrderReferral.filter(order_id__in=list(ids.values())).values_list(
            "id", "order_id", "order_no"
        )
        commissions, entries = [], []
        for ref_id, order_id, order_no in snapshots:
            n = int(order_no[1:])
            for level, rate in enumerate(RATES, 1):
                agent = chain[(n + level - 1) % len(chain)]
                amount = minor * rate // 10_000
                commissions.append(
                    OrderCommission(
                        referral_id=ref_id,
                        agent_id=agent.id,
                        level=level,
                        base_minor=minor,
                        amount_minor=amount,
                    )
                )
                entries.append(
                    LedgerEntry(
                        shop_id=shop.id,
                        agent_id=agent.id,
                        order_id=order_id,
                        order_no=order_no,
                        level=level,
                        kind=EntryKind.COMMISSION,
                        pending=amount,
                        created_at=paid,
                    )
                )
        await OrderCommission.bulk_create(commissions)
        await LedgerEntry.bulk_create(entries)
    for agent in chain:  # the running sums the ledger explains
        sums = await ledger_sums(agent.id)
        await Agent.filter(id=agent.id).update(pending_minor=sums.pending)


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
        try:
            due = datetime(2026, 11, 1, tzinfo=UTC)
            began = time.perf_counter()
            await seed(orders, release_at=due)
            setup = time.perf_counter() - began
            referral = ReferralServices.build(StoreServices.build().bus, clock=lambda: due)
            referral.subscribe()
            memory_before = peak_mib()
            began = time.perf_counter()
            settled = 0
            while done := await referral.ledger.release_due(batch=batch):
                settled += done
            elapsed = time.perf_counter() - began
            memory_after = peak_mib()  # before the check, which reads every entry
            ok, wrong = await balance_check()
            pending = sum(await Agent.all().values_list("pending_minor", flat=True))
        finally:
            await close_db()
    return {
        "backend": backend,
        "orders": orders,
        "settled": settled,
        "seconds": round(elapsed, 1),
        "orders_per_s": round(settled / elapsed, 1),
        "setup_s": round(setup, 1),
        "peak_mib_before": round(memory_before, 1),
        "peak_mib_after": round(memory_after, 1),
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
