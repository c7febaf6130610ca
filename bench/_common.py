"""Shared plumbing of the benchmarks: fresh databases, result tables and JSON files."""

from __future__ import annotations

import json
import os
import platform
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"


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
    base = admin_url.rsplit("/", 1)[0]
    try:
        pool = os.environ.get("BENCH_POOL", "20")
        yield f"{base}/{name}?maxsize={pool}"
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
