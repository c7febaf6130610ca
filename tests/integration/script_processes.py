"""Worker scripts in OS processes of their own, for the tests where several processes share
one database (tests/integration/test_processes.py, tests/groupbuy/test_processes.py).

A script takes its JSON spec as its argument, connects, prints READY and waits for a line
on stdin, so that every process starts at once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

Process = asyncio.subprocess.Process


@asynccontextmanager
async def script_processes(
    script: Path, specs: list[dict[str, Any]], start_seconds: float
) -> AsyncIterator[list[Process]]:
    """One process of `script` per spec, each connected and waiting; killed on the way out
    when still running."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    procs: list[Process] = []
    try:
        for spec in specs:
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(script),
                    json.dumps(spec),
                    cwd=REPO,
                    env=env,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
            )
        await asyncio.gather(*(_ready(p, start_seconds) for p in procs))
        yield procs
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()


async def _ready(proc: Process, start_seconds: float) -> None:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), start_seconds)
    if line.strip() != b"READY":
        _, err = await proc.communicate()
        raise AssertionError(f"worker did not start: {line!r}\n{err.decode()}")


async def release(procs: list[Process], line: str) -> None:
    """The barrier: every process is connected and waiting; give them `line` together."""
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(line.encode() + b"\n")
    await asyncio.gather(*(p.stdin.drain() for p in procs if p.stdin is not None))
