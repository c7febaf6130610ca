"""Fixtures for the community tests: broadcasting wired into the shared chat runtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.broadcast.setup import Broadcasting, start_broadcasting
from bot.runtime import Runtime
from store.community.models import Broadcast, BroadcastStatus
from tests.conftest import Chat


@pytest.fixture
async def broadcasting(chat: Chat, runtime: Runtime) -> AsyncIterator[Broadcasting]:
    """The embedded default: an in-process sender, woken by taskiq's in-memory broker."""
    runtime.settings.broadcast.rate_per_second = 500
    runtime.settings.broadcast.poll_seconds = 0.05
    b = await start_broadcasting(runtime, send=True)
    yield b


async def wait_finished(broadcast_id: int, within: float = 10.0) -> Broadcast:
    """Wait until the broadcast left `sending`, polling the database."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        b = await Broadcast.get(id=broadcast_id)
        if b.status != BroadcastStatus.SENDING:
            return b
        await asyncio.sleep(0.02)
    raise AssertionError(f"broadcast {broadcast_id} still sending after {within}s")
