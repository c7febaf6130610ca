"""Tell a group's members what happened to it, each in their own language, privately."""

from __future__ import annotations

from typing import Any

from handlers.groupbuy_cards import time_left
from handlers.i18n import normalise_locale, render, translate
from handlers.outbox import Outbox
from handlers.types import Button, Reply
from store.groupbuy.events import (
    GroupCompleted,
    GroupDeadlineNear,
    GroupEvent,
    GroupFailed,
    GroupJoined,
)
from store.groupbuy.models import GroupBuy, GroupSeat, SeatStatus
from store.money import format_money
from store.services import StoreServices

MAX_ORDER_BUTTONS = 10  # a group of up to 50: the rest are named in the text


class GroupBuyNotifier:
    def __init__(self, services: StoreServices, outbox: Outbox) -> None:
        self.services = services
        self.outbox = outbox

    def subscribe(self) -> None:
        bus = self.services.bus
        bus.subscribe(GroupJoined, self._joined)
        bus.subscribe(GroupCompleted, self._to_members("groupbuy/notify_completed.j2"))
        bus.subscribe(GroupCompleted, self._completed_to_merchants)
        bus.subscribe(GroupFailed, self._to_members("groupbuy/notify_failed.j2"))
        bus.subscribe(GroupDeadlineNear, self._to_members("groupbuy/notify_deadline.j2"))

    async def _joined(self, event: GroupJoined) -> None:
        """The others hear who joined; the joiner has their answer already."""
        await self._send(event, "groupbuy/notify_joined.j2", skip=event.person_id)

    def _to_members(self, template: str):  # type: ignore[no-untyped-def]
        async def send(event: GroupEvent) -> None:
            await self._send(event, template)

        return send

    async def _send(self, event: GroupEvent, template: str, skip: int | None = None) -> None:
        group = await GroupBuy.get(id=event.group_id).prefetch_related("campaign__product", "shop")
        members = await self.services.groupbuys.members(group.id)
        joiner = next((s.person for s in members if s.person_id == skip), None)  # type: ignore[attr-defined]
        now = self.services.clock()
        for seat in members:
            if seat.person_id == skip:  # type: ignore[attr-defined]
                continue
            locale = normalise_locale(seat.person.locale or group.shop.locale)
            values: dict[str, Any] = {
                "group": group,
                "seat": seat,
                "order_no": await _order_no(seat),
                "product": group.campaign.product,
                "joiner": joiner.display_name if joiner else "",
                "left": time_left(locale, (group.expires_at - now).total_seconds()),
                "price": format_money(group.campaign.group_price, group.shop.currency, locale),
            }
            text = render(locale, template, **values)
            button = Button(translate(locale, "My group buys"), "/mygroups")
            for ident in await self.services.people.reachable_identities(seat.person_id):  # type: ignore[attr-defined]
                self.outbox.to_account(ident, Reply(text=text, buttons=((button,),), private=True))

    async def _completed_to_merchants(self, event: GroupCompleted) -> None:
        """The shop hears that a group completed: its paid seats' orders may ship now."""
        group = await GroupBuy.get(id=event.group_id).prefetch_related("campaign__product", "shop")
        seats = (
            await GroupSeat.filter(group_id=group.id, status=SeatStatus.PAID)
            .select_related("order")
            .order_by("id")
        )
        numbers = [seat.order.order_no for seat in seats]
        buttons = tuple((Button(no, f"/sale {no}"),) for no in numbers[:MAX_ORDER_BUTTONS])
        for ident in await self.services.shops.staff_identities(group.shop.id):
            person = await self.services.people.person(ident.person_id)  # type: ignore[attr-defined]
            locale = normalise_locale(person.locale or group.shop.locale)
            text = render(
                locale,
                "groupbuy/notify_merchant_completed.j2",
                group=group,
                product=group.campaign.product,
                orders=numbers,
            )
            self.outbox.to_account(ident, Reply(text=text, buttons=buttons, private=True))


async def _order_no(seat: GroupSeat) -> str:
    await seat.fetch_related("order")
    return seat.order.order_no
