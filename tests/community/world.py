"""Building a large community fast (bulk inserts), for delivery tests and the benchmark."""

from __future__ import annotations

from datetime import datetime

from store.community.models import Subscription, SubscriptionStatus
from store.models import Identity, Person, Shop

FIRST_CHAT = 100_000


async def populate(
    shop: Shop,
    count: int,
    *,
    now: datetime,
    platform: str = "telegram",
    unsubscribed_every: int = 0,
    batch: int = 1000,
) -> list[str]:
    """`count` people with a private chat each, subscribed to `shop` (every n-th
    unsubscribed when `unsubscribed_every`). Returns their chat ids in order."""
    chats: list[str] = []
    for start in range(0, count, batch):
        size = min(batch, count - start)
        first = await Person.create(display_name="p")  # bulk inserts return no ids on SQLite
        await Person.bulk_create([Person(display_name="p") for _ in range(size - 1)])
        ids = list(
            await Person.filter(id__gte=first.id)
            .order_by("id")
            .limit(size)
            .values_list("id", flat=True)
        )
        numbers = range(FIRST_CHAT + start, FIRST_CHAT + start + size)
        await Identity.bulk_create(
            [
                Identity(
                    platform=platform, platform_user_id=str(n), person_id=pid, private_chat_ok=True
                )
                for n, pid in zip(numbers, ids, strict=True)
            ]
        )
        idents = dict(
            await Identity.filter(
                platform=platform, platform_user_id__in=[str(n) for n in numbers]
            ).values_list("platform_user_id", "id")
        )
        await Subscription.bulk_create(
            [
                Subscription(
                    shop_id=shop.id,
                    identity_id=idents[str(n)],
                    last_seen_at=now,
                    status=SubscriptionStatus.UNSUBSCRIBED
                    if unsubscribed_every and (n - FIRST_CHAT) % unsubscribed_every == 0
                    else SubscriptionStatus.SUBSCRIBED,
                )
                for n in numbers
            ]
        )
        chats.extend(str(n) for n in numbers)
    return chats
