"""Broadcasts: drafted and previewed, sent now or at a time outside quiet hours, paused,
resumed and cancelled by guarded updates. Sending itself is the delivery engine's work."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.functions import Count

from store.clock import Clock
from store.community.audience import Audience
from store.community.models import (
    Broadcast,
    BroadcastStatus,
    CommunitySettings,
    Delivery,
    DeliveryStatus,
    MassSend,
    MassSendStatus,
    Subscription,
    SubscriptionStatus,
)
from store.db import transaction
from store.errors import IllegalTransition, InvalidInput, NotFound

B = BroadcastStatus
D = DeliveryStatus
M = MassSendStatus
MAX_TEXT = 1000  # fits a photo caption (1,024) on Telegram, so one message per recipient
QUIET_HOURS = (22, 8)  # default per shop, in the shop's time zone
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE_HHMM = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})$")

Kick = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Progress:
    total: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    pending: int = 0  # pending or being sent
    recovered: int = 0  # in flight when a sender died: sent again, maybe received twice
    # Follower-wide sends (WeChat mass send): units, and the counts the platform reported.
    mass: int = 0
    mass_waiting: int = 0  # not sent yet, or sent and the platform's report not in yet
    mass_failed: int = 0  # refused by the platform, or cancelled before they went
    followers: int = 0  # TotalCount
    followers_sent: int = 0  # SentCount
    followers_failed: int = 0  # ErrorCount
    followers_filtered: int = 0  # FilterCount: left out by the platform (e.g. its own limits)

    def eta_seconds(self, rate_per_second: float) -> int:
        return int(self.pending / rate_per_second + 0.999) if self.pending else 0


@dataclass(frozen=True, slots=True)
class MassReport:
    """A platform's report of a follower-wide send (WeChat's MASSSENDJOBFINISH)."""

    status: str
    total: int
    sent: int
    errors: int
    filtered: int


@dataclass(frozen=True, slots=True)
class BroadcastView:
    id: int
    segment: str
    text: str
    image_url: str | None
    status: BroadcastStatus
    scheduled_at: datetime | None
    audience: int  # the copied recipients once copied, else the segment's size now
    progress: Progress


def quiet(now: datetime, tz: str, hours: tuple[int, int] = QUIET_HOURS) -> bool:
    start, end = time(hours[0]), time(hours[1])
    local = now.astimezone(ZoneInfo(tz)).time()
    if start == end:
        return False
    if start > end:  # over midnight, e.g. 22:00-08:00
        return local >= start or local < end
    return start <= local < end


def quiet_until(at: datetime, tz: str, hours: tuple[int, int] = QUIET_HOURS) -> datetime | None:
    """When quiet hours that hold at `at` end (a broadcast scheduled then waits until this),
    or None when `at` is outside them."""
    if not quiet(at, tz, hours):
        return None
    local = at.astimezone(ZoneInfo(tz))
    end = local.replace(hour=hours[1], minute=0, second=0, microsecond=0)
    if end <= local:
        end = (local + timedelta(days=1)).replace(hour=hours[1], minute=0, second=0, microsecond=0)
    return end.astimezone(at.tzinfo)


def parse_when(text: str, now: datetime, tz: str) -> datetime:
    """`HH:MM` (the next such time) or `YYYY-MM-DD HH:MM`, in the shop's time zone."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    text = text.strip()
    try:
        if m := _HHMM.match(text):
            at = local_now.replace(hour=int(m[1]), minute=int(m[2]), second=0, microsecond=0)
            if at <= local_now:
                at += timedelta(days=1)
        elif m := _DATE_HHMM.match(text):
            y, mo, d, h, mi = (int(g) for g in m.groups())
            at = datetime(y, mo, d, h, mi, tzinfo=zone)
        else:
            raise ValueError(text)
    except ValueError:
        raise InvalidInput("bad_time", value=text[:20]) from None
    if at <= local_now:
        raise InvalidInput("time_passed", value=text[:20])
    return at.astimezone(now.tzinfo)


