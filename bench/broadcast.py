"""Broadcast throughput against the rate-limited Telegram stand-in.

20,000 recipients (by default) through the real path — delivery rows in the database,
leased claims, the pacer, aiogram's Bot over HTTP — to tests/community/standin.py limited
to 30 messages/s, with the sender configured at Telegram's default 25/s. Reports the
achieved rate as a ratio of the configured one (target >= 0.95), the 429s after the first
second (steady state, target 0), and the process's peak memory.

``--scale N`` multiplies both the stand-in's limit and the sender's rate (time scaling:
20,000 at 25/s take 13 minutes; at --scale 10 about 80 s, same proportions).

    python -m bench.broadcast                       # the real thing: 25/s vs 30/s
    python -m bench.broadcast --scale 10 --recipients 20000
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
from store.community.pacing import Limits, Pacer
from store.community.subscriptions import SubscriptionService
from store.db import close_db, init_db
from store.models import Person, Shop
from store.people import PeopleService
from tests.community.standin import TOKEN, RateLimitedBotAPI
from tests.community.world import populate


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def run(args: argparse.Namespace, db_url: str) -> dict[str, Any]:
    await init_db(db_url, create_schema=True)
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
        started = time.monotonic()
        report = await engine.run(view.id)
        wall = time.monotonic() - started
        await bot.session.close()
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
            "ratio": round(achieved / rate, 3),
            "429 total": len(api.limited_at),
            "429 steady": steady_429,
            "delivered": sum(api.received.values()),
            "duplicates": len(api.duplicates()),
            "wall s": round(wall, 1),
            "peak RSS MiB (before send)": round(rss_before, 1),
            "peak RSS MiB": round(peak_rss_mib(), 1),
            "finished": report.finished,
            "latency ms": args.latency * 1000,
            "concurrency": args.concurrency,
            "database": db_url.split(":")[0],
        }
    finally:
        await api.close()
        await close_db()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(args.database, Path(tmp)) as url:
            result = await run(args, url)
    print(table([result], list(result)))
    path = save(f"broadcast-{args.recipients}-x{args.scale:g}-{args.database}", result)
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
    asyncio.run(main(p.parse_args()))
