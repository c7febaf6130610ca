"""Live group cards: one message per chat a group is shown in, edited as the group changes.

A card is posted through a `GroupCardPublisher` of the chat's platform, which returns the
platform's message id; every later change of the group edits that message. The default
publisher goes through the Outbox: it posts a card, and "edits" by sending the new card
marked `Reply(edit=True)` — exact for the simulator, a fresh message elsewhere, until the
platform's adapter registers a publisher that edits in place (see docs/groupbuy.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from handlers.i18n import render, translate
from handlers.outbox import Outbox
from handlers.types import Button, Outgoing, Reply
from store.groupbuy.events import GroupEvent
from store.groupbuy.models import GroupBuy, GroupCardPost, GroupStatus
from store.money import format_money
from store.services import StoreServices


@dataclass(frozen=True, slots=True)
class CardShown:
    """A handler asked to show a group's card in a chat (published on the bus)."""

    group_id: int
    platform: str
    chat_id: str
    account: str
    locale: str


@dataclass(frozen=True, slots=True)
class CardPlace:
    platform: str
    chat_id: str
    account: str


class GroupCardPublisher(Protocol):
    async def post(self, place: CardPlace, card: Reply) -> str:
        """Send a new card; return the platform's message id ("" when there is none)."""
        ...

    async def edit(self, place: CardPlace, message_ref: str, card: Reply) -> None:
        """Replace the card posted as `message_ref`."""
        ...


class OutboxCardPublisher:
    POSTED = "outbox"  # no platform message id: the outbox does not give one back

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def post(self, place: CardPlace, card: Reply) -> str:
        self.outbox.send(Outgoing(place.platform, place.chat_id, card, place.account))
        return self.POSTED

    async def edit(self, place: CardPlace, message_ref: str, card: Reply) -> None:
        self.outbox.send(
            Outgoing(place.platform, place.chat_id, replace(card, edit=True), place.account)
        )


def time_left(locale: str, seconds: float) -> str:
    # Whole seconds rounded up: the clock has moved a few milliseconds since the deadline
    # was set, and a fresh 15-minute window must not read as "14m".
    seconds = max(math.ceil(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return translate(locale, "{d}d {h}h", d=days, h=hours)
    if hours:
        return translate(locale, "{h}h {m}m", h=hours, m=minutes)
    if minutes:
        return translate(locale, "{m}m", m=minutes)
    return translate(locale, "{s}s", s=secs)


def render_card(locale: str, group: GroupBuy, now: datetime) -> Reply:
    """The card of a group fetched with its shop and its campaign's product."""
    campaign = group.campaign
    currency = group.shop.currency
    text = render(
        locale,
        "groupbuy/card.j2",
        group=group,
        campaign=campaign,
        product=campaign.product,
        price=format_money(campaign.group_price, currency, locale),
        normal=format_money(campaign.product.price, currency, locale),
        left=time_left(locale, (group.expires_at - now).total_seconds()),
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if group.status == GroupStatus.OPEN and group.seats_taken < group.size:
        label = translate(locale, "Join ({taken}/{size})", taken=group.seats_taken, size=group.size)
        buttons = ((Button(label=label, payload=f"/join {group.code}"),),)
    return Reply(text=text, buttons=buttons)


class GroupCards:
    """Posts and edits the cards; subscribes to every group change and to CardShown."""

    def __init__(self, services: StoreServices, outbox: Outbox) -> None:
        self.services = services
        self.outbox = outbox
        self.fallback = OutboxCardPublisher(outbox)
        self.publishers: dict[str, GroupCardPublisher] = {}

    def register(self, platform: str, publisher: GroupCardPublisher) -> None:
        self.publishers[platform] = publisher

    def subscribe(self) -> None:
        self.services.bus.subscribe(GroupEvent, self._changed)
        self.services.bus.subscribe(CardShown, self._shown)

    def _publisher(self, platform: str) -> GroupCardPublisher | None:
        if platform in self.publishers:
            return self.publishers[platform]
        return self.fallback if self.outbox.can_send(platform) else None

    async def _group(self, group_id: int) -> GroupBuy:
        return await GroupBuy.get(id=group_id).prefetch_related("campaign__product", "shop")

    async def _shown(self, event: CardShown) -> None:
        card = await self.services.groupbuys.add_card(
            event.group_id, event.platform, event.chat_id, event.account, event.locale
        )
        group = await self._group(event.group_id)
        await self._draw(card, group)

    async def _changed(self, event: GroupEvent) -> None:
        group = await self._group(event.group_id)
        for card in await self.services.groupbuys.cards(event.group_id):
            await self._draw(card, group)

    async def _draw(self, card: GroupCardPost, group: GroupBuy) -> None:
        publisher = self._publisher(card.platform)
        if publisher is None:
            return
        place = CardPlace(card.platform, card.chat_id, card.account)
        reply = render_card(card.locale, group, self.services.clock())
        if card.message_ref:
            await publisher.edit(place, card.message_ref, reply)
            return
        ref = await publisher.post(place, reply)
        if ref:
            await self.services.groupbuys.set_card_ref(card.id, ref)
