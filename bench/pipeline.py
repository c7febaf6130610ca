"""Message pipeline: simulated users through the real webhooks, against a bare aiohttp ceiling.

    python bench/pipeline.py                      # embedded (SQLite, 1 process) and pg2
    python bench/pipeline.py --mode embedded --users 32 --seconds 15

Each mode starts `microstore serve` with the Telegram adapter in webhook mode (its Bot API
pointed at a local stand-in) and one WeChat account, then:
1. closed loop, `--users` concurrent users, the realistic mix (of the messages: browse 70%,
   search 10%, cart 15%, checkout 5%) through POST /telegram/webhook: updates/s, p50, p99;
2. the `OPEN_USERS` users' first contacts, `--users` at a time (a burst of newcomers: each
   creates a person, an identity and a subscription, the write-heaviest message there is):
   new users/s, reported on their own; then, in an open loop at half the peak rate, the
   same users coming back for `--seconds`: p50, p99 (the latency target holds here);
3. WeChat text messages through POST /wechat/bench, signed like WeChat signs: p50, p99, p99.9;
4. the same client against a bare aiohttp "hello" handler: the ceiling; ratio = ours / it.
   Measured on asyncio's event loop and on uvloop's (microstore's default loop); the ratio
   is against the one on the server's own loop, the other row is there to compare;
5. the same client and Telegram updates against the smallest aiogram webhook bot, in as many
   processes as the mode has and with no store behind it: answering nothing, answering with
   a sendMessage in the webhook's HTTP response, and with one sendMessage call to the
   stand-in: what aiogram alone costs, as a ratio of the same ceiling; and a bot with no
   framework at all (bare aiohttp both ways) making the same call: what replying costs.
`cpu_ms` is the CPU time the server's processes used per update (Linux /proc): unlike the
rates, it hardly moves when other programs load the machine, so it compares two versions.
The same run splits the rest of the machine's CPU per update: `db_ms` (PostgreSQL),
`redis_ms`, `client_ms` (this benchmark's own process) and `busy_pct` (of all cores): with
the machine saturated, the rate cannot exceed cores / (sum of the four) per second, which
bounds the ratio whatever the server does.
`fsync_max_ms` is the slowest 8 KiB flush a probe saw on the same disk during the run: every
commit waits for one, so a stalling disk shows here when p99 jumps.
Modes: `embedded` = SQLite, no Redis, 1 process; `pg2` = PostgreSQL + Redis, 2 processes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    FsyncProbe,
    busy_cpu,
    fresh_database,
    save,
    service_cpu,
    table,
    tree_cpu,
)
from bench.standins import TOKEN
from tests.servers import clean_env, free_port
from tests.wechat.wire import signed_query

HERE = Path(__file__).resolve().parent
SECRET = "bench-secret-token"
WX_TOKEN = "benchWeChatToken"
PRODUCTS = range(1, 10)
OPEN_USERS = 2_000  # the newcomers, then the open loop's population
FIRST_OPEN_USER = 20_000  # their user ids follow (the closed loop's start at 10,000)
LOOPS = ("asyncio", "uvloop")
COLUMNS = [
    *("run", "requests", "errors", "per_s", "p50_ms", "p99_ms", "p999_ms", "cpu_ms"),
    *("db_ms", "redis_ms", "client_ms", "busy_pct", "fsync_max_ms", "ratio"),
]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000

    def row(self, name: str) -> dict:
        return {
            "run": name,
            "requests": len(self.latencies),
            "errors": self.errors,
            "per_s": round(self.rate, 1),
            "p50_ms": round(self.pct(0.5), 1),
            "p99_ms": round(self.pct(0.99), 1),
            "p999_ms": round(self.pct(0.999), 1),
        }


def telegram_mix(uid: int) -> list[str]:
    """One user's next few messages, drawn so that the messages make the realistic mix:
    70% browse, 10% search, 15% cart, 5% checkout. A checkout is a turn of six messages
    (an add, then five checkout steps), so it is drawn for 1 turn in 95 and its add counts
    with the cart's 15%: 70 + 10 + 14 + 1 turns give 70 + 10 + (14 + 1) + 5 messages."""
    roll = random.random() * 95
    if roll < 70:
        return [random.choice(["/catalog", "/catalog 2", f"/product {random.choice(PRODUCTS)}"])]
    if roll < 80:
        return [f"/search {random.choice(['茶', 'tea', '龙井', 'cake', '围巾'])}"]
    if roll < 94:
        return [random.choice([f"/add {random.choice(PRODUCTS)} 1", "/cart"])]
    return [
        f"/add {random.choice(PRODUCTS)} 1",
        "/checkout",
        f"User {uid}",
        "13800138000",
        "1 Benchmark Road, Hangzhou",
        "/checkout confirm",
    ]


