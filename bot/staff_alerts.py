"""Money a payment platform took for an order that can't take it (paid otherwise,
cancelled, the wrong amount): the shop's owner and staff are told, so a person gives it
back, once per payment however often the platform repeats its notice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.outbox import Outbox
from handlers.types import Reply
from store.services import StoreServices

if TYPE_CHECKING:
    from bot.runtime import Deduplicator

# Longer than any platform repeats a notice (WeChat Pay: about a day).
NOT_APPLIED_TTL_SECONDS = 7 * 86400


async def tell_staff_once(
    services: StoreServices,
    dedup: Deduplicator,
    outbox: Outbox,
    shop_id: int,
    key: str,
    text: str,
) -> None:
    """`text` privately to the shop's owner and staff, the first time `key` (the platform's
    payment id) is seen. The key is claimed last, after everything that reads the
    database, so a failure before it leaves the message to the notice's next delivery."""
    staff = await services.shops.staff_identities(shop_id)
    if not await dedup.first_time(key, NOT_APPLIED_TTL_SECONDS):
        return
    for ident in staff:
        outbox.to_account(ident, Reply(text=text, private=True))
