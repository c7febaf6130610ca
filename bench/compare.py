"""Two checkouts of microstore in one run: which one serves faster, the machine's drift
taken out.

    python bench/compare.py --against /tmp/base                    # pg2, 6 rounds of 5 s
    python bench/compare.py --against ../old --mode embedded --rounds 8 --seconds 4

The machines this runs on drift: the same code measured 30% slower in one `bench/pipeline.py`
run than in the run before it, hello ceiling and all, so two runs minutes apart cannot show a
change of a few percent. Here both trees serve at once, each from its own checkout (its code
on PYTHONPATH), database, Redis database and port, with one Bot API stand-in, and
`bench/pipeline.py`'s closed loop (the realistic mix, `--users` at a time) alternates between
them in short phases, in ABBA order: Telegram's webhook first, then WeChat's. Each tree's
row sums its phases: updates/s, p50, p99 and its processes' CPU per update (`cpu_ms`). Last,
`this / against` of updates/s and of `cpu_ms` for every round: their spread says how far the
totals can be trusted.

Both trees hear each other's cache announcements (Redis pub/sub is not per database): an
order on one side drops the same copies on the other, which costs both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fresh_database, save, table, tree_cpu
from bench.pipeline import (
    HERE,
    SECRET,
    WX_TOKEN,
    Stats,
    closed_loop,
    config,
    post,
    start,
    stock_up,
    update,
    wechat_body,
)
from tests.servers import clean_env, free_port
from tests.wechat.wire import signed_query

THIS = HERE.parent
REDIS_DATABASES = (13, 12)  # one each: their people's conversation state must not mix
COLUMNS = ["run", "requests", "errors", "per_s", "p50_ms", "p99_ms", "cpu_ms", "rounds"]


def redis_url(database: int) -> str:
    base = urlsplit(os.environ.get("MICROSTORE_TEST_REDIS", "redis://127.0.0.1:6379/13"))
    return urlunsplit(base._replace(path=f"/{database}"))


class Side:
    """One tree being served: where, and what its phases measured."""

    def __init__(self, name: str, tree: Path, port: int, pid: int) -> None:
        self.name, self.tree, self.port, self.pid = name, tree, port, pid
        self.phases: dict[str, list[tuple[Stats, float]]] = {}  # per channel: (stats, cpu s)

    def row(self, channel: str, mode: str) -> dict:
        phases = self.phases[channel]
        total = Stats(
            latencies=[x for s, _ in phases for x in s.latencies],
            errors=sum(s.errors for s, _ in phases),
            elapsed=sum(s.elapsed for s, _ in phases),
        )
        cpu = sum(c for _, c in phases)
        row = total.row(f"{mode} {channel}, {self.name}")
        row["cpu_ms"] = round(cpu * 1000 / len(total.latencies), 3) if total.latencies else 0
        return row

    def per_round(self, channel: str) -> list[tuple[float, float]]:
        """(updates/s, cpu ms) of each phase."""
        return [(s.rate, c * 1000 / len(s.latencies)) for s, c in self.phases[channel]]


@asynccontextmanager
async def served(
    name: str, tree: Path, mode: str, database: int, botapi: int, workdir: Path
) -> AsyncIterator[Side]:
    """`tree`'s `microstore serve --demo` on a fresh database, its stock topped up."""
    port = free_port()
    backend = "postgres" if mode == "pg2" else "sqlite"
    async with fresh_database(backend, workdir) as db_url:
        redis = redis_url(database) if mode == "pg2" else None
        home = workdir / name
        home.mkdir()
        (home / "config.toml").write_text(config(db_url, redis, botapi, "uvloop"), "utf-8")
        exe = [sys.executable, "-m", "bot", "-c", str(home / "config.toml"), "serve", "--demo"]
        exe += ["--port", str(port)] + (["--workers", "2"] if mode == "pg2" else [])
        server = await start(exe, home, clean_env(PYTHONPATH=str(tree)), port)
        try:
            async with aiohttp.ClientSession() as http:
                await stock_up(http, f"http://127.0.0.1:{port}")
            yield Side(name, tree, port, server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(server.wait(), 20)
            except TimeoutError:
                server.kill()
                await server.wait()


def senders(http: aiohttp.ClientSession, side: Side) -> dict[str, Callable]:
    base = f"http://127.0.0.1:{side.port}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    def telegram(uid: int, text: str):  # type: ignore[no-untyped-def]
        return post(http, f"{base}/telegram/webhook", json=update(uid, text), headers=headers)

    def wechat(uid: int, text: str):  # type: ignore[no-untyped-def]
        body = wechat_body(f"oBench{uid:08d}", text).encode()
        return post(http, f"{base}/wechat/bench", params=signed_query(WX_TOKEN), data=body)

    return {"telegram": telegram, "wechat": wechat}


async def compare(
    against: Path, mode: str, users: int, seconds: float, rounds: int, workdir: Path
) -> list[dict]:
    botapi = free_port()
    standin = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "standins.py"), "botapi", str(botapi)
    )
    try:
        async with AsyncExitStack() as stack:
            sides = [
                await stack.enter_async_context(served(name, tree, mode, database, botapi, workdir))
                for name, tree, database in zip(
                    ("this", f"against {against.name}"),
                    (THIS, against),
                    REDIS_DATABASES,
                    strict=True,
                )
            ]
            http = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            )
            send = {side.name: senders(http, side) for side in sides}
            for channel in ("telegram", "wechat"):
                for side in sides:  # warm-up
                    await closed_loop(users, 2.0, send[side.name][channel])
                for r in range(rounds):
                    for side in sides if r % 2 == 0 else sides[::-1]:  # ABBA
                        began = tree_cpu(side.pid)
                        stats = await closed_loop(users, seconds, send[side.name][channel])
                        cpu = tree_cpu(side.pid) - began
                        side.phases.setdefault(channel, []).append((stats, cpu))
            return [row for channel in ("telegram", "wechat") for row in rows(sides, channel, mode)]
    finally:
        standin.send_signal(signal.SIGTERM)
        await standin.wait()


def rows(sides: list[Side], channel: str, mode: str) -> list[dict]:
    this, other = sides
    out = [this.row(channel, mode), other.row(channel, mode)]
    rates, cpus = [], []
    for (rate, cpu), (rate0, cpu0) in zip(
        this.per_round(channel), other.per_round(channel), strict=True
    ):
        rates.append(rate / rate0)
        cpus.append(cpu / cpu0)
    out.append(
        {
            "run": f"{mode} {channel}, this / against",
            "per_s": f"{statistics.median(rates):.3f}",
            "cpu_ms": f"{statistics.median(cpus):.3f}",
            "rounds": " ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(rates, cpus, strict=True)),
        }
    )
    return out


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--against", type=Path, required=True, help="the other checkout's root")
    p.add_argument("--mode", choices=["embedded", "pg2"], default="pg2")
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--seconds", type=float, default=5.0, help="one phase")
    p.add_argument("--rounds", type=int, default=6, help="phases per tree and channel")
    args = p.parse_args()
    against = args.against.resolve()
    if not (against / "bot" / "__main__.py").is_file():
        p.error(f"--against: {against} is not a microstore checkout")
    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(
            compare(against, args.mode, args.users, args.seconds, args.rounds, Path(tmp))
        )
    print(table(found, COLUMNS))
    print(f"results: {save('compare', vars(args) | {'runs': found})}")


if __name__ == "__main__":
    main()
