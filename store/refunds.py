"""The refund outbox: refunds are written with the decision and retried until confirmed.

Payment methods plug in a gateway. A gateway returns a RefundOutcome or raises RefundError
(retried with backoff) — an exception of any other kind is retried the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from store.clock import Clock
from store.events import EventBus
from store.models import Order, RefundJob, RefundStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (10, 30, 60, 300, 900, 1800, 3600)
LEASE = timedelta(minutes=5)  # a claimed job is retried if its worker dies mid-call
BY_HAND = "by hand"  # provider_refund_id of a refund the merchant said they returned


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    manual: bool = False  # the merchant has to return the money by hand
    provider_refund_id: str = ""


class RefundError(Exception):
    """The provider refused or failed; the message is kept on the job."""


class RefundGateway(Protocol):
    async def refund(self, job: RefundJob) -> RefundOutcome: ...


@dataclass(frozen=True, slots=True)
class RefundFinished:
    """Published once per job when it ends: done, manual or failed."""

    job_id: int
    order_no: str
    shop_id: int
    person_id: int
    amount: Decimal
    currency: str
    method: str
    status: RefundStatus
    error: str
    by_hand: bool = False  # done: the merchant said they returned it (/refunds done)


class ManualRefunds:
    """Transfers were paid by hand, so they are refunded by hand."""

    async def refund(self, job: RefundJob) -> RefundOutcome:
        return RefundOutcome(manual=True)


class RefundOutbox:
    def __init__(self, bus: EventBus, clock: Clock) -> None:
        self.bus = bus
        self.clock = clock
        self.gateways: dict[str, RefundGateway] = {"manual": ManualRefunds()}
        self.whole_only: set[str] = set()  # methods that can only refund a whole payment

    def register(self, method: str, gateway: RefundGateway, *, partial: bool = True) -> None:
        self.gateways[method] = gateway
        if not partial:
            self.whole_only.add(method)

    def can_refund_part(self, method: str) -> bool:
        return method not in self.whole_only

    async def enqueue(
        self,
        order: Order,
        amount: Decimal,
        reason: str,
        method: str,
        provider_payment_id: str,
        key: str,
    ) -> RefundJob:
        """Call inside the transaction that decides the refund; a repeated key is a no-op.
        `key` names what is refunded: order:<no> (the rest of the order) or order:<no>:<n>."""
        job, _ = await RefundJob.get_or_create(
            key=key,
            defaults={
                "order_id": order.id,
                "shop_id": order.shop_id,  # type: ignore[attr-defined]
                "method": method,
                "provider_payment_id": provider_payment_id,
                "amount": amount,
                "currency": order.currency,
                "reason": reason[:300],
                "next_attempt_at": self.clock(),
            },
        )
        return job

    async def process_due(self, now: datetime | None = None, batch: int = 50) -> int:
        """Attempt every due job once. Safe in several processes: each attempt is claimed by a
        guarded update on (status, attempts), so only one worker calls the provider."""
        now = now or self.clock()
        due = (
            await RefundJob.filter(status=RefundStatus.PENDING, next_attempt_at__lte=now)
            .order_by("id")
            .limit(batch)
        )
        finished = 0
        for job in due:
            claimed = await RefundJob.filter(
                id=job.id, status=RefundStatus.PENDING, attempts=job.attempts
            ).update(attempts=job.attempts + 1, next_attempt_at=now + LEASE)
            if claimed:
                job.attempts += 1
                finished += await self._attempt(job, now)
        return finished

    async def _attempt(self, job: RefundJob, now: datetime) -> int:
        gateway = self.gateways.get(job.method)
        try:
            if gateway is None:
                raise RefundError(f"no refund gateway for {job.method}")
            outcome = await gateway.refund(job)
        except Exception as e:  # every failure is retried; none is lost
            error = str(e)[:300] or type(e).__name__
            if job.attempts >= MAX_ATTEMPTS:
                return await self._finish(job, RefundStatus.FAILED, now, error=error)
            delay = BACKOFF_SECONDS[min(job.attempts - 1, len(BACKOFF_SECONDS) - 1)]
            await RefundJob.filter(id=job.id).update(
                next_attempt_at=now + timedelta(seconds=delay), last_error=error
            )
            log.warning("refund %s attempt %d failed: %s", job.key, job.attempts, error)
            return 0
        status = RefundStatus.MANUAL if outcome.manual else RefundStatus.DONE
        return await self._finish(job, status, now, provider_refund_id=outcome.provider_refund_id)

    async def _finish(
        self,
        job: RefundJob,
        status: RefundStatus,
        now: datetime,
        error: str = "",
        provider_refund_id: str = "",
    ) -> int:
        rows = await RefundJob.filter(id=job.id, status=RefundStatus.PENDING).update(
            status=status,
            finished_at=now,
            last_error=error,
            provider_refund_id=provider_refund_id[:128],
        )
        if rows:
            order = await Order.get(id=job.order_id)  # type: ignore[attr-defined]
            await self.bus.publish([_finished(job, order, status, error)])
        return rows

    async def mark_returned(self, shop_id: int, order_id: int) -> int:
        """The merchant returned the money by hand: the order's manual and failed refunds are
        done, off /refunds, and each is announced once (the buyer hears of it). A guarded
        update per job, so saying it twice changes nothing; returns how many were still open
        (0: nothing was waiting)."""
        waiting = [RefundStatus.MANUAL, RefundStatus.FAILED]
        returned = []
        for job in await RefundJob.filter(shop_id=shop_id, order_id=order_id, status__in=waiting):
            if await RefundJob.filter(id=job.id, status=job.status).update(
                status=RefundStatus.DONE, finished_at=self.clock(), provider_refund_id=BY_HAND
            ):
                returned.append(job)
        if returned:
            order = await Order.get(id=order_id)
            await self.bus.publish(
                [_finished(job, order, RefundStatus.DONE, by_hand=True) for job in returned]
            )
        return len(returned)

    async def open_for_shop(self, shop_id: int) -> list[RefundJob]:
        """What the merchant still has to look at: manual and failed refunds."""
        return (
            await RefundJob.filter(
                shop_id=shop_id, status__in=[RefundStatus.MANUAL, RefundStatus.FAILED]
            )
            .order_by("-id")
            .limit(50)
            .prefetch_related("order")
        )


def _finished(
    job: RefundJob, order: Order, status: RefundStatus, error: str = "", *, by_hand: bool = False
) -> RefundFinished:
    return RefundFinished(
        job_id=job.id,
        order_no=order.order_no,
        shop_id=job.shop_id,  # type: ignore[attr-defined]
        person_id=order.person_id,  # type: ignore[attr-defined]
        amount=job.amount,
        currency=job.currency,  # type: ignore[attr-defined]
        method=job.method,
        status=status,
        error=error,
        by_hand=by_hand,
    )
