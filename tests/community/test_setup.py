"""Which platforms a sending process can reach."""

from __future__ import annotations

from bot.broadcast.outbox import OutboxSender
from bot.broadcast.setup import attach_wechat, default_senders
from bot.config import load_settings
from bot.runtime import build_runtime


async def test_a_worker_reaches_wechat_followers_through_the_adapters_sender() -> None:
    settings = load_settings(
        database={"url": "sqlite://:memory:"},
        wechat={"accounts": [{"name": "main", "app_id": "wx1", "secret": "s", "token": "t"}]},
    )
    rt = await build_runtime(settings, create_schema=True)
    try:
        assert default_senders(rt) == {}  # nothing mounted yet: a bare worker
        await attach_wechat(rt)
        senders = default_senders(rt)
        assert list(senders) == ["wechat"]
        assert isinstance(senders["wechat"], OutboxSender)
    finally:
        await rt.close()
