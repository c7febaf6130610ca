"""Update de-dup against Redis: one SET NX per check, against the checks of one event-loop
turn sent together in one pipeline (bot/ports.py RedisDedup).

    python bench/dedup.py                          # MICROSTORE_BENCH_REDIS or 127.0.0.1:6379/13
    python bench/dedup.py --checks 32000 --rounds 3

For each concurrency (how many updates a worker process has in flight), the two ways
alternate for `--rounds` rounds in one process, on uvloop, each making `--checks` checks of
new keys; reports the client CPU per check (process time: Redis's own work is not in it),
the wall time per check and the ratio batched / single.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

import uvloop
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import save, table
from bot.ports import RedisDedup

URL = os.environ.get("MICROSTORE_BENCH_REDIS", "redis://127.0.0.1:6379/13")
_keys = itertools.count()


async def single(redis: Redis, key: str) -> bool:
    """What RedisDedup did before: its own command per check."""
    return bool(await redis.set("bench:dedup:" + key, b"1", nx=True, ex=60))


async def measure(way: str, concurrency: int, checks: int) -> tuple[float, float]:
    redis = Redis.from_url(URL)
    dedup = RedisDedup(redis, prefix="bench:dedup:")
    check = dedup.first_time if way == "batched" else lambda key, ttl: single(redis, key)

    async def worker() -> None:
        for _ in range(checks // concurrency):
            await check(f"{next(_keys)}:{time.time_ns()}", 60)
            await asyncio.sleep(0)  # the rest of the update's work

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await redis.aclose()
    return cpu / checks * 1e6, wall / checks * 1e6


async def main(args: argparse.Namespace) -> None:
    rows = []
    for concurrency in (1, 4, 16, 64):
        runs: dict[str, list[tuple[float, float]]] = {"single": [], "batched": []}
        for _ in range(args.rounds):
            for way in runs:
                runs[way].append(await measure(way, concurrency, args.checks))
        cpu = {w: statistics.median(r[0] for r in runs[w]) for w in runs}
        wall = {w: statistics.median(r[1] for r in runs[w]) for w in runs}
        rows.append(
            {
                "concurrency": concurrency,
                "single_cpu_us": round(cpu["single"], 1),
                "batched_cpu_us": round(cpu["batched"], 1),
                "single_wall_us": round(wall["single"], 1),
                "batched_wall_us": round(wall["batched"], 1),
                "cpu_ratio": round(cpu["batched"] / cpu["single"], 2),
            }
        )
    cleanup = Redis.from_url(URL)
    async for key in cleanup.scan_iter("bench:dedup:*", count=1000):
        await cleanup.delete(key)
    await cleanup.aclose()
    print(table(rows, list(rows[0])))
    print(f"results: {save('dedup', {'checks': args.checks, 'runs': rows})}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=16_000)
    parser.add_argument("--rounds", type=int, default=2)
    uvloop.run(main(parser.parse_args()))
