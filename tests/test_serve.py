"""`microstore serve --demo` as a newcomer starts it: health check, simulator page, web chat."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from tests.servers import clean_env, free_port, serve


@pytest.mark.parametrize("event_loop", ["uvloop", "asyncio"])
async def test_serve_demo_answers_on_the_web(tmp_path: Path, event_loop: str) -> None:
    port = free_port()
    env = clean_env(MICROSTORE_SHOP__LOCALE="en", MICROSTORE_SERVER__EVENT_LOOP=event_loop)
    proc = await serve(tmp_path, port, env=env, quiet=False)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/sim") as r:
                assert r.status == 200 and "microstore" in await r.text()
            async with http.post(
                f"{base}/sim/api/send", json={"user": "alice", "text": "/catalog"}
            ) as r:
                data = await r.json()
            assert "Longjing" in data["replies"][0]["text"]
            assert data["replies"][0]["buttons"]
            async with http.post(f"{base}/sim/api/send", data=b"{not json") as r:
                assert r.status == 400
            async with http.post(f"{base}/sim/api/send", json={"user": "", "text": "hi"}) as r:
                assert r.status == 400
            async with http.post(f"{base}/sim/api/send", data=b"x" * 2_000_000) as r:
                assert r.status == 413
            # --port without a public_url: the dashboard link opens this server, not :8080.
            async with http.post(
                f"{base}/sim/api/send", json={"user": "merchant", "text": "/dashboard"}
            ) as r:
                link = (await r.json())["replies"][0]["text"].split("\n")[1]
            assert link.startswith(f"{base}/dashboard/login/"), link
            async with http.get(link) as r:
                assert r.status == 200 and 'name="nonce"' in await r.text()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    stderr = (await proc.stderr.read()).decode()  # type: ignore[union-attr]
    assert "database: sqlite://microstore.db; state, de-dup and locks: in-process" in stderr
    assert f"event loop: {event_loop}" in stderr
    assert proc.returncode == 0, stderr
