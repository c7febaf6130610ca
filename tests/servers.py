"""Starting the real `microstore serve` in a subprocess, as a person would, for tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

START_SECONDS = 60.0  # a loaded machine imports aiogram and migrates slowly
REPO = Path(__file__).resolve().parent.parent


def microstore() -> list[str]:
    exe = shutil.which("microstore", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "bot"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the developer's own MICROSTORE_* settings, plus `extra`.

    PYTHONPATH starts with this checkout: the command runs in another directory, where an
    editable install of another checkout (a git worktree's main) would be imported instead."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSTORE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    return env | extra


async def wait_healthy(port: int, seconds: float = START_SECONDS) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    async with aiohttp.ClientSession() as http:
        while asyncio.get_running_loop().time() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"microstore did not answer on port {port} in {seconds:.0f}s")


async def serve(
    workdir: Path, port: int, *args: str, env: dict[str, str] | None = None, quiet: bool = True
) -> asyncio.subprocess.Process:
    """`microstore serve --demo --port PORT *args`, started and answering /healthz."""
    out = asyncio.subprocess.DEVNULL if quiet else asyncio.subprocess.PIPE
    proc = await asyncio.create_subprocess_exec(
        *microstore(),
        "serve",
        "--demo",
        "--port",
        str(port),
        *args,
        cwd=workdir,
        env=env if env is not None else clean_env(),
        stdout=out,
        stderr=out,
    )
    try:
        await wait_healthy(port)
    except AssertionError:
        proc.kill()
        await proc.wait()
        raise
    return proc


async def command(
    workdir: Path, *args: str, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """`microstore *args` started in the background (output discarded), e.g. `sweep`."""
    return await asyncio.create_subprocess_exec(
        *microstore(),
        *args,
        cwd=workdir,
        env=env if env is not None else clean_env(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def kill_when(
    proc: asyncio.subprocess.Process,
    progress: Callable[[], Awaitable[int]],
    at_least: int,
    seconds: float = START_SECONDS,
) -> int:
    """SIGKILL `proc` as soon as `progress()` (polled) reaches `at_least`; the last value seen.

    Fails when the process ends first: then nothing was interrupted."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (seen := await progress()) < at_least:
        if proc.returncode is not None:
            raise AssertionError(f"it finished (exit {proc.returncode}) before the kill: {seen}")
        if asyncio.get_running_loop().time() > deadline:
            proc.kill()
            await proc.wait()
            raise AssertionError(f"no progress to {at_least} in {seconds:.0f}s: {seen}")
        await asyncio.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    return seen


@asynccontextmanager
async def throwaway_redis(workdir: Path) -> AsyncIterator[str]:
    """A private redis-server on a free port, for tests that restart or share it; its URL."""
    from redis.asyncio import Redis

    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        exe,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                await client.ping()
                break
            except Exception:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield url
    finally:
        await client.aclose()
        proc.terminate()
        await proc.wait()
