"""Shared plumbing of the benchmarks: fresh databases, result tables and JSON files."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


def backend_parser(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's options, starting with --backend sqlite|postgres|both (the default)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    return parser


def chosen_backends(choice: str) -> list[str]:
    """`--backend`'s choice, "both" being each of BACKENDS in turn."""
    return list(BACKENDS) if choice == "both" else [choice]


def each_backend(
    choice: str, run: Callable[[str], Coroutine[Any, Any, list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    """`run(backend)`'s rows for each chosen backend, one event loop each."""
    rows: list[dict[str, Any]] = []
    for backend in chosen_backends(choice):
        rows += asyncio.run(run(backend))
    return rows


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


@asynccontextmanager
async def fresh_database(backend: str, workdir: Path) -> AsyncIterator[str]:
    """A new empty database URL; dropped afterwards (PostgreSQL) or left in workdir (SQLite)."""
    if backend == "sqlite":
        yield f"sqlite://{workdir / f'bench-{secrets.token_hex(4)}.db'}"
        return
    import asyncpg

    admin_url = os.environ.get("MICROSTORE_TEST_POSTGRES", DEFAULT_POSTGRES)
    name = f"bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(admin_url)  # its query may name a unix socket: `?host=/var/run/postgresql`
    query = "&".join(filter(None, [url.query, f"maxsize={os.environ.get('BENCH_POOL', '20')}"]))
    try:
        yield urlunsplit(url._replace(path=f"/{name}", query=query))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    line = " | ".join(c.ljust(widths[c]) for c in columns)
    rule = "-+-".join("-" * widths[c] for c in columns)
    body = "\n".join(" | ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows)
    return f"{line}\n{rule}\n{body}"


def save(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload | {"machine": machine()}, indent=2, default=str))
    return path


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its living descendants; 0 off Linux."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def service_cpu(name: str) -> float:
    """CPU seconds a local server (`postgres`, `redis-server`) has used: its living processes,
    plus the children that ended (PostgreSQL's backends: the postmaster reaps them, its
    children's time). 0 when no such process runs here."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            comm, rest = stat.read_text().split(") ", 1)
            if not comm.endswith(f"({name}"):
                continue
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / tick
            parent = Path(f"/proc/{fields[1]}/stat").read_text().split(") ", 1)[0]
            if not parent.endswith(f"({name}"):  # the first of its kind: add reaped children
                total += (int(fields[13]) + int(fields[14])) / tick
        except (OSError, ValueError, IndexError):
            continue
    return total


def postgres_cpu() -> float:
    return service_cpu("postgres")


def busy_cpu() -> float:
    """CPU seconds every core of the machine has spent busy (not idle, not waiting on disk)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class FsyncProbe:
    """Times an 8 KiB write + fdatasync on the benchmark's disk every 50 ms, in a thread:
    a commit waits for the same disk, so a slow flush here explains a latency outlier there
    (this machine's virtual disk was seen to stall flushes for 0.1-0.7 s now and then)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "fsync-probe"
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def __aenter__(self) -> FsyncProbe:
        self._thread.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        await asyncio.to_thread(self._thread.join)

    def take_worst_ms(self) -> float:
        """The slowest flush since the last call, in ms."""
        worst, self.worst = self.worst, 0.0
        return round(worst * 1000, 1)

    def _run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while not self._stop.wait(0.05):
                began = time.perf_counter()
                os.pwrite(fd, b"\0" * 8192, 0)
                os.fdatasync(fd)
                self.worst = max(self.worst, time.perf_counter() - began)
        finally:
            os.close(fd)
            self.path.unlink(missing_ok=True)
