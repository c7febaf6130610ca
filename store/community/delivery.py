"""The delivery engine: one row per recipient, claimed in small leased batches, paced,
each result written by a guarded update. Restart-safe: a claim whose lease ran out belongs
to a sender that died, and is sent again (counted in `Broadcast.recovered`), so at most the
claimed rows — never more than `concurrency` — can reach someone twice.

A broadcast to `all` goes to a platform's followers in one follower-wide send per channel
(a MassSend row) when the platform's mass sender offers channels for the shop; that
platform's people then get no row of their own. The send carries a client message id fixed
at creation, so a send repeated after a crash is one send on the platform's side."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.expressions import F

from store.clock import Clock, utcnow
from store.community.audience import Audience
from store.community.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    MassSend,
    MassSendStatus,
    Subscription,
    SubscriptionStatus,
)
from store.community.pacing import Pacer
from store.community.port import (
    BroadcastMessage,
    BroadcastSender,
    MassSender,
    SendOutcome,
    SendResult,
    WindowedSender,
)
from store.community.subscriptions import SubscriptionService
from store.db import transaction

log = logging.getLogger(__name__)
D = DeliveryStatus
B = BroadcastStatus
M = MassSendStatus
AUDIENCE_PAGE = 500
MAX_RETRIES = 5  # retry_after answers for one message before it is marked failed


@dataclass(frozen=True, slots=True)
class EngineSettings:
    concurrency: int = 8  # messages in flight at once: also the crash-duplicate bound
    lease_seconds: float = 60.0  # a claim older than this belongs to a dead sender
    status_check_seconds: float = 0.5  # how soon a pause or cancel stops new claims
    # Platforms that only allow messages within a window after the person's last message.
    reply_windows: dict[str, timedelta] = field(
        default_factory=lambda: {"wechat": timedelta(hours=48)}
    )


@dataclass(slots=True)
class RunReport:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0  # retry_after answers
    recovered: int = 0  # expired claims of a dead sender, sent again
    mass_submitted: int = 0  # follower-wide sends the platform accepted
    mass_failed: int = 0
    finished: bool = False


class DeliveryEngine:
    def __init__(
        self,
        senders: dict[str, BroadcastSender],
        pacers: dict[str, Pacer],
        subscriptions: SubscriptionService,
        audience: Audience,
        settings: EngineSettings | None = None,
        clock: Clock = utcnow,
        mass_senders: dict[str, MassSender] | None = None,
    ) -> None:
        self.senders = senders
        self.pacers = pacers
        self.subscriptions = subscriptions
        self.audience = audience
        self.settings = settings or EngineSettings()
        self.clock = clock
        self.mass_senders = mass_senders or {}

    async def run(
        self, broadcast_id: int, keep_going: Callable[[], bool] = lambda: True
    ) -> RunReport:
        """Send what is left of one broadcast; returns when it is done, paused, cancelled,
        or `keep_going()` turns false (the sender lost its lock)."""
        report = RunReport()
        b = await Broadcast.get_or_none(id=broadcast_id)
        if b is None or b.status != B.SENDING:
            return report
        await self._copy_audience(b)
        message = BroadcastMessage(
            b.text, b.image_url, tuple(tuple((lbl, p) for lbl, p in row) for row in b.buttons)
        )
        await self._send_mass(b, message, keep_going, report)
        inflight: set[asyncio.Task[None]] = set()
        cursor = 0
        checked_at = 0.0
        try:
            while keep_going():
                if time.monotonic() - checked_at >= self.settings.status_check_seconds:
                    checked_at = time.monotonic()
                    if not await Broadcast.exists(id=b.id, status=B.SENDING):
                        break
                free = self.settings.concurrency - len(inflight)
                rows: list[tuple[Delivery, bool]] = []
                if free * 2 >= self.settings.concurrency:  # refill in halves: fewer queries
                    rows, cursor = await self._claim(b, cursor, free, report)
                for row, outside in rows:
                    inflight.add(asyncio.create_task(self._deliver(row, outside, message, report)))
                if inflight:
                    _, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if cursor and await Delivery.exists(broadcast_id=b.id, status=D.PENDING):
                    cursor = 0  # recovered rows sit below the cursor
                    continue
                if await self._wait_for_claims(b, report):
                    cursor = 0
                    continue
                rows_done = await Broadcast.filter(id=b.id, status=B.SENDING).update(
                    status=B.DONE, finished_at=self.clock()
                )
                report.finished = rows_done > 0
                break
        finally:
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)
        return report

    # -- the audience, copied once into delivery rows, page by page ------------------------

    async def _copy_audience(self, b: Broadcast) -> None:
        segment = self.audience.parse(b.segment)
        if segment.kind == "all" and not b.audience_done and b.audience_cursor == 0:
            await self._plan_mass(b)
        by_mass = set(
            await MassSend.filter(broadcast_id=b.id).distinct().values_list("platform", flat=True)
        )
        while not b.audience_done:
            page = await self.audience.page(
                b.shop_id, segment, self.clock(), after=b.audience_cursor, limit=AUDIENCE_PAGE
            )
            async with transaction():
                rows = [r for r in page if r.platform not in by_mass]
                if rows:
                    await Delivery.bulk_create(
                        [
                            Delivery(
                                broadcast_id=b.id,
                                identity_id=r.identity_id,
                                platform=r.platform,
                                chat_id=r.chat_id,
                                is_group=r.is_group,
                            )
                            for r in rows
                        ],
                        ignore_conflicts=True,  # a page copied before a crash
                    )
                b.audience_cursor = page[-1].source_id if page else b.audience_cursor
                b.audience_done = len(page) < AUDIENCE_PAGE
                await Broadcast.filter(id=b.id).update(
                    audience_cursor=b.audience_cursor, audience_done=b.audience_done
                )
        if not b.total:
            b.total = await Delivery.filter(broadcast_id=b.id).count()
            await Broadcast.filter(id=b.id).update(total=b.total)

    # -- follower-wide sends --------------------------------------------------------------

    async def _plan_mass(self, b: Broadcast) -> None:
        """One MassSend per channel of each platform that reaches all its followers at once
        (before the first audience page: a crash in between plans the same again)."""
        stamp = int(b.created_at.timestamp())
        for platform, mass in self.mass_senders.items():
            channels = await mass.channels(b.shop_id)
            if channels:
                await MassSend.bulk_create(
                    [
                        MassSend(
                            broadcast_id=b.id,
                            platform=platform,
                            channel=ch,
                            client_msg_id=f"mstore-{b.id}-{stamp}-{ch}"[:64],
                        )
                        for ch in channels
                    ],
                    ignore_conflicts=True,
                )

    async def _send_mass(
        self,
        b: Broadcast,
        message: BroadcastMessage,
        keep_going: Callable[[], bool],
        report: RunReport,
    ) -> None:
        """Send each planned unit once. A unit left `sending` by a sender that died is sent
        again after its lease with the same client message id: the platform says it has it."""
        while keep_going():
            now = self.clock()
            due = await MassSend.filter(broadcast_id=b.id, status=M.PENDING).order_by("id")
            due += await MassSend.filter(
                broadcast_id=b.id, status=M.SENDING, lease_until__lt=now
            ).order_by("id")
            for unit in due:
                if keep_going():
                    await self._send_unit(unit, message, report)
            live = (
                await MassSend.filter(broadcast_id=b.id, status=M.SENDING)
                .order_by("lease_until")
                .first()
            )
            if live is None:
                return
            wait = (live.lease_until - self.clock()).total_seconds() if live.lease_until else 0
            await asyncio.sleep(min(max(wait, 0.01), 1.0))

    async def _send_unit(
        self, unit: MassSend, message: BroadcastMessage, report: RunReport
    ) -> None:
        token = secrets.token_hex(8)
        claimed = await MassSend.filter(
            id=unit.id, status=unit.status, claim=unit.claim, attempts=unit.attempts
        ).update(
            status=M.SENDING,
            claim=token,
            attempts=unit.attempts + 1,
            lease_until=self.clock() + timedelta(seconds=self.settings.lease_seconds),
        )
        if not claimed:
            return
        mass = self.mass_senders.get(unit.platform)
        result = SendResult(SendOutcome.FAILED, error="no_sender")
        for _ in range(MAX_RETRIES):
            if mass is None:
                break
            try:
                result = await mass.send_all(unit.channel, unit.client_msg_id, message)
            except Exception as e:  # unknown outcome: the next attempt reuses the same id
                log.exception("mass send %s on %s failed", unit.id, unit.channel)
                result = SendResult(
                    SendOutcome.RETRY_AFTER, retry_after=1.0, error=type(e).__name__
                )
            if result.outcome != SendOutcome.RETRY_AFTER:
                break
            await asyncio.sleep(result.retry_after)
        mine = MassSend.filter(id=unit.id, status=M.SENDING, claim=token)
        if result.outcome == SendOutcome.SENT:
            if await mine.update(
                status=M.SUBMITTED, msg_id=result.external_id[:32], submitted_at=self.clock()
            ):
                report.mass_submitted += 1
        elif await mine.update(status=M.FAILED, error=result.error[:200] or str(result.outcome)):
            report.mass_failed += 1

    # -- claims -------------------------------------------------------------------------

    async def _claim(
        self, b: Broadcast, after: int, limit: int, report: RunReport
    ) -> tuple[list[tuple[Delivery, bool]], int]:
        """Take up to `limit` pending rows (keyset after `after`) under a fresh lease; rows
        whose person left the community, or is outside the platform's window where the
        platform has nothing for that, are skipped. Returns the rows to send, each with
        "outside the window", and the new keyset cursor."""
        ids = (
            await Delivery.filter(broadcast_id=b.id, status=D.PENDING, id__gt=after)
            .order_by("id")
            .limit(limit)
            .values_list("id", flat=True)
        )
        if not ids:
            return [], after
        token = secrets.token_hex(8)
        now = self.clock()
        await Delivery.filter(id__in=list(ids), status=D.PENDING).update(
            status=D.SENDING,
            claim=token,
            lease_until=now + timedelta(seconds=self.settings.lease_seconds),
        )
        rows = await Delivery.filter(id__in=list(ids), claim=token, status=D.SENDING).order_by("id")
        return await self._drop_ineligible(b, rows, now, report), max(ids)

    async def _drop_ineligible(
        self, b: Broadcast, rows: list[Delivery], now: datetime, report: RunReport
    ) -> list[tuple[Delivery, bool]]:
        people = [r.identity_id for r in rows if r.identity_id is not None]  # type: ignore[attr-defined]
        seen = (
            dict(
                await Subscription.filter(
                    shop_id=b.shop_id,  # type: ignore[attr-defined]
                    identity_id__in=people,
                    status=SubscriptionStatus.SUBSCRIBED,
                    identity__unreachable=False,
                ).values_list("identity_id", "last_seen_at")
            )
            if people
            else {}
        )
        keep: list[tuple[Delivery, bool]] = []
        for row in rows:
            reason = self._skip_reason(row, seen)
            outside = reason is None and self._outside_window(row, seen, now)
            if outside and not isinstance(self.senders[row.platform], WindowedSender):
                reason = "outside_window"
            if reason is None:
                keep.append((row, outside))
            elif await self._finish(row, D.SKIPPED, error=reason):
                report.skipped += 1
        return keep

    def _skip_reason(self, row: Delivery, seen: dict[int, datetime]) -> str | None:
        if row.platform not in self.senders:
            return "no_sender"
        if not row.is_group and row.identity_id not in seen:  # type: ignore[attr-defined]
            return "unsubscribed"
        return None

    def _outside_window(self, row: Delivery, seen: dict[int, datetime], now: datetime) -> bool:
        window = self.settings.reply_windows.get(row.platform)
        if window is None or row.is_group:
            return False
        return now - seen[row.identity_id] > window  # type: ignore[attr-defined]

    async def _wait_for_claims(self, b: Broadcast, report: RunReport) -> bool:
        """Rows still claimed (by a sender that died, or one still running): wait for the
        earliest lease, then hand expired ones back as pending. False when none are left."""
        claimed = (
            await Delivery.filter(broadcast_id=b.id, status=D.SENDING)
            .order_by("lease_until")
            .first()
        )
        if claimed is None:
            return False
        wait = (claimed.lease_until - self.clock()).total_seconds() if claimed.lease_until else 0
        if wait > 0:
            await asyncio.sleep(min(wait, 1.0))
        async with transaction():
            n = await Delivery.filter(
                broadcast_id=b.id, status=D.SENDING, lease_until__lt=self.clock()
            ).update(status=D.PENDING, claim="")
            if n:
                await Broadcast.filter(id=b.id).update(recovered=F("recovered") + n)
        if n:
            report.recovered += n
            log.warning(
                "broadcast %s: %d messages were in flight when a sender stopped; "
                "sending them again (they may arrive twice)",
                b.id,
                n,
            )
        return True

    # -- one message ----------------------------------------------------------------------

    async def _deliver(
        self, row: Delivery, outside: bool, message: BroadcastMessage, report: RunReport
    ) -> None:
        sender = self.senders[row.platform]
        send = sender.send_outside_window if outside else sender.send  # type: ignore[attr-defined]
        pacer = self.pacers[row.platform]
        result = SendResult(SendOutcome.FAILED, error="too many retry_after answers")
        attempts = 0
        for attempts in range(1, MAX_RETRIES + 1):  # noqa: B007 - attempts is recorded
            await pacer.wait(row.chat_id, row.is_group)
            try:
                result = await send(row.chat_id, message)
            except Exception as e:  # an unknown outcome is not retried: it may have arrived
                log.exception("broadcast send to %s:%s failed", row.platform, row.chat_id)
                result = SendResult(SendOutcome.FAILED, error=type(e).__name__)
            if result.outcome != SendOutcome.RETRY_AFTER:
                break
            report.retried += 1
            pacer.pause(result.retry_after)
        if result.outcome == SendOutcome.SENT:
            if await self._finish(
                row,
                D.SENT,
                attempts=attempts,
                sent_at=self.clock(),
                via=result.via,
                external_id=result.external_id[:32],
            ):
                report.sent += 1
        elif result.outcome == SendOutcome.SKIPPED:
            if await self._finish(row, D.SKIPPED, attempts=attempts, error=result.error):
                report.skipped += 1
        elif result.outcome == SendOutcome.BLOCKED:
            if await self._finish(row, D.BLOCKED, attempts=attempts, via=result.via):
                report.blocked += 1
            if row.identity_id is not None:  # type: ignore[attr-defined]
                await self.subscriptions.mark_blocked(row.identity_id)  # type: ignore[attr-defined]
        elif await self._finish(row, D.FAILED, attempts=attempts, error=result.error):
            report.failed += 1

    @staticmethod
    async def _finish(row: Delivery, status: DeliveryStatus, **changes: object) -> bool:
        rows = await Delivery.filter(id=row.id, status=D.SENDING, claim=row.claim).update(
            status=status, **changes
        )
        return rows > 0
