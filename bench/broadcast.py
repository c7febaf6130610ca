"""Broadcast throughput against the rate-limited Telegram stand-in.

20,000 recipients (by default) through the real path — delivery rows in the database,
leased claims, the pacer, aiogram's Bot over HTTP — to tests/community/standin.py limited
to 30 messages/s, with the sender configured at Telegram's default 25/s. Reports the
achieved rate as a ratio of the configured one (target >= 0.95), the 429s after the first
second (steady state, target 0), and the process's peak memory.

``--scale N`` multiplies both the stand-in's limit and the sender's rate (time scaling:
20,000 at 25/s take 13 minutes; at --scale 10 about 80 s, same proportions).

``--processes`` sends with real `microstore worker` processes instead, and reports each
one's peak memory on its own (VmHWM), without the stand-in and the audience's set-up in the
figure. ``--kill-at F`` (implies it) SIGKILLs the worker once a fraction F of the recipients
have their message, starts another, and reports what arrived twice: at most the claims in
flight, which wait out their lease (``--lease`` seconds) before they are sent again.

    python -m bench.broadcast                       # the real thing: 25/s vs 30/s
    python -m bench.broadcast --scale 10 --recipients 20000
    python -m bench.broadcast --scale 10 --recipients 100000 --processes
    python -m bench.broadcast --scale 10 --kill-at 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import fresh_database, save, table
from bot.broadcast.telegram import TelegramBroadcastSender, build_broadcast_bot
from bot.config import TelegramConfig
from bot.ports import MemoryKV
from bot.telegram.callbacks import CallbackCodec
from store.clock import utcnow
from store.community.audience import Audience
from store.community.broadcasts import BroadcastService
from store.community.delivery import DeliveryEngine, EngineSettings
from store.community.models import Broadcast, Delivery, DeliveryStatus
from store.community.pacing import Limits, Pacer
from store.community.subscriptions import SubscriptionService
from store.db import close_db, init_db, migrate
from store.models import Person, Shop
from store.people import PeopleService
from tests.community.standin import TOKEN, RateLimitedBotAPI
from tests.community.workers import finished, start_worker, wait_until
from tests.community.world import populate


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def process_peak_mib(pid: int) -> float:
    """A living process's peak resident memory (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(args: argparse.Namespace, db_url: str) -> dict[str, Any]:
    await migrate(db_url)  # as `microstore worker` expects it
    await init_db(db_url)
    limit, rate = args.limit * args.scale, args.rate * args.scale
    # Time scaling divides every duration, the network latency too.
    api = RateLimitedBotAPI(rate=limit, chat_interval=1.0, latency=args.latency / args.scale)
    await api.start()
    try:
        shop = await Shop.create(slug="bench", name="Bench")
        owner = await Person.create(display_name="owner")
        await populate(shop, args.recipients, now=utcnow())
        rss_before = peak_rss_mib()
        audience = Audience()
        service = BroadcastService(utcnow, audience)
        view = await service.draft(shop.id, owner.id, "all", "Spring tea is in! 春茶上新")
        await service.send_now(shop.id, view.id)
        started = time.monotonic()
        if args.processes or args.kill_at:
            done, extra = await in_workers(args, db_url, api, view.id, rate)
        else:
            done, extra = await in_this_process(args, api, audience, view.id, rate), {}
        wall = time.monotonic() - started
        accepted = api.accepted_at
        span = accepted[-1] - accepted[0] if len(accepted) > 1 else wall
        achieved = (len(accepted) - 1) / span if span > 0 else 0.0
        steady_429 = sum(1 for t in api.limited_at if t - accepted[0] > 1.0) if accepted else 0
        return {
            "recipients": args.recipients,
            "scale": args.scale,
            "stand-in limit/s": limit,
            "configured/s": rate,
            "achieved/s": round(achieved, 2),
            # with a kill, the restart's pause is in the span: the rate says nothing then
            "ratio": None if args.kill_at else round(achieved / rate, 3),
            "429 total": len(api.limited_at),
            "429 steady": steady_429,
            "delivered": sum(api.received.values()),
            "duplicates": len(api.duplicates()),
            "wall s": round(wall, 1),
            "peak RSS MiB (before send)": round(rss_before, 1),
            "peak RSS MiB": round(peak_rss_mib(), 1),
            **extra,
            "finished": done,
            "latency ms": args.latency * 1000,
            "concurrency": args.concurrency,
            "database": db_url.split(":")[0],
        }
    finally:
        await api.close()
        await close_db()


