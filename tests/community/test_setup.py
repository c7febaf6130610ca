"""Which platforms a sending process can reach."""

from __future__ import annotations

from bot.broadcast.setup import default_senders
from bot.broadcast.wechat import WeChatBroadcastSender
from bot.config import load_settings
from bot.runtime import build_runtime


async def test_a_bare_worker_reaches_wechat_followers_with_its_own_sender() -> None:
    settings = load_settings(
        database={"url": "sqlite://:memory:"},
        wechat={"accounts": [{"name": "main", "app_id": "wx1", "secret": "s", "token": "t"}]},
    )
    rt = await build_runtime(settings, create_schema=True)
    try:
        senders = default_senders(rt)  # no web app, no adapter mounted: a worker
        assert list(senders.each) == ["wechat"] and list(senders.mass) == ["wechat"]
        assert isinstance(senders.each["wechat"], WeChatBroadcastSender)
        assert senders.mass["wechat"] is senders.each["wechat"]
    finally:
        await rt.close()
