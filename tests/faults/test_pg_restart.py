"""PostgreSQL restarted under load: while it is down every message that needs it gets the
friendly "unavailable" reply (never a 5xx or a traceback), what the process holds (catalog
pages for people it knows) is still served, and once it is back the same `microstore serve`
answers normally again, without being restarted.

Runs a private throwaway PostgreSQL cluster (initdb into a temporary directory, its own port
and socket directory), never the shared server; skipped where initdb is not installed or,
as root, where there is no `postgres` user to run it as.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.servers import clean_env, free_port, serve

UNAVAILABLE = "can't reach its database right now, so nothing was changed"
BROWSERS = 4  # simulated users sending /catalog and /cart all along
ANSWERS = ("Longjing", "Your cart is empty")  # /catalog's, /cart's


@dataclass
class Cluster:
    bin: Path
    data: Path
    port: int
    user: str | None  # run as this user (initdb refuses root)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    async def ctl(self, *args: str) -> None:
        await _run(self, "pg_ctl", "-D", str(self.data), "-w", "-t", "30", *args)

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.data.parent / "postgres.log"
        await self.ctl("-o", options, "-l", str(log), "start")

    async def stop(self) -> None:
        await self.ctl("-m", "immediate", "stop")


async def _run(cluster: Cluster, program: str, *args: str) -> None:
    command = [str(cluster.bin / program), *args]
    if cluster.user:
        command = ["runuser", "-u", cluster.user, "--", *command]
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, f"{program} failed: {out.decode(errors='replace')}"


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb")]
    if not found[-1]:
        pytest.skip("initdb is not installed: no private PostgreSQL cluster to restart")
    return Path(found[-1]).parent


def _owner() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no `postgres` user to run initdb as")
    if shutil.which("runuser") is None:
        pytest.skip("running as root and runuser is missing: initdb refuses root")
    return "postgres"


@contextlib.contextmanager
def _workdir(user: str | None) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ms-pg-"))  # pytest's tmp_path is private to root
    try:
        if user:
            shutil.chown(path, user)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    binaries, user = _binaries(), _owner()
    with _workdir(user) as work:
        found = Cluster(binaries, work / "data", free_port(), user)
        await _run(found, "initdb", "-D", str(found.data), "-U", "postgres", "-A", "trust", "-N")
        await found.start()
        try:
            yield found
        finally:
            with contextlib.suppress(AssertionError):
                await found.stop()


async def say(http: aiohttp.ClientSession, port: int, user: str, text: str) -> tuple[int, str]:
    async with http.post(
        f"http://127.0.0.1:{port}/sim/api/send", json={"user": user, "text": text}
    ) as r:
        body = await r.text()
        if r.status != 200:
            return r.status, body
        return r.status, "\n".join(reply["text"] for reply in (await r.json())["replies"])


async def test_requests_fail_clearly_while_postgres_is_down_and_recover_after(
    cluster: Cluster, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_env(MICROSTORE_DATABASE__URL=cluster.url, MICROSTORE_SHOP__LOCALE="en")
    server = await serve(tmp_path, port, env=env)
    answers: list[tuple[int, str]] = []
    stop = asyncio.Event()

    async def browse(http: aiohttp.ClientSession, user: str) -> None:
        while not stop.is_set():
            for text in ("/catalog", "/cart"):  # a page the process may hold, a cart it never does
                answers.append(await say(http, port, user, text))
            await asyncio.sleep(0.02)

    try:
        async with aiohttp.ClientSession() as http:
            assert "Longjing" in (await say(http, port, "alice", "/catalog"))[1]
            load = [asyncio.create_task(browse(http, f"b{i}")) for i in range(BROWSERS)]
            await asyncio.sleep(0.5)
            await cluster.stop()
            down = len(answers)
            await asyncio.sleep(1.0)
            status, text = await say(http, port, "alice", "/cart")
            assert status == 200 and UNAVAILABLE in text, (status, text)
            assert any(UNAVAILABLE in t for _, t in answers[down:])
            assert any("Longjing" in t for _, t in answers[down + BROWSERS * 2 :])  # held pages

            await cluster.start()
            deadline = asyncio.get_running_loop().time() + 15
            while "Longjing" not in (text := (await say(http, port, "alice", "/catalog"))[1]):
                assert asyncio.get_running_loop().time() < deadline, text
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*load)
            assert server.returncode is None  # the same process all along
            # After the recovery every browser is served again, and a write works too.
            assert not any(UNAVAILABLE in t for _, t in answers[-BROWSERS * 2 :]), answers[-8:]
            assert "cart" in (await say(http, port, "alice", "/add 1 1"))[1].lower()
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        await server.wait()

    # Every answer, before, during and after, was either the page or cart or the clear refusal.
    assert {status for status, _ in answers} == {200}
    assert all(any(a in t for a in ANSWERS) != (UNAVAILABLE in t) for _, t in answers), answers
    assert not any("Traceback" in t for _, t in answers)
