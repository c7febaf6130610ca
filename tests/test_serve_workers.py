"""`serve --workers 2`: two processes on one port share the conversation through Redis."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import aiohttp
import pytest

from tests.servers import clean_env, free_port, microstore, wait_healthy

REDIS = os.environ.get("MICROSTORE_TEST_REDIS")
pytestmark = pytest.mark.skipif(
    not REDIS, reason="set MICROSTORE_TEST_REDIS=redis://127.0.0.1:6379/15 to run with Redis"
)


async def test_two_workers_share_one_checkout(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(MICROSTORE_REDIS__URL=str(REDIS), MICROSTORE_SHOP__LOCALE="en")
    proc = await asyncio.create_subprocess_exec(
        *microstore(),
        "serve",
        "--demo",
        "--workers",
        "2",
        "--port",
        str(port),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/sim/api/send"
    user = f"w{os.getpid()}"
    try:
        banner = await asyncio.wait_for(proc.stdout.readline(), 30)  # type: ignore[union-attr]
        assert b"with 2 processes" in banner
        await wait_healthy(port)
        await asyncio.sleep(1.0)  # the second process listens too
        texts = []
        # fresh connections each time, so the kernel spreads them over both processes
        for text in (
            "/add 2",
            "/checkout",
            "Li Si",
            "13900139000",
            "2 Nanjing Road",
            "/checkout confirm",
        ):
            async with (
                aiohttp.ClientSession() as one,
                one.post(url, json={"user": user, "text": text}) as r,
            ):
                texts.append((await r.json())["replies"][0]["text"])
        assert re.search(r"Order [2-9A-Z]{8} placed", texts[-1]), texts
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
    assert proc.returncode == 0
