"""Who is in a shop's community: first private contact subscribes, /unsubscribe leaves."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Case, F, Value, When

from store.clock import Clock
from store.community.models import CustomerTag, Subscription, SubscriptionStatus
from store.errors import InvalidInput
from store.people import PeopleService

S = SubscriptionStatus
# A message refreshes last_seen_at at most this often per (shop, identity) and process:
# the WeChat 48-hour window does not need second precision, the database needs few writes.
TOUCH_EVERY = timedelta(minutes=5)
_REMEMBER = 50_000  # (shop, identity) pairs remembered before the memo starts again
MAX_TAG = 32


def clean_tag(tag: str) -> str:
    tag = tag.strip().lstrip("#").casefold()
    if not 1 <= len(tag) <= MAX_TAG or any(c.isspace() or c in ":|" for c in tag):
        raise InvalidInput("bad_tag", high=MAX_TAG)
    return tag


class SubscriptionService:
    def __init__(self, clock: Clock, people: PeopleService) -> None:
        self.clock = clock
        self.people = people
        self._touched: dict[tuple[int, int], datetime] = {}

    async def touch(self, shop_id: int, identity_id: int, *, new: bool = False) -> None:
        """A private message from this identity in this shop: it joins the community on
        first contact (a bot started, an account followed) and its last-seen time moves on.
        Someone marked blocked who writes again has unblocked us: subscribed again (noticed
        at their first message after TOUCH_EVERY). `new`: the identity was created by this
        very message, so it can have no subscription yet unless that message made one."""
        now = self.clock()
        key = (shop_id, identity_id)
        last = self._touched.get(key)
        if last is not None and now - last < TOUCH_EVERY:
            return
        if len(self._touched) >= _REMEMBER:
            self._touched.clear()
        self._touched[key] = now
        if not new:
            unblocked = Case(When(status=S.BLOCKED, then=Value(S.SUBSCRIBED)), default=F("status"))
            if await Subscription.filter(shop_id=shop_id, identity_id=identity_id).update(
                last_seen_at=now, status=unblocked
            ):
                return
        try:
            await Subscription.create(shop_id=shop_id, identity_id=identity_id, last_seen_at=now)
        except IntegrityError:  # /unsubscribe as the first message, or a concurrent one
            pass

    async def set_subscribed(self, shop_id: int, identity_id: int, subscribed: bool) -> bool:
        """/subscribe or /unsubscribe; True when it changed something."""
        target = S.SUBSCRIBED if subscribed else S.UNSUBSCRIBED
        rows = (
            await Subscription.filter(shop_id=shop_id, identity_id=identity_id)
            .exclude(status=target)
            .update(status=target)
        )
        if rows:
            return True
        if await Subscription.exists(shop_id=shop_id, identity_id=identity_id):
            return False
        try:
            await Subscription.create(
                shop_id=shop_id, identity_id=identity_id, status=target, last_seen_at=self.clock()
            )
        except IntegrityError:
            return False
        return True

    async def status(self, shop_id: int, identity_id: int) -> SubscriptionStatus | None:
        sub = await Subscription.get_or_none(shop_id=shop_id, identity_id=identity_id)
        return sub.status if sub else None

    async def mark_blocked(self, identity_id: int) -> None:
        """The platform refused delivery: unreachable everywhere, out of every community."""
        await self.people.mark_unreachable_id(identity_id)
        await Subscription.filter(identity_id=identity_id, status=S.SUBSCRIBED).update(
            status=S.BLOCKED
        )

    async def tag(self, shop_id: int, person_id: int, *tags: str) -> bool:
        """Whether any of `tags` was new. Every tag is checked before any is added, so one bad
        tag adds none."""
        added = False
        for tag in dict.fromkeys(clean_tag(t) for t in tags):
            try:
                await CustomerTag.create(shop_id=shop_id, person_id=person_id, tag=tag)
            except IntegrityError:
                continue
            added = True
        return added

    async def untag(self, shop_id: int, person_id: int, tag: str) -> bool:
        rows = await CustomerTag.filter(
            shop_id=shop_id, person_id=person_id, tag=clean_tag(tag)
        ).delete()
        return rows > 0

    async def tags_of(self, shop_id: int, person_id: int) -> list[str]:
        return list(
            await CustomerTag.filter(shop_id=shop_id, person_id=person_id)
            .order_by("tag")
            .values_list("tag", flat=True)
        )
