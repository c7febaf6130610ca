"""`microstore wechat menu <account>`: push the custom menu defined in the configuration."""

from __future__ import annotations

import logging

import aiohttp
from redis.asyncio import Redis

from bot.config import Settings
from bot.wechat.api import WeChatApi
from bot.wechat.token import MemoryTokenCache, RedisTokenCache, TokenCache

log = logging.getLogger(__name__)


class MenuError(Exception):
    pass


async def push_menu(settings: Settings, account_name: str) -> None:
    """Create the account's menu (`wechat.accounts[].menu`, WeChat's own button format).

    Shares the running server's access token through Redis when Redis is configured:
    stable_token never invalidates the server's token either way.
    """
    wechat = settings.wechat
    account = next((a for a in wechat.accounts if a.name == account_name), None)
    if account is None:
        names = ", ".join(a.name for a in wechat.accounts) or "none"
        raise MenuError(f"no wechat account {account_name!r} (configured: {names})")
    if not account.menu:
        raise MenuError(f"wechat account {account_name!r} has no menu in the configuration")
    redis = Redis.from_url(settings.redis.url) if settings.redis.url else None
    cache: TokenCache = RedisTokenCache(redis) if redis is not None else MemoryTokenCache()
    try:
        async with aiohttp.ClientSession() as session:
            api = WeChatApi(
                session, wechat.api_base, account.app_id, account.secret.get_secret_value(), cache
            )
            await api.create_menu(account.menu)
        log.info("wechat %s: menu pushed (%d buttons)", account_name, len(account.menu))
    finally:
        if redis is not None:
            await redis.aclose()