async def in_this_process(
    args: argparse.Namespace, api: RateLimitedBotAPI, audience: Audience, bid: int, rate: float
) -> bool:
    bot = build_broadcast_bot(
        TelegramConfig(token=TOKEN, api_server=api.base_url)  # type: ignore[arg-type]
    )
    engine = DeliveryEngine(
        {"telegram": TelegramBroadcastSender(bot, CallbackCodec(MemoryKV()))},
        {"telegram": Pacer(Limits(rate_per_second=rate))},
        SubscriptionService(utcnow, PeopleService()),
        audience,
        EngineSettings(concurrency=args.concurrency),
    )
    try:
        return (await engine.run(bid)).finished
    finally:
        await bot.session.close()


async def in_workers(
    args: argparse.Namespace, db_url: str, api: RateLimitedBotAPI, bid: int, rate: float
) -> tuple[bool, dict[str, Any]]:
    """The broadcast sent by `microstore worker`; with --kill-at, SIGKILLed part way and
    finished by a second one."""
    extra: dict[str, Any] = {}
    peaks = []
    worker = await start_worker(
        db_url, api, rate, concurrency=args.concurrency, lease_seconds=args.lease, poll=0.5
    )
    try:
        if args.kill_at:

            async def reached() -> bool:
                return sum(api.received.values()) >= args.kill_at * args.recipients

            await wait_until(reached, 3600, "the kill point")
            peaks.append(process_peak_mib(worker.pid))
            worker.kill()
            await worker.wait()
            extra["killed at"] = sum(api.received.values())
            extra["in flight"] = await Delivery.filter(
                broadcast_id=bid, status=DeliveryStatus.SENDING
            ).count()
            worker = await start_worker(
                db_url, api, rate, concurrency=args.concurrency, lease_seconds=args.lease, poll=0.5
            )
        await wait_until(lambda: finished(bid), 3600, "the broadcast's end", every=0.5)
        peaks.append(process_peak_mib(worker.pid))
    finally:
        if worker.returncode is None:
            worker.terminate()
            await worker.wait()
    extra["recovered"] = (await Broadcast.get(id=bid)).recovered
    extra["worker peak RSS MiB"] = " / ".join(f"{p:.1f}" for p in peaks)
    return True, extra


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(args.database, Path(tmp)) as url:
            result = await run(args, url)
    print(table([result], list(result)))
    how = "-kill" if args.kill_at else "-workers" if args.processes else ""
    path = save(f"broadcast-{args.recipients}-x{args.scale:g}-{args.database}{how}", result)
    print(f"saved {path}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--recipients", type=int, default=20_000)
    p.add_argument("--limit", type=float, default=30.0, help="stand-in messages/s (x scale)")
    p.add_argument("--rate", type=float, default=25.0, help="sender messages/s (x scale)")
    p.add_argument("--scale", type=float, default=1.0, help="time scaling of both rates")
    p.add_argument("--latency", type=float, default=0.05, help="stand-in answer delay, s")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--processes", action="store_true", help="send with `microstore worker`")
    p.add_argument("--kill-at", type=float, default=0.0, help="SIGKILL the worker at this share")
    p.add_argument("--lease", type=float, default=5.0, help="workers' claim lease, s")
    asyncio.run(main(p.parse_args()))
