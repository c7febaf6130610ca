"""The once-per-payment notice to a shop's staff, shared by Telegram and WeChat Pay."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.ports import MemoryDedup
from bot.staff_alerts import NOT_APPLIED_TTL_SECONDS, tell_staff_once
from handlers.types import Reply


class Shops:
    def __init__(self, staff: list[Any]) -> None:
        self.staff = staff
        self.down = False

    async def staff_identities(self, shop_id: int) -> list[Any]:
        if self.down:
            raise ConnectionError("database unreachable")
        return self.staff


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []

    def to_account(self, ident: Any, reply: Reply) -> None:
        self.sent.append((ident.platform_user_id, reply))


async def test_told_once_per_key_and_not_claimed_when_the_lookup_fails() -> None:
    staff = [SimpleNamespace(platform="telegram", platform_user_id=u) for u in ("500", "501")]
    shops, outbox, dedup = Shops(staff), Outbox(), MemoryDedup()
    services: Any = SimpleNamespace(shops=shops)

    async def tell(key: str) -> None:
        await tell_staff_once(services, dedup, outbox, 1, key, "refund it")  # type: ignore[arg-type]

    shops.down = True
    with pytest.raises(ConnectionError):
        await tell("pay:1")
    assert outbox.sent == []
    shops.down = False  # the platform delivers its notice again: the key was left for it
    for _ in range(3):
        await tell("pay:1")
    assert [(u, r.text, r.private) for u, r in outbox.sent] == [
        ("500", "refund it", True),
        ("501", "refund it", True),
    ]
    await tell("pay:2")
    assert len(outbox.sent) == 4
    assert NOT_APPLIED_TTL_SECONDS >= 86400  # longer than WeChat repeats a notify
