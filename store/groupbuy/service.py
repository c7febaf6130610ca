"""Group buying: campaigns, opening and joining groups, and seats following their orders.

A seat is a normal order at the group price. Seats are taken by one conditional UPDATE on the
group row (never above `size`), the campaign's cap and the customer's quota likewise. The
order's events move the seat: paid counts it (and may complete the group), cancelled or
refunded frees it. Rows are locked in one order everywhere: group, campaign, quota, product.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from store.clock import Clock
from store.db import transaction
from store.errors import InvalidInput, ProductNotFound
from store.events import EventBus, OrderCancelled, OrderPaid, OrderRefunded
from store.groupbuy.errors import (
    AlreadyInGroup,
    CampaignClosed,
    CampaignNotFound,
    CampaignSoldOut,
    GroupNotFound,
    GroupUnavailable,
    LimitReached,
    OwnGroup,
)
from store.groupbuy.events import (
    GroupCompleted,
    GroupEvent,
    GroupJoined,
    SeatPaid,
    SeatReleased,
)
from store.groupbuy.models import (
    CampaignStatus,
    GroupBuy,
    GroupCampaign,
    GroupCardPost,
    GroupQuota,
    GroupSeat,
    GroupStatus,
    SeatStatus,
)
from store.models import Order, Product
from store.money import Money
from store.orders import Contact, OrderService

MIN_SIZE, MAX_SIZE = 2, 50
MAX_PER_CUSTOMER = 99
DEFAULT_WINDOW = timedelta(days=30)
DEFAULT_PAY_SECONDS = 15 * 60
REMIND_BEFORE = timedelta(hours=1)  # or a quarter of a shorter group's life
HELD = (SeatStatus.RESERVED, SeatStatus.PAID)
# Group codes: 6 characters a person can read aloud (no 0/O, 1/I/L).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def normalise_code(text: str) -> str:
    return text.strip().lstrip("#").upper()


@dataclass(frozen=True, slots=True)
class NewCampaign:
    product_id: int
    group_price: Decimal
    size: int
    group_seconds: int
    ends_at: datetime | None = None  # default: 30 days from now
    starts_at: datetime | None = None  # default: now
    leader_price: Decimal | None = None
    min_members: int | None = None
    per_customer: int = 1
    seat_cap: int | None = None
    pay_seconds: int = DEFAULT_PAY_SECONDS


@dataclass(frozen=True, slots=True)
class Seat:
    """What opening or joining gave the customer: the group, and the order to pay."""

    group: GroupBuy
    order: Order
    leader: bool


@dataclass(frozen=True, slots=True)
class CampaignStats:
    campaign: GroupCampaign
    opened: int
    open: int
    completed: int
    failed: int
    seats_paid: int

    @property
    def conversion(self) -> float | None:
        """Completed share of the groups that reached an end, for display only."""
        ended = self.completed + self.failed
        return self.completed / ended if ended else None

    @property
    def conversion_percent(self) -> int | None:
        """The same share in whole percent, counted in integers: 29 of 50 is 58, where
        0.58 * 100 in floats is 57.99..."""
        ended = self.completed + self.failed
        return self.completed * 100 // ended if ended else None


def group_event(cls: type[GroupEvent], group: GroupBuy, **extra: object) -> GroupEvent:
    return cls(group_id=group.id, code=group.code, shop_id=group.shop_id, **extra)  # type: ignore[attr-defined]


class GroupBuyService:
    def __init__(self, orders: OrderService, bus: EventBus, clock: Clock) -> None:
        self.orders = orders
        self.bus = bus
        self.clock = clock

    def subscribe(self) -> None:
        self.bus.subscribe(OrderPaid, self._on_paid)
        self.bus.subscribe(OrderCancelled, self._on_cancelled)
        self.bus.subscribe(OrderRefunded, self._on_refunded)
        self.orders.ship_checks.append(self._seat_may_ship)

    async def _seat_may_ship(self, order: Order) -> None:
        """A seat ships once its group is complete: a group that fails refunds it instead."""
        seat = await GroupSeat.get_or_none(order_id=order.id).select_related("group")
        if seat is not None and seat.group.status != GroupStatus.COMPLETED:
            raise InvalidInput("gb_not_complete", no=order.order_no, group=seat.group.code)

    # -- campaigns -------------------------------------------------------------------------
    async def create_campaign(self, shop_id: int, new: NewCampaign) -> GroupCampaign:
        product = await Product.get_or_none(id=new.product_id, shop_id=shop_id)
        if product is None:
            raise ProductNotFound(id=new.product_id)
        if not MIN_SIZE <= new.size <= MAX_SIZE:
            raise InvalidInput("gb_bad_size", value=new.size, low=MIN_SIZE, high=MAX_SIZE)
        if new.group_price >= product.price:
            raise InvalidInput("gb_price_not_lower", price=Money(product.price))
        if new.leader_price is not None and new.leader_price > new.group_price:
            raise InvalidInput("gb_leader_price")
        if new.min_members is not None and not MIN_SIZE <= new.min_members <= new.size:
            raise InvalidInput("gb_min_members", low=MIN_SIZE, high=new.size)
        if not 1 <= new.per_customer <= MAX_PER_CUSTOMER:
            raise InvalidInput("gb_per_customer", low=1, high=MAX_PER_CUSTOMER)
        if new.seat_cap is not None and new.seat_cap < new.size:
            raise InvalidInput("gb_cap", low=new.size)
        now = self.clock()
        starts = new.starts_at or now
        ends = new.ends_at or starts + DEFAULT_WINDOW
        if ends <= max(starts, now):
            raise InvalidInput("gb_bad_window", days=DEFAULT_WINDOW.days)
        return await GroupCampaign.create(
            shop_id=shop_id,
            product_id=product.id,
            group_price=new.group_price,
            leader_price=new.leader_price,
            size=new.size,
            group_seconds=new.group_seconds,
            pay_seconds=new.pay_seconds,
            min_members=new.min_members,
            per_customer=new.per_customer,
            seat_cap=new.seat_cap,
            starts_at=starts,
            ends_at=ends,
        )

    async def campaign(self, shop_id: int, campaign_id: int) -> GroupCampaign:
        found = await GroupCampaign.get_or_none(id=campaign_id, shop_id=shop_id).prefetch_related(
            "product"
        )
        if found is None:
            raise CampaignNotFound(id=campaign_id)
        return found

    async def stop_campaign(self, shop_id: int, campaign_id: int) -> GroupCampaign:
        """No new groups; groups already open run to their end, so nobody's seat is lost."""
        found = await self.campaign(shop_id, campaign_id)
        await GroupCampaign.filter(id=found.id, status=CampaignStatus.ACTIVE).update(
            status=CampaignStatus.STOPPED
        )
        return await self.campaign(shop_id, campaign_id)

    async def active_campaigns(self, shop_id: int) -> list[GroupCampaign]:
        now = self.clock()
        return (
            await GroupCampaign.filter(
                shop_id=shop_id,
                status=CampaignStatus.ACTIVE,
                starts_at__lte=now,
                ends_at__gt=now,
            )
            .order_by("id")
            .limit(10)
            .prefetch_related("product")
        )

    async def open_groups(self, campaign_id: int, limit: int = 5) -> list[GroupBuy]:
        """Groups anyone can still join, fullest and then soonest first."""
        return (
            await GroupBuy.filter(
                campaign_id=campaign_id, status=GroupStatus.OPEN, expires_at__gt=self.clock()
            )
            .filter(seats_taken__lt=F("size"))
            .order_by("-seats_taken", "expires_at")
            .limit(limit)
        )

    async def stats(self, shop_id: int) -> list[CampaignStats]:
        result = []
        campaigns = (
            await GroupCampaign.filter(shop_id=shop_id)
            .order_by("-id")
            .limit(10)
            .prefetch_related("product")
        )
        for c in campaigns:
            groups = GroupBuy.filter(campaign_id=c.id)
            result.append(
                CampaignStats(
                    campaign=c,
                    opened=await groups.count(),
                    open=await groups.filter(status=GroupStatus.OPEN).count(),
                    completed=await groups.filter(status=GroupStatus.COMPLETED).count(),
                    failed=await groups.filter(status=GroupStatus.FAILED).count(),
                    seats_paid=await GroupSeat.filter(
                        group__campaign_id=c.id, status=SeatStatus.PAID
                    ).count(),
                )
            )
        return result

    # -- groups ----------------------------------------------------------------------------
    async def group(self, code: str, shop_id: int | None = None) -> GroupBuy:
        code = normalise_code(code)
        found = None
        if len(code) <= _CODE_LENGTH:  # longer is unknown (and too long for the column)
            found = await GroupBuy.get_or_none(code=code).prefetch_related("campaign__product")
        if found is None or (shop_id is not None and found.shop_id != shop_id):  # type: ignore[attr-defined]
            raise GroupNotFound(group=code[:12])
        return found

    async def group_by_id(self, group_id: int) -> GroupBuy:
        return await GroupBuy.get(id=group_id).prefetch_related("campaign__product")

    async def waiting_group(self, order_id: int) -> GroupBuy | None:
        """The group an order's seat waits on to ship: None for an order that is no seat,
        or whose group completed."""
        seat = await GroupSeat.get_or_none(order_id=order_id).select_related("group")
        if seat is None or seat.group.status == GroupStatus.COMPLETED:
            return None
        return seat.group

    async def members(self, group_id: int) -> list[GroupSeat]:
        return (
            await GroupSeat.filter(group_id=group_id, status__in=HELD)
            .order_by("id")
            .prefetch_related("person")
        )

    async def seats_of(self, person_id: int, shop_id: int, limit: int = 10) -> list[GroupSeat]:
        return (
            await GroupSeat.filter(person_id=person_id, group__shop_id=shop_id)
            .order_by("-id")
            .limit(limit)
            .prefetch_related("group__campaign__product", "order")
        )

    async def open_group(
        self, shop_id: int, campaign_id: int, person_id: int, contact: Contact
    ) -> Seat:
        """Open a new group of the campaign; its opener is the leader and holds the first seat."""
        campaign = await self.campaign(shop_id, campaign_id)
        await self.check_open(campaign, person_id)
        now = self.clock()
        expires = min(now + timedelta(seconds=campaign.group_seconds), campaign.ends_at)
        remind = expires - min(REMIND_BEFORE, (expires - now) / 4)
        async with transaction():
            code = new_code()
            while await GroupBuy.exists(code=code):
                code = new_code()
            group = await GroupBuy.create(
                code=code,
                campaign_id=campaign.id,
                shop_id=shop_id,
                leader_id=person_id,
                size=campaign.size,
                expires_at=expires,
                remind_at=remind,
            )
            seat = await self._take_seat(campaign, group, person_id, contact, leader=True)
        return await self._joined(seat)

    async def check_join(self, group: GroupBuy, person_id: int) -> None:
        """Why this person could not join now, before asking them anything; the join itself
        decides again under its guarded updates."""
        holding = await GroupSeat.get_or_none(holder=f"{group.id}:{person_id}")
        if holding is not None:
            raise (OwnGroup if holding.leader else AlreadyInGroup)(group=group.code)
        if (
            group.status != GroupStatus.OPEN
            or group.expires_at <= self.clock()
            or group.seats_taken >= group.size
        ):
            raise await self._unavailable(group)
        await self._check_room(group.campaign, person_id)

    async def check_open(self, campaign: GroupCampaign, person_id: int) -> None:
        """Why this person could not open a group now, before asking them anything."""
        now = self.clock()
        if (
            campaign.status != CampaignStatus.ACTIVE
            or not campaign.starts_at <= now < campaign.ends_at
        ):
            raise CampaignClosed(id=campaign.id)
        await self._check_room(campaign, person_id)

    async def _check_room(self, campaign: GroupCampaign, person_id: int) -> None:
        fresh = await GroupCampaign.get(id=campaign.id)
        if fresh.seat_cap is not None and fresh.seats_held >= fresh.seat_cap:
            raise CampaignSoldOut(id=campaign.id)
        quota = await GroupQuota.get_or_none(campaign_id=campaign.id, person_id=person_id)
        if quota is not None and quota.held >= campaign.per_customer:
            raise LimitReached(limit=campaign.per_customer)

    async def join(self, shop_id: int, code: str, person_id: int, contact: Contact) -> Seat:
        group = await self.group(code, shop_id)
        await self.check_join(group, person_id)
        campaign = group.campaign
        try:
            async with transaction():
                seat = await self._take_seat(campaign, group, person_id, contact, leader=False)
        except IntegrityError:  # the same person's other request took the seat first
            raise AlreadyInGroup(group=group.code) from None
        return await self._joined(seat)

    async def _take_seat(
        self,
        campaign: GroupCampaign,
        group: GroupBuy,
        person_id: int,
        contact: Contact,
        *,
        leader: bool,
    ) -> tuple[GroupSeat, Order, object]:
        """Inside the caller's transaction: seat, cap, quota and stock, each one guarded
        UPDATE; any refusal rolls everything back."""
        now = self.clock()
        taken = await GroupBuy.filter(
            id=group.id,
            status=GroupStatus.OPEN,
            expires_at__gt=now,
            seats_taken__lt=group.size,
        ).update(seats_taken=F("seats_taken") + 1)
        if not taken:
            raise await self._unavailable(group)
        capped = GroupCampaign.filter(id=campaign.id)
        if campaign.seat_cap is not None:
            capped = capped.filter(seats_held__lt=campaign.seat_cap)
        if not await capped.update(seats_held=F("seats_held") + 1):
            raise CampaignSoldOut(id=campaign.id)
        await GroupQuota.bulk_create(
            [GroupQuota(campaign_id=campaign.id, person_id=person_id)], ignore_conflicts=True
        )
        if not await GroupQuota.filter(
            campaign_id=campaign.id, person_id=person_id, held__lt=campaign.per_customer
        ).update(held=F("held") + 1):
            raise LimitReached(limit=campaign.per_customer)
        price = campaign.group_price
        if leader and campaign.leader_price is not None:
            price = campaign.leader_price
        deadline = min(now + timedelta(seconds=campaign.pay_seconds), group.expires_at)
        order, placed = await self.orders.reserve_single(
            person_id,
            group.shop_id,  # type: ignore[attr-defined]
            campaign.product_id,  # type: ignore[attr-defined]
            price,
            contact,
            deadline,
        )
        seat = await GroupSeat.create(
            group_id=group.id,
            person_id=person_id,
            order_id=order.id,
            leader=leader,
            holder=f"{group.id}:{person_id}",
        )
        return seat, order, placed

    async def _unavailable(self, group: GroupBuy) -> GroupUnavailable:
        fresh = await GroupBuy.get(id=group.id)
        if fresh.status != GroupStatus.OPEN:
            reason = "closed"
        elif fresh.expires_at <= self.clock():
            reason = "expired"
        else:
            reason = "full"
        return GroupUnavailable(reason, group=group.code, campaign_id=fresh.campaign_id)  # type: ignore[attr-defined]

    async def _joined(self, taken: tuple[GroupSeat, Order, object]) -> Seat:
        seat, order, placed = taken
        group = await self.group_by_id(seat.group_id)  # type: ignore[attr-defined]
        await self.bus.publish([placed, group_event(GroupJoined, group, person_id=seat.person_id)])  # type: ignore[attr-defined]
        return Seat(group=group, order=await self.orders.get(order.order_no), leader=seat.leader)

    # -- seats following their orders ------------------------------------------------------
    async def _on_paid(self, event: OrderPaid) -> None:
        seat = await GroupSeat.get_or_none(order_id=event.order_id)
        if seat is not None:
            await self.count_paid(seat)

    async def _on_cancelled(self, event: OrderCancelled) -> None:
        seat = await GroupSeat.get_or_none(order_id=event.order_id)
        if seat is not None:
            await self.free_seat(seat, SeatStatus.RESERVED, SeatStatus.RELEASED)

    async def _on_refunded(self, event: OrderRefunded) -> None:
        seat = await GroupSeat.get_or_none(order_id=event.order_id)
        if seat is not None:
            for held in HELD:
                await self.free_seat(seat, held, SeatStatus.REFUNDED)

    async def count_paid(self, seat: GroupSeat) -> bool:
        """Reserved -> paid, once; the group completes with its `size`-th paid seat."""
        now = self.clock()
        completed = False
        async with transaction():
            await lock_group(seat.group_id)  # type: ignore[attr-defined]
            if not await GroupSeat.filter(id=seat.id, status=SeatStatus.RESERVED).update(
                status=SeatStatus.PAID
            ):
                return False
            group_id = seat.group_id  # type: ignore[attr-defined]
            await GroupBuy.filter(id=group_id, status=GroupStatus.OPEN).update(
                seats_paid=F("seats_paid") + 1
            )
            # Paid after its group failed: the sweep must visit the group again to refund it.
            await GroupBuy.filter(id=group_id, status=GroupStatus.FAILED).update(settled=False)
            size = await GroupBuy.filter(id=group_id).first().values_list("size", flat=True)
            completed = bool(
                await GroupBuy.filter(
                    id=group_id, status=GroupStatus.OPEN, seats_paid__gte=size
                ).update(status=GroupStatus.COMPLETED, closed_at=now, settled=True)
            )
        group = await GroupBuy.get(id=seat.group_id)  # type: ignore[attr-defined]
        # One change, one event: the payment that completes the group is its completion.
        # Each GroupEvent redraws the group's cards, and WeChat sends every redraw as a new
        # message, so SeatPaid and GroupCompleted both would send the complete card twice.
        if completed:
            await self.bus.publish([group_event(GroupCompleted, group)])
        else:
            await self.bus.publish([group_event(SeatPaid, group, person_id=seat.person_id)])  # type: ignore[attr-defined]
        return True

    async def free_seat(self, seat: GroupSeat, expected: SeatStatus, new: SeatStatus) -> bool:
        """Give a held seat back, once: to the group while it is open, to the campaign's cap
        and to the customer's quota always."""
        async with transaction():
            await lock_group(seat.group_id)  # type: ignore[attr-defined]
            if not await GroupSeat.filter(id=seat.id, status=expected).update(
                status=new, holder=None
            ):
                return False
            reopened = await GroupBuy.filter(
                id=seat.group_id,  # type: ignore[attr-defined]
                status=GroupStatus.OPEN,
            ).update(
                seats_taken=F("seats_taken") - 1,
                seats_paid=F("seats_paid") - (1 if expected == SeatStatus.PAID else 0),
            )
            group = await GroupBuy.get(id=seat.group_id)  # type: ignore[attr-defined]
            await GroupCampaign.filter(id=group.campaign_id).update(  # type: ignore[attr-defined]
                seats_held=F("seats_held") - 1
            )
            await GroupQuota.filter(
                campaign_id=group.campaign_id,  # type: ignore[attr-defined]
                person_id=seat.person_id,  # type: ignore[attr-defined]
            ).update(held=F("held") - 1)
        if reopened:
            await self.bus.publish([group_event(SeatReleased, group, person_id=seat.person_id)])  # type: ignore[attr-defined]
        return True

    # -- live cards ------------------------------------------------------------------------
    async def add_card(
        self, group_id: int, platform: str, chat_id: str, account: str, locale: str
    ) -> GroupCardPost:
        """Remember a chat the group's card is shown in (once per chat)."""
        await GroupCardPost.bulk_create(
            [
                GroupCardPost(
                    group_id=group_id,
                    platform=platform,
                    chat_id=chat_id,
                    account=account,
                    locale=locale,
                )
            ],
            ignore_conflicts=True,
        )
        return await GroupCardPost.get(group_id=group_id, platform=platform, chat_id=chat_id)

    async def cards(self, group_id: int) -> list[GroupCardPost]:
        return await GroupCardPost.filter(group_id=group_id).order_by("id")

    async def set_card_ref(self, card_id: int, message_ref: str) -> None:
        await GroupCardPost.filter(id=card_id).update(message_ref=message_ref[:64])


async def lock_group(group_id: int) -> None:
    """Serialise changes of one group's seats on PostgreSQL (SQLite serialises writers)."""
    await GroupBuy.filter(id=group_id).select_for_update().only("id").first()
