"""One configured Official Account: its secrets, crypto, API client and per-user memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from wechatpy.crypto import WeChatCrypto

from bot.config import WeChatAccount
from bot.wechat.api import WeChatApi
from bot.wechat.memory import KeyValue, UserMemory
from bot.wechat.token import MemoryTokenCache, RedisTokenCache, TokenCache


@dataclass(slots=True)
class AccountEndpoint:
    config: WeChatAccount
    token: str  # the "Token" of the server configuration (signatures)
    crypto: WeChatCrypto | None  # with an EncodingAESKey: safe and compatible modes
    api: WeChatApi
    memory: UserMemory

    @property
    def name(self) -> str:
        return self.config.name


def build_endpoint(
    config: WeChatAccount,
    session: aiohttp.ClientSession,
    api_base: str,
    token_cache: TokenCache,
    kv: KeyValue,
) -> AccountEndpoint:
    token = config.token.get_secret_value()
    aes_key = config.encoding_aes_key.get_secret_value() if config.encoding_aes_key else None
    crypto = WeChatCrypto(token, aes_key, config.app_id) if aes_key else None
    api = WeChatApi(session, api_base, config.app_id, config.secret.get_secret_value(), token_cache)
    return AccountEndpoint(
        config=config, token=token, crypto=crypto, api=api, memory=UserMemory(kv, config.name)
    )


def build_endpoints(runtime: Any, session: aiohttp.ClientSession) -> dict[str, AccountEndpoint]:
    """Every configured account's endpoint on `session`. Access tokens live in Redis when it
    is configured, so every process (adapter, broadcast workers) shares one per account."""
    cache: TokenCache = (
        RedisTokenCache(runtime.redis) if runtime.redis is not None else MemoryTokenCache()
    )
    wechat = runtime.settings.wechat
    return {
        a.name: build_endpoint(a, session, wechat.api_base, cache, runtime.kv)
        for a in wechat.accounts
    }
