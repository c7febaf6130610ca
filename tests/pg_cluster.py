"""A private throwaway PostgreSQL cluster (initdb into a temporary directory, its own port
and socket directory) that a fault test may stop and start, never the shared server; skipped
where initdb is not installed or, as root, where there is no `postgres` user to run it as."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port


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


@contextlib.asynccontextmanager
async def private_cluster() -> AsyncIterator[Cluster]:
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
