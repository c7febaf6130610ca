"""Many readers missing one copy at once: a catalog page right after it was dropped.

    python bench/stampede.py                      # SQLite and PostgreSQL
    python bench/stampede.py --backend postgres --readers 64 --bursts 50

A product that sells out drops every copy of a page that lists it (store/listings.py), and
all its viewers then miss that page together. In one process, through the command engine
(`engine.handle`, as a chat message arrives), `--readers` customers of the demo shop send
`/catalog` at once, `--bursts` times:

- `kept`: with the page's copy in place (the baseline, in the same process);
- `dropped`: right after the shop's listings were dropped.

Reports the database statements per burst and its wall time (median and slowest). Before
`74fcae3` every reader of a dropped page loaded it for itself; since then the misses share
one load. To measure an older tree, copy this file into its `bench/`.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import backend_parser, each_backend, fresh_database, save, table
from bot.config import load_settings
from bot.runtime import build_runtime
from handlers.types import Incoming
from store.db import close_db, migrate
from store.demo import seed_demo


class Statements(logging.Handler):
    """Counts the statements Tortoise sends (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def run(backend: str, readers: int, bursts: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(backend, Path(tmp)) as url:
            await migrate(url)
            runtime = await build_runtime(load_settings(None, database={"url": url}))
            try:
                shop = await seed_demo(runtime.services)
                message_ids = itertools.count(1)

                async def burst() -> None:
                    await asyncio.gather(
                        *(
                            runtime.engine.handle(
                                Incoming(
                                    "bench", f"c{i}", f"c{i}", "/catalog", str(next(message_ids))
                                )
                            )
                            for i in range(readers)
                        )
                    )

                for _ in range(2):  # newcomers first, then everyone's identity and the page kept
                    await burst()
                gc.collect()  # as `serve` does after start-up: no full collection mid-burst
                gc.freeze()
                statements = Statements()
                log = logging.getLogger("tortoise.db_client")
                log.addHandler(statements)
                log.setLevel(logging.DEBUG)
                statements_of = {"kept": 0, "dropped": 0}
                seconds_of: dict[str, list[float]] = {"kept": [], "dropped": []}
                try:
                    for _ in range(bursts):  # alternating, so both meet the same moments
                        for case in statements_of:
                            if case == "dropped":
                                await runtime.services.catalog.listings.changed(shop.id)
                            statements.count, began = 0, time.perf_counter()
                            await burst()
                            seconds_of[case].append(time.perf_counter() - began)
                            statements_of[case] += statements.count
                finally:
                    log.removeHandler(statements)
                rows += [
                    {
                        "backend": backend,
                        "readers": readers,
                        "case": case,
                        "statements_per_burst": round(count / bursts, 1),
                        "median_ms": round(1000 * statistics.median(seconds_of[case]), 1),
                        "max_ms": round(1000 * max(seconds_of[case]), 1),
                    }
                    for case, count in statements_of.items()
                ]
            finally:
                await close_db()
    return rows


def main() -> None:
    p = backend_parser(__doc__)
    p.add_argument("--readers", type=int, default=32)
    p.add_argument("--bursts", type=int, default=20)
    args = p.parse_args()
    rows = each_backend(args.backend, lambda backend: run(backend, args.readers, args.bursts))
    columns = ["backend", "readers", "case", "statements_per_burst", "median_ms", "max_ms"]
    print(table(rows, columns))
    print(f"results: {save('stampede', {'bursts': args.bursts, 'runs': rows})}")


if __name__ == "__main__":
    main()