class BroadcastService:
    def __init__(self, clock: Clock, audience: Audience, rate_per_second: float = 25.0) -> None:
        self.clock = clock
        self.audience = audience
        self.rate_per_second = rate_per_second  # for estimates; the worker's pacer decides
        self.kick: Kick | None = None  # set by the composition root: wakes the sender
        # Set by the composition root: shop id -> whether its broadcasts to `all` go to every
        # platform follower at once (WeChat mass send), counted only by the platform's report.
        self.follower_wide: Callable[[int], Awaitable[bool]] | None = None

    async def draft(
        self,
        shop_id: int,
        author_id: int,
        segment_text: str,
        text: str,
        image_url: str | None = None,
        buttons: list[list[list[str]]] | None = None,
        opt_out: tuple[str, str] | None = None,
    ) -> BroadcastView:
        """`opt_out` (label, command) is a last button row for people, so each broadcast
        says how to stop them; a post into bound group chats goes without it."""
        segment = self.audience.parse(segment_text)
        if opt_out is not None and segment.kind != "groups":
            buttons = [*(buttons or []), [list(opt_out)]]
        text = text.strip()
        if not 1 <= len(text) <= MAX_TEXT:
            raise InvalidInput("bad_broadcast_text", high=MAX_TEXT)
        if image_url is not None and not image_url.startswith(("http://", "https://")):
            raise InvalidInput("bad_image_url")
        b = await Broadcast.create(
            shop_id=shop_id,
            created_by_id=author_id,
            segment=str(segment),
            text=text,
            image_url=image_url,
            buttons=buttons or [],
        )
        return await self.view(shop_id, b.id)

    async def size(self, shop_id: int, segment_text: str) -> int:
        return await self.audience.size(shop_id, self.audience.parse(segment_text), self.clock())

    async def view(self, shop_id: int, broadcast_id: int) -> BroadcastView:
        b = await self._get(shop_id, broadcast_id)
        progress = await self.progress(b)
        if b.audience_done:
            size = progress.total
        else:
            size = await self.audience.size(shop_id, self.audience.parse(b.segment), self.clock())
            if b.status in (B.SCHEDULED, B.SENDING, B.PAUSED):  # the rest waits to be copied
                waiting = max(0, size - progress.total)
                progress = replace(progress, pending=progress.pending + waiting)
        return BroadcastView(
            b.id, b.segment, b.text, b.image_url, b.status, b.scheduled_at, size, progress
        )

    async def recent(self, shop_id: int, limit: int = 5) -> list[BroadcastView]:
        ids = (
            await Broadcast.filter(shop_id=shop_id)
            .order_by("-id")
            .limit(limit)
            .values_list("id", flat=True)
        )
        return [await self.view(shop_id, bid) for bid in ids]

    async def progress(self, b: Broadcast) -> Progress:
        rows = (
            await Delivery.filter(broadcast_id=b.id)
            .group_by("status")
            .annotate(n=Count("id"))
            .values("status", "n")
        )
        counts = {D(r["status"]): r["n"] for r in rows}
        units = await MassSend.filter(broadcast_id=b.id)
        return Progress(
            total=sum(counts.values()),
            sent=counts.get(D.SENT, 0),
            failed=counts.get(D.FAILED, 0),
            blocked=counts.get(D.BLOCKED, 0),
            skipped=counts.get(D.SKIPPED, 0),
            pending=counts.get(D.PENDING, 0) + counts.get(D.SENDING, 0),
            recovered=b.recovered,
            mass=len(units),
            mass_waiting=sum(u.status in (M.PENDING, M.SENDING, M.SUBMITTED) for u in units),
            mass_failed=sum(u.status == M.FAILED for u in units),
            followers=sum(u.total_count for u in units),
            followers_sent=sum(u.sent_count for u in units),
            followers_failed=sum(u.error_count for u in units),
            followers_filtered=sum(u.filter_count for u in units),
        )

    async def send_now(self, shop_id: int, broadcast_id: int) -> BroadcastView:
        """Start sending now. Refused, changing nothing, when its segment reaches nobody now
        (it would only end "done, sent 0"); scheduling it stays allowed, as the segment may
        grow by then."""
        b = await self._get(shop_id, broadcast_id)
        if b.status in (B.DRAFT, B.SCHEDULED) and not await self._reaches_someone(b):
            raise InvalidInput("broadcast_nobody", id=b.id, segment=b.segment)
        await self._move(
            shop_id, broadcast_id, (B.DRAFT, B.SCHEDULED), B.SENDING, started_at=self.clock()
        )
        await self._kick(broadcast_id)
        return await self.view(shop_id, broadcast_id)

    async def schedule(self, shop_id: int, broadcast_id: int, at: datetime) -> BroadcastView:
        if at <= self.clock():
            raise InvalidInput("time_passed", value=at.isoformat()[:16])
        await self._move(
            shop_id, broadcast_id, (B.DRAFT, B.SCHEDULED), B.SCHEDULED, scheduled_at=at
        )
        return await self.view(shop_id, broadcast_id)

    async def pause(self, shop_id: int, broadcast_id: int) -> BroadcastView:
        await self._move(shop_id, broadcast_id, (B.SENDING,), B.PAUSED)
        return await self.view(shop_id, broadcast_id)

    async def resume(self, shop_id: int, broadcast_id: int) -> BroadcastView:
        await self._move(shop_id, broadcast_id, (B.PAUSED,), B.SENDING)
        await self._kick(broadcast_id)
        return await self.view(shop_id, broadcast_id)

    async def cancel(self, shop_id: int, broadcast_id: int) -> BroadcastView:
        await self._move(
            shop_id,
            broadcast_id,
            (B.DRAFT, B.SCHEDULED, B.SENDING, B.PAUSED),
            B.CANCELLED,
            finished_at=self.clock(),
        )
        await Delivery.filter(broadcast_id=broadcast_id, status=D.PENDING).update(
            status=D.SKIPPED, error="cancelled"
        )
        await MassSend.filter(broadcast_id=broadcast_id, status=M.PENDING).update(
            status=M.FAILED, error="cancelled"
        )
        return await self.view(shop_id, broadcast_id)

    # -- the platform's later reports (webhook events) -------------------------------------

    async def record_mass_report(
        self, platform: str, channel: str, msg_id: str, report: MassReport
    ) -> bool:
        """A follower-wide send's final counts; True the first time (a repeated report
        changes nothing, a report for a message id we never recorded is ignored)."""
        if not msg_id:
            return False
        rows = await MassSend.filter(
            platform=platform, channel=channel, msg_id=msg_id, status=M.SUBMITTED
        ).update(
            status=M.FINISHED,
            job_status=report.status[:64],
            total_count=report.total,
            sent_count=report.sent,
            error_count=report.errors,
            filter_count=report.filtered,
            reported_at=self.clock(),
        )
        return rows > 0

    async def record_template_report(
        self, platform: str, chat_id: str, external_id: str, outcome: DeliveryStatus
    ) -> bool:
        """A template message's fate reported later: a delivery counted as sent becomes
        blocked or failed, once. Blocked: the person refuses this account's messages, so
        they leave the shop's community as blocked (writing to us again brings them back)."""
        if not external_id:
            return False
        row = await Delivery.get_or_none(
            platform=platform,
            chat_id=chat_id,
            external_id=external_id,
            via="template",
            status=D.SENT,
        ).prefetch_related("broadcast")
        if row is None:
            return False
        async with transaction():
            rows = await Delivery.filter(id=row.id, status=D.SENT).update(
                status=outcome, error=f"reported {outcome.value}"
            )
            if rows and outcome == D.BLOCKED and row.identity_id is not None:  # type: ignore[attr-defined]
                await Subscription.filter(
                    shop_id=row.broadcast.shop_id,  # type: ignore[attr-defined]
                    identity_id=row.identity_id,  # type: ignore[attr-defined]
                    status=SubscriptionStatus.SUBSCRIBED,
                ).update(status=SubscriptionStatus.BLOCKED)
        return rows > 0

    async def start_due(self) -> list[int]:
        """Scheduled broadcasts whose time has come and whose shop is outside quiet hours
        start sending (a sweep: idempotent, restart-safe)."""
        now = self.clock()
        started: list[int] = []
        due = await Broadcast.filter(status=B.SCHEDULED, scheduled_at__lte=now).prefetch_related(
            "shop"
        )
        for b in due:
            if quiet(now, b.shop.timezone, await self.quiet_hours(b.shop.id)):
                continue
            rows = await Broadcast.filter(id=b.id, status=B.SCHEDULED).update(
                status=B.SENDING, started_at=now
            )
            if rows:
                started.append(b.id)
                await self._kick(b.id)
        return started

    async def quiet_hours(self, shop_id: int) -> tuple[int, int]:
        prefs = await CommunitySettings.get_or_none(shop_id=shop_id)
        return (prefs.quiet_start, prefs.quiet_end) if prefs else QUIET_HOURS

    async def set_quiet_hours(self, shop_id: int, start: int, end: int) -> None:
        """Hours 0-23; start == end turns quiet hours off."""
        if not (0 <= start <= 23 and 0 <= end <= 23):
            raise InvalidInput("bad_quiet_hours")
        await CommunitySettings.update_or_create(
            defaults={"quiet_start": start, "quiet_end": end}, shop_id=shop_id
        )

    async def sending(self) -> list[int]:
        return list(
            await Broadcast.filter(status=B.SENDING).order_by("id").values_list("id", flat=True)
        )

    async def _get(self, shop_id: int, broadcast_id: int) -> Broadcast:
        b = await Broadcast.get_or_none(id=broadcast_id, shop_id=shop_id)
        if b is None:
            raise NotFound("broadcast_not_found", id=broadcast_id)
        return b

    async def _move(
        self, shop_id: int, broadcast_id: int, expected: tuple[B, ...], to: B, **changes: object
    ) -> None:
        b = await self._get(shop_id, broadcast_id)
        rows = await Broadcast.filter(id=b.id, status__in=expected).update(status=to, **changes)
        if rows == 0:
            raise IllegalTransition("broadcast_state", id=b.id, status=b.status.value)

    async def _reaches_someone(self, b: Broadcast) -> bool:
        segment = self.audience.parse(b.segment)
        if await self.audience.size(b.shop_id, segment, self.clock()):  # type: ignore[attr-defined]
            return True
        # `all` in a shop that mass-sends reaches followers who never wrote: uncounted.
        wide = self.follower_wide
        return segment.kind == "all" and wide is not None and await wide(b.shop_id)  # type: ignore[attr-defined]

    async def _kick(self, broadcast_id: int) -> None:
        if self.kick is not None:
            await self.kick(broadcast_id)
