"""What the adapter remembers per person between messages, in the runtime's key-value port:
the numbered options of the last answer and the pages still to show after "more"."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

MEMORY_TTL_SECONDS = 24 * 3600
MAX_OPTION_DIGITS = 3


def option_number(text: str) -> int | None:
    """The option `text` picks ("1", "２", " 3 "), or None: it is not a number."""
    word = text.strip()
    if not word or len(word) > MAX_OPTION_DIGITS or not word.isdecimal():
        return None
    return int(word)


class KeyValue(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_seconds: int) -> None: ...


class UserMemory:
    def __init__(self, kv: KeyValue, account: str) -> None:
        self._kv = kv
        self._account = account

    def _key(self, kind: str, openid: str) -> str:
        return f"wechat:{kind}:{self._account}:{openid}"

    async def _list(self, kind: str, openid: str) -> list[str]:
        raw = await self._kv.get(self._key(kind, openid))
        if not raw:
            return []
        value = json.loads(raw)
        return [str(v) for v in value] if isinstance(value, list) else []

    async def _put(self, kind: str, openid: str, values: Sequence[str]) -> None:
        await self._kv.set(
            self._key(kind, openid),
            json.dumps(list(values), ensure_ascii=False),
            MEMORY_TTL_SECONDS,
        )

    async def remember_options(self, openid: str, payloads: Sequence[str]) -> None:
        await self._put("options", openid, payloads)

    async def option(self, openid: str, text: str) -> str | None:
        """The payload of option `text` ("1", "２", " 3 ") from the last answer, if any."""
        n = option_number(text)
        if n is None:
            return None
        options = await self._list("options", openid)
        return options[n - 1] if 1 <= n <= len(options) else None

    async def remember_pages(self, openid: str, pages: Sequence[str]) -> None:
        await self._put("pages", openid, pages)

    async def next_page(self, openid: str) -> str | None:
        pages = await self._list("pages", openid)
        if not pages:
            return None
        await self._put("pages", openid, pages[1:])
        return pages[0]
