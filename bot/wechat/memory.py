"""What the adapter remembers per person between messages, in the runtime's key-value port:
the numbered options of the last answer and the pages still to show after "more"."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

MEMORY_TTL_SECONDS = 24 * 3600
MAX_OPTION_DIGITS = 3

Entry = tuple[str, str, int]  # key, value, seconds to keep it


def option_number(text: str) -> int | None:
    """The option `text` picks ("1", "２", " 3 "), or None: it is not a number."""
    word = text.strip()
    if not word or len(word) > MAX_OPTION_DIGITS or not word.isdecimal():
        return None
    return int(word)


class KeyValue(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_seconds: int) -> None: ...
    async def set_many(self, entries: Sequence[Entry]) -> None: ...


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

    def _entry(self, kind: str, openid: str, values: Sequence[str]) -> Entry:
        dumped = json.dumps(list(values), ensure_ascii=False)
        return self._key(kind, openid), dumped, MEMORY_TTL_SECONDS

    def entries(
        self,
        openid: str,
        *,
        options: Sequence[str] | None = None,
        pages: Sequence[str] | None = None,
    ) -> list[Entry]:
        """The writes that remember an answer's numbered options and its pages for "more",
        for the caller to send with its own in one round trip; None leaves that one as it is."""
        kinds = (("options", options), ("pages", pages))
        return [self._entry(kind, openid, v) for kind, v in kinds if v is not None]

    async def remember(
        self,
        openid: str,
        *,
        options: Sequence[str] | None = None,
        pages: Sequence[str] | None = None,
    ) -> None:
        if entries := self.entries(openid, options=options, pages=pages):
            await self._kv.set_many(entries)

    async def option(self, openid: str, n: int) -> str | None:
        """The payload of option `n` of the last answer, if it had one."""
        options = await self._list("options", openid)
        return options[n - 1] if 1 <= n <= len(options) else None

    async def next_page(self, openid: str) -> str | None:
        pages = await self._list("pages", openid)
        if not pages:
            return None
        await self._kv.set(*self._entry("pages", openid, pages[1:]))
        return pages[0]