# Unique across runs: with Redis the server remembers update ids (and WeChat MsgIds) for
# days, and would drop a later run's repeats unprocessed.
_update_ids = itertools.count(time.time_ns() // 1000)


def update(uid: int, text: str) -> dict:
    n = next(_update_ids)
    return {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": uid, "type": "private"},
            "from": {"id": uid, "is_bot": False, "first_name": f"U{uid}"},
        },
    }


def wechat_body(openid: str, text: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
        f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]>"
        f"</MsgType><Content><![CDATA[{text}]]></Content><MsgId>{next(_update_ids)}</MsgId>"
        "</xml>"
    )


async def timed(stats: Stats, coro) -> None:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    try:
        status = await coro
        if status != 200:
            stats.errors += 1
            return
    except aiohttp.ClientError:
        stats.errors += 1
        return
    stats.latencies.append(time.perf_counter() - began)


async def post(http: aiohttp.ClientSession, url: str, **kw) -> int:  # type: ignore[no-untyped-def]
    async with http.post(url, **kw) as r:
        await r.read()
        return r.status


async def stock_up(http: aiohttp.ClientSession, base: str) -> None:
    """Enough stock of every product for a whole run, set as the merchant sets it."""
    for pid in PRODUCTS:
        text = f"/stock {pid} 1000000"
        await post(http, f"{base}/sim/api/send", json={"user": "merchant", "text": text})


async def closed_loop(users: int, seconds: float, send) -> Stats:  # type: ignore[no-untyped-def]
    stats = Stats()
    deadline = time.perf_counter() + seconds

    async def user(uid: int) -> None:
        while time.perf_counter() < deadline:
            for text in telegram_mix(uid):
                await timed(stats, send(uid, text))

    began = time.perf_counter()
    await asyncio.gather(*(user(10_000 + i) for i in range(users)))
    stats.elapsed = time.perf_counter() - began
    return stats


async def first_contacts(users: int, send) -> Stats:  # type: ignore[no-untyped-def]
    """Each of the open loop's users sends its first message, `users` at a time: how fast a
    burst of newcomers is answered. (At a fixed rate, a rate they could not keep up with
    would measure the queue.)"""
    stats = Stats()
    newcomers = iter(range(OPEN_USERS))

    async def user() -> None:
        for i in newcomers:
            uid = FIRST_OPEN_USER + i
            await timed(stats, send(uid, telegram_mix(uid)[0]))

    began = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(users)))
    stats.elapsed = time.perf_counter() - began
    return stats


async def open_loop(rate: float, seconds: float, send) -> Stats:  # type: ignore[no-untyped-def]
    """Arrivals at a fixed rate whatever the answers do: latency without queueing in the client.
    Arrival i comes from user i mod OPEN_USERS."""
    stats = Stats()
    tasks = []
    began = time.perf_counter()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        uid = FIRST_OPEN_USER + i % OPEN_USERS
        text = telegram_mix(uid)[0]
        tasks.append(asyncio.create_task(timed(stats, send(uid, text))))
    await asyncio.gather(*tasks)
    stats.elapsed = time.perf_counter() - began
    return stats


def cpu_per(stats: Stats, seconds: float) -> float:
    return round(seconds * 1000 / len(stats.latencies), 2) if stats.latencies else 0.0


