"""`serve --workers 2`: two processes on one port share the conversation through Redis, and
hear each other's shop changes (a staff role given in one holds at once in the other)."""

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


async def test_two_workers_share_a_checkout_and_the_shop_roles(tmp_path: Path) -> None:
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

    async def say(who: str, text: str) -> str:
        # a fresh connection each time, so the kernel spreads them over both processes
        async with (
            aiohttp.ClientSession() as one,
            one.post(url, json={"user": who, "text": text}) as r,
        ):
            return str((await r.json())["replies"][0]["text"])

    try:
        banner = await asyncio.wait_for(proc.stdout.readline(), 30)  # type: ignore[union-attr]
        assert b"with 2 processes" in banner
        await wait_healthy(port)
        await asyncio.sleep(1.0)  # the second process listens too
        texts = [
            await say(user, text)
            for text in (
                "/add 2",
                "/checkout",
                "Li Si",
                "13900139000",
                "2 Nanjing Road",
                "/checkout confirm",
            )
        ]
        assert re.search(r"Order [2-9A-Z]{8} placed", texts[-1]), texts

        # Both processes keep a copy of the shop's roles; a change in one reaches the other.
        helper = f"h{os.getpid()}"
        refused = {await say(helper, "/stock 2 77") for _ in range(8)}
        assert len(refused) == 1 and "77" not in next(iter(refused)), refused
        assert "now staff" in await say("merchant", f"/staff add {helper}")
        allowed = [await say(helper, "/stock 2 77") for _ in range(8)]
        assert all("77" in text for text in allowed), allowed
        await say("merchant", f"/staff remove {helper}")
        assert {await say(helper, "/stock 2 78") for _ in range(8)} == refused
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
    assert proc.returncode == 0
