"""Shared fixtures: a runtime on in-memory SQLite, a chat driver for the simulator platform,
the bare schema for tests that build their own services, and a private PostgreSQL cluster
that fault tests stop and start."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from bot.simulator.inbox import PLATFORM, Inbox
from handlers.types import Incoming, Reply
from store.db import close_db, init_db
from store.demo import DEMO_MERCHANT, seed_demo
from tests.pg_cluster import Cluster, private_cluster


class FakeClock:
    """A clock the test moves by hand, so deadlines pass without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class Chat:
    """Talks to the engine exactly as the simulator does."""

    _ids = itertools.count(1)

    def __init__(self, runtime: Runtime, inbox: Inbox) -> None:
        self.runtime = runtime
        self.inbox = inbox

    async def say(
        self, user: str, text: str, *, group: str | None = None, button: bool = False
    ) -> list[Reply]:
        msg = Incoming(
            platform=PLATFORM,
            user_id=user,
            chat_id=f"group:{group}" if group else user,
            text=text,
            message_id=f"t{next(self._ids)}",
            is_group=group is not None,
            display_name=user,
            via_button=button,
        )
        replies = await self.runtime.engine.handle(msg)
        await self.runtime.outbox.drain()
        return replies

    async def text(self, user: str, text: str, **kw: object) -> str:
        return "\n".join(r.text for r in await self.say(user, text, **kw))  # type: ignore[arg-type]

    def pushed(self, user: str) -> str:
        return "\n".join(r.text for r in self.inbox.take(user))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[None]:
    """The store's schema in a new SQLite file, connected; no services built."""
    await init_db(f"sqlite://{tmp_path / 'store.db'}", create_schema=True)
    try:
        yield
    finally:
        await close_db()


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with private_cluster() as found:
        yield found


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def runtime(clock: FakeClock) -> AsyncIterator[Runtime]:
    settings = load_settings(database={"url": "sqlite://:memory:"}, shop={"locale": "en"})
    rt = await build_runtime(settings, clock=clock, create_schema=True)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def chat(runtime: Runtime) -> Chat:
    inbox = Inbox()
    runtime.register_sender(PLATFORM, inbox.deliver)
    await seed_demo(runtime.services)
    return Chat(runtime, inbox)


MERCHANT = DEMO_MERCHANT
