"""On the real backends: a login link spent exactly once under concurrent use on PostgreSQL,
and server-side sessions in Redis that logout revokes.

Run when MICROSTORE_TEST_POSTGRES / MICROSTORE_TEST_REDIS are set; skipped otherwise.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest

from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from bot.simulator.inbox import PLATFORM, Inbox
from store.demo import seed_demo
from store.login_links import LoginLinkInvalid
from tests.conftest import Chat, FakeClock
from tests.dashboard.conftest import Dashboard, dashboard_client
from tests.integration.conftest import (
    PG_ENV,
    PG_SKIP,
    REDIS_ENV,
    REDIS_SKIP,
    _create_database,
    _drop_database,
    with_database,
)


@pytest.fixture
async def pg_runtime(clock: FakeClock) -> AsyncIterator[Runtime]:
    admin = os.environ.get(PG_ENV)
    if not admin:
        pytest.skip(PG_SKIP)
    name = f"test_dash_{secrets.token_hex(4)}"
    await _create_database(admin, name)
    try:
        url = with_database(admin, name)
        settings = load_settings(database={"url": url + "?minsize=10&maxsize=10"})
        runtime = await build_runtime(settings, clock=clock, create_schema=True)
        try:
            yield runtime
        finally:
            await runtime.close()
    finally:
        await _drop_database(admin, name)


async def test_a_link_is_spent_once_under_concurrent_use(pg_runtime: Runtime) -> None:
    services = pg_runtime.services
    shop = await seed_demo(services)
    owner = (await services.shops.staff(shop.id))[0]
    link = await services.logins.issue(shop.id, owner.person_id)  # type: ignore[attr-defined]
    token = link.rsplit("/", 1)[1]
    results = await asyncio.gather(
        *(services.logins.redeem(token) for _ in range(12)), return_exceptions=True
    )
    granted = [r for r in results if not isinstance(r, BaseException)]
    assert len(granted) == 1 and granted[0].shop_id == shop.id
    assert all(isinstance(r, LoginLinkInvalid) for r in results if r not in granted)


@pytest.fixture
async def redis_dash(clock: FakeClock) -> AsyncIterator[Dashboard]:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(REDIS_SKIP)
    settings = load_settings(
        database={"url": "sqlite://:memory:"}, redis={"url": url}, shop={"locale": "en"}
    )
    runtime = await build_runtime(settings, clock=clock, create_schema=True)
    inbox = Inbox()
    runtime.register_sender(PLATFORM, inbox.deliver)
    await seed_demo(runtime.services)
    try:
        async with dashboard_client(Chat(runtime, inbox)) as dash:
            yield dash
    finally:
        await runtime.close()


async def test_redis_sessions_are_revoked_at_logout(redis_dash: Dashboard) -> None:
    dash = redis_dash
    await dash.login()
    cookie = next(c for c in dash.client.session.cookie_jar if c.key == "ms_dashboard")
    assert "." not in cookie.value and len(cookie.value) < 60  # an id, not the session itself
    assert (await dash.get("/dashboard"))[0] == 200
    status, _, _ = await dash.post("/dashboard/logout")
    assert status == 200
    # The old cookie, replayed, no longer opens anything: the session is gone from Redis.
    jar = dash.client.session.cookie_jar
    jar.update_cookies(
        {"ms_dashboard": cookie.value}, response_url=dash.client.make_url("/dashboard/")
    )
    assert (await dash.get("/dashboard"))[0] == 401