class CpuBudget:
    """Where the machine's CPU went during one run, per answered request: the server's
    processes, PostgreSQL, Redis and this client (see the module's doc)."""

    def __init__(self, *server_pids: int) -> None:
        self.pids = server_pids
        self.began = self._now()
        self.wall = time.perf_counter()

    def _now(self) -> tuple[float, ...]:
        return (
            sum(tree_cpu(p) for p in self.pids),
            service_cpu("postgres"),
            service_cpu("redis-server"),
            time.process_time(),
            busy_cpu(),
        )

    def fill(self, row: dict, stats: Stats) -> dict:
        server, db, redis, client, busy = (
            end - start for end, start in zip(self._now(), self.began, strict=True)
        )
        wall = time.perf_counter() - self.wall
        row["cpu_ms"] = cpu_per(stats, server)
        row["db_ms"], row["redis_ms"] = cpu_per(stats, db), cpu_per(stats, redis)
        row["client_ms"] = cpu_per(stats, client)
        row["busy_pct"] = round(100 * busy / (wall * (os.cpu_count() or 1)))
        return row


async def start(args: list[str], cwd: Path, env: dict[str, str], port: int):  # type: ignore[no-untyped-def]
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz"):
                    return proc
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{args} did not start")


def config(db_url: str, redis: str | None, botapi: int, event_loop: str) -> str:
    return f"""
log_level = "WARNING"
[database]
url = "{db_url}"
{f'[redis]{chr(10)}url = "{redis}"' if redis else ""}
[server]
public_url = "https://bench.example.com"
event_loop = "{event_loop}"
simulator = true  # stock_up sets the stock as the merchant, through /sim
[shop]
locale = "en"
[telegram]
token = "{TOKEN}"
mode = "webhook"
webhook_secret = "{SECRET}"
api_server = "http://127.0.0.1:{botapi}"
[wechat]
api_base = "http://127.0.0.1:{botapi}"
[[wechat.accounts]]
name = "bench"
app_id = "wxbench000000000"
secret = "bench-secret"
token = "{WX_TOKEN}"
shop = "demo"
"""


