"""A separate OS process placing orders, for test_processes.py (not a test module itself).

    python order_worker.py '{"url": ..., "shop_id": 1, "people": [..]}'

Connects, warms its pool, prints READY, waits for a line on stdin (the start signal shared
with the other workers), places one order per person all at once, and prints one JSON line:
{"orders": [order_no, ...], "out_of_stock": n, "errors": ["ExcType: text", ...]}.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def main(spec: dict) -> dict:
    from store.db import close_db, init_db
    from store.errors import OutOfStock
    from store.models import Shop
    from store.orders import Contact
    from store.services import StoreServices

    contact = Contact(name="Li Lei", phone="13800138000", address="88 Nanjing Road, Shanghai")
    services = StoreServices.build()
    await init_db(spec["url"])
    try:
        await Shop.get(id=spec["shop_id"])  # the pool is open before the start signal
        print("READY", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        results = await asyncio.gather(
            *(services.orders.place(pid, spec["shop_id"], contact) for pid in spec["people"]),
            return_exceptions=True,
        )
    finally:
        await close_db()
    out: dict = {"orders": [], "out_of_stock": 0, "errors": []}
    for r in results:
        if isinstance(r, OutOfStock):
            out["out_of_stock"] += 1
        elif isinstance(r, BaseException):
            out["errors"].append(f"{type(r).__name__}: {r}")
        else:
            out["orders"].append(r.order_no)
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))), flush=True)
