"""PostgreSQL restarted under load: while it is down every message that needs it gets the
friendly "unavailable" reply (never a 5xx or a traceback), what the process holds (catalog
pages for people it knows) is still served, and once it is back the same `microstore serve`
answers normally again, without being restarted.

Runs a private throwaway PostgreSQL cluster (tests/pg_cluster.py).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from tests.pg_cluster import Cluster
from tests.servers import clean_env, free_port, serve

UNAVAILABLE = "can't reach its database right now, so nothing was changed"
BROWSERS = 4  # simulated users sending /catalog and /cart all along
ANSWERS = ("Longjing", "Your cart is empty")  # /catalog's, /cart's


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