async def run_mode(
    mode: str, users: int, seconds: float, workdir: Path, event_loop: str
) -> list[dict]:
    env = clean_env()
    botapi, port = free_port(), free_port()
    hello_ports = {loop: free_port() for loop in LOOPS}
    standin = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "standins.py"), "botapi", str(botapi)
    )
    hellos = {
        loop: await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "standins.py"), "hello", str(hello_ports[loop]), loop
        )
        for loop in LOOPS
    }
    rows: list[dict] = []
    server = None
    try:
        backend = "postgres" if mode == "pg2" else "sqlite"
        async with fresh_database(backend, workdir) as db_url:
            redis = (
                os.environ.get("MICROSTORE_TEST_REDIS", "redis://127.0.0.1:6379/13")
                if mode == "pg2"
                else None
            )
            settings = config(db_url, redis, botapi, event_loop)
            (workdir / "config.toml").write_text(settings, encoding="utf-8")
            exe = [
                sys.executable,
                "-m",
                "bot",
                "-c",
                str(workdir / "config.toml"),
                "serve",
                "--demo",
                "--port",
                str(port),
            ] + (["--workers", "2"] if mode == "pg2" else [])
            await asyncio.sleep(0.5)  # the stand-ins bind
            server = await start(exe, workdir, env, port)
            await asyncio.sleep(1.0 if mode == "pg2" else 0.2)
            base = f"http://127.0.0.1:{port}"
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            connector = aiohttp.TCPConnector(limit=0)
            async with (
                aiohttp.ClientSession(connector=connector) as http,
                FsyncProbe(workdir) as probe,
            ):
                await stock_up(http, base)

                def tg(uid: int, text: str):  # type: ignore[no-untyped-def]
                    return post(
                        http, f"{base}/telegram/webhook", json=update(uid, text), headers=headers
                    )

                def wx(uid: int, text: str):  # type: ignore[no-untyped-def]
                    return post(
                        http,
                        f"{base}/wechat/bench",
                        params=signed_query(WX_TOKEN),
                        data=wechat_body(f"oBench{uid:08d}", text).encode(),
                    )

                await closed_loop(users, 2.0, tg)  # warm-up
                budget = CpuBudget(server.pid)
                probe.take_worst_ms()
                peak = await closed_loop(users, seconds, tg)
                rows.append(budget.fill(peak.row(f"{mode} telegram peak ({event_loop})"), peak))
                rows[-1]["fsync_max_ms"] = probe.take_worst_ms()
                await asyncio.sleep(1.0)  # answers still in flight settle
                budget = CpuBudget(server.pid)
                probe.take_worst_ms()
                first = await first_contacts(users, tg)
                rows.append(budget.fill(first.row(f"{mode} telegram first contacts"), first))
                rows[-1]["fsync_max_ms"] = probe.take_worst_ms()
                budget = CpuBudget(server.pid)
                half = await open_loop(peak.rate / 2, seconds, tg)
                rows.append(budget.fill(half.row(f"{mode} telegram at half peak"), half))
                rows[-1]["fsync_max_ms"] = probe.take_worst_ms()
                budget = CpuBudget(server.pid)
                wechat = await closed_loop(users, seconds, wx)
                rows.append(budget.fill(wechat.row(f"{mode} wechat passive"), wechat))
                rows[-1]["fsync_max_ms"] = probe.take_worst_ms()

                ceilings = {}
                for loop, hello in hellos.items():

                    def bare(uid: int, text: str, port: int = hello_ports[loop]):  # type: ignore[no-untyped-def]
                        return post(http, f"http://127.0.0.1:{port}/hello", json=update(uid, text))

                    budget = CpuBudget(hello.pid)
                    ceilings[loop] = hello_run = await closed_loop(users, seconds, bare)
                    rows.append(
                        budget.fill(hello_run.row(f"{mode} bare aiohttp hello, {loop}"), hello_run)
                    )
                ceiling = ceilings[event_loop]
                rows[0]["ratio"] = round(peak.rate / ceiling.rate, 3) if ceiling.rate else 0
                for answer in ("silent", "in-response", "reply", "json-reply", "bare-reply"):
                    rows.append(
                        await floor_run(
                            http, mode, answer, botapi, users, seconds, ceilings["asyncio"]
                        )
                    )
    finally:  # never leave the stand-ins or the server behind, whatever failed
        procs = [p for p in (server, standin, *hellos.values()) if p is not None]
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
    return rows


async def floor_run(
    http: aiohttp.ClientSession,
    mode: str,
    answer: str,
    botapi: int,
    users: int,
    seconds: float,
    ceiling: Stats,
) -> dict:
    port = free_port()
    floors = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "standins.py"), "floor", str(port), str(botapi), answer
        )
        for _ in range(2 if mode == "pg2" else 1)
    ]
    try:
        url = f"http://127.0.0.1:{port}/webhook"
        for _ in range(300):  # every process binds
            try:
                await post(http, url, json=update(1, "up"))
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)

        def send(uid: int, text: str):  # type: ignore[no-untyped-def]
            return post(http, url, json=update(uid, text))

        budget = CpuBudget(*(p.pid for p in floors))
        stats = await closed_loop(users, seconds, send)
        framework = "no framework" if answer == "bare-reply" else "aiogram"
        row = budget.fill(stats.row(f"{mode} {framework} floor, {answer}"), stats)
        row["ratio"] = round(stats.rate / ceiling.rate, 3) if ceiling.rate else 0
        return row
    finally:
        for proc in floors:
            proc.send_signal(signal.SIGTERM)
        for proc in floors:
            await proc.wait()


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--mode", choices=["embedded", "pg2", "both"], default="both")
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument(
        "--event-loop", choices=LOOPS, default="uvloop", help="the server's server.event_loop"
    )
    args = p.parse_args()
    modes = ["embedded", "pg2"] if args.mode == "both" else [args.mode]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            rows += asyncio.run(
                run_mode(mode, args.users, args.seconds, Path(tmp), args.event_loop)
            )
    print(table(rows, COLUMNS))
    print(
        f"results: {save('pipeline', {'users': args.users, 'seconds': args.seconds, 'runs': rows})}"
    )


if __name__ == "__main__":
    main()
