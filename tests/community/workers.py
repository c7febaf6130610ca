"""`microstore worker` as a real process against the broadcast stand-in, and waiting for
what it does, for the tests (tests/community/test_worker_processes.py) and the benchmark
(bench/broadcast.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from store.community.models import Broadcast, BroadcastStatus
from tests.community.standin import TOKEN, RateLimitedBotAPI

ROOT = Path(__file__).resolve().parents[2]


async def start_worker(
    db_url: str,
    api: RateLimitedBotAPI,
    rate: float,
    *,
    concurrency: int,
    lease_seconds: float = 1.0,
    redis_url: str | None = None,
    poll: float = 0.2,
) -> asyncio.subprocess.Process:
    """Started and saying so; its Bot API is the stand-in, its broadcast rate `rate`."""
    env = {
        **os.environ,
        "MICROSTORE_DATABASE__URL": db_url,
        "MICROSTORE_TELEGRAM__TOKEN": TOKEN,
        "MICROSTORE_TELEGRAM__API_SERVER": api.base_url,
        "MICROSTORE_BROADCAST__RATE_PER_SECOND": str(rate),
        "MICROSTORE_BROADCAST__CONCURRENCY": str(concurrency),
        "MICROSTORE_BROADCAST__LEASE_SECONDS": str(lease_seconds),
        "MICROSTORE_BROADCAST__LOCK_TTL_SECONDS": "1",
        "MICROSTORE_BROADCAST__POLL_SECONDS": str(poll),
        "MICROSTORE_LOG_LEVEL": "WARNING",
    }
    env.pop("MICROSTORE_REDIS__URL", None)
    if redis_url:
        env["MICROSTORE_REDIS__URL"] = redis_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert b"sending broadcasts" in line, line
    return proc


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], within: float, what: str, every: float = 0.05
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {within}s")
        await asyncio.sleep(every)


async def finished(bid: int) -> bool:
    return (await Broadcast.get(id=bid)).status == BroadcastStatus.DONE
