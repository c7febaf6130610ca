"""A separate OS process joining group buys, then sweeping, for test_processes.py.

    python gb_worker.py '{"url": ..., "shop_id": 1, "now": iso, "joiners": [[person, code], ..],
                          "no_pay": [code, ..]}'

Connects and prints READY; on the first stdin line every joiner joins its group at once and
pays unless its group is one of "no_pay"; prints one JSON line. On the second stdin line
(an ISO time past every deadline) it runs the sweeps a few times, as a server would, and
prints one more JSON line with the refunds this process published.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _join_and_pay(services, shop_id: int, person: int, code: str, pay: bool) -> str:  # type: ignore[no-untyped-def]
    from tests.integration.world import CONTACT

    seat = await services.groupbuys.join(shop_id, code, person, CONTACT)
    if pay:
        await services.payments.confirm_manual(seat.order)
    return seat.order.order_no


async def main(spec: dict) -> None:
    from store.db import close_db, init_db
    from store.errors import OutOfStock
    from store.events import OrderRefunded
    from store.groupbuy.errors import GroupUnavailable
    from store.models import Shop
    from store.services import StoreServices

    clock = Clock(datetime.fromisoformat(spec["now"]))
    services = StoreServices.build(clock=clock)
    refunded: list[str] = []

    async def on_refunded(event: OrderRefunded) -> None:
        refunded.append(event.order_no)

    services.bus.subscribe(OrderRefunded, on_refunded)
    await init_db(spec["url"])
    try:
        await Shop.get(id=spec["shop_id"])  # the pool is open before the start signal
        print("READY", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        results = await asyncio.gather(
            *(
                _join_and_pay(services, spec["shop_id"], p, c, c not in spec["no_pay"])
                for p, c in spec["joiners"]
            ),
            return_exceptions=True,
        )
        out: dict = {"joined": [], "unavailable": 0, "out_of_stock": 0, "errors": []}
        for r in results:
            if isinstance(r, GroupUnavailable):
                out["unavailable"] += 1
            elif isinstance(r, OutOfStock):
                out["out_of_stock"] += 1
            elif isinstance(r, BaseException):
                out["errors"].append(f"{type(r).__name__}: {r}")
            else:
                out["joined"].append(r)
        print(json.dumps(out), flush=True)

        line = await asyncio.to_thread(sys.stdin.readline)
        clock.now = datetime.fromisoformat(line.strip())
        errors = []
        for _ in range(3):
            for sweep in (
                services.orders.sweep,
                services.groupbuy_sweep.run,
                services.refunds.process_due,
            ):
                try:
                    await sweep()
                except Exception as e:  # reported: a sweep must never fail
                    errors.append(f"{type(e).__name__}: {e}")
        print(json.dumps({"refunded": refunded, "errors": errors}), flush=True)
    finally:
        await close_db()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
