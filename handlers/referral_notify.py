"""Tell agents what they earned and how their withdrawals went; tell merchants what to pay."""

from __future__ import annotations

from typing import Any

from handlers.i18n import N_, normalise_locale, render, translate
from handlers.outbox import Outbox
from handlers.types import Button, Reply
from referral.events import CommissionEarned, WithdrawalDecided, WithdrawalRequested
from store.events import EventBus
from store.models import Identity
from store.money import format_money, from_minor
from store.services import StoreServices


class ReferralNotifier:
    def __init__(self, services: StoreServices, outbox: Outbox) -> None:
        self.services = services
        self.outbox = outbox

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(CommissionEarned, self._earned)
        bus.subscribe(WithdrawalRequested, self._requested)
        bus.subscribe(WithdrawalDecided, self._decided)

    async def _earned(self, event: CommissionEarned) -> None:
        await self._to_person(
            event.agent_person_id,
            event.shop_id,
            "referral/notify_earned.j2",
            (N_("My earnings"), "/earnings"),
            event=event,
        )

    async def _decided(self, event: WithdrawalDecided) -> None:
        await self._to_person(
            event.agent_person_id,
            event.shop_id,
            "referral/notify_decided.j2",
            (N_("My earnings"), "/earnings"),
            event=event,
        )

    async def _requested(self, event: WithdrawalRequested) -> None:
        for ident in await self.services.shops.staff_identities(event.shop_id):
            await self._send(
                ident,
                event.shop_id,
                "referral/notify_requested.j2",
                (N_("Withdrawals"), "/wd"),
                event=event,
            )

    async def _to_person(
        self, person_id: int, shop_id: int, template: str, button: tuple[str, str], **values: Any
    ) -> None:
        for ident in await self.services.people.reachable_identities(person_id):
            await self._send(ident, shop_id, template, button, **values)

    async def _send(
        self, ident: Identity, shop_id: int, template: str, button: tuple[str, str], **values: Any
    ) -> None:
        if not self.outbox.can_send(ident.platform):
            return  # nothing to render for
        person = await self.services.people.person(ident.person_id)  # type: ignore[attr-defined]
        shop = await self.services.shops.get(shop_id)
        loc = normalise_locale(person.locale or shop.locale)
        text = render(
            loc,
            template,
            shop=shop,
            m=lambda minor: format_money(from_minor(minor, shop.currency), shop.currency, loc),
            **values,
        )
        label, payload = button
        self.outbox.to_account(
            ident,
            Reply(text=text, buttons=((Button(translate(loc, label), payload),),), private=True),
        )
