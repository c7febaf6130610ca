"""Tell customers and merchants what happened to an order, in their own language."""

from __future__ import annotations

from typing import Any

from handlers.i18n import normalise_locale, render, translate
from handlers.outbox import Outbox
from handlers.status import status_label
from handlers.types import Button, Outgoing, Reply
from store.events import (
    OrderCancelled,
    OrderEvent,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    RefundRejected,
    RefundRequested,
)
from store.models import Identity, RefundStatus
from store.money import format_money
from store.refunds import RefundFinished
from store.services import StoreServices


class Notifier:
    def __init__(self, services: StoreServices, outbox: Outbox) -> None:
        self.services = services
        self.outbox = outbox

    def subscribe(self) -> None:
        bus = self.services.bus
        bus.subscribe(OrderPlaced, self._to_merchants("notify/merchant_new_order.j2"))
        bus.subscribe(OrderPaid, self._to_customer("notify/order_paid.j2"))
        bus.subscribe(OrderPaid, self._to_merchants("notify/merchant_order_paid.j2"))
        bus.subscribe(OrderShipped, self._to_customer("notify/order_shipped.j2"))
        bus.subscribe(OrderCancelled, self._cancelled)
        bus.subscribe(RefundRequested, self._to_merchants("notify/merchant_refund_requested.j2"))
        bus.subscribe(RefundRejected, self._to_customer("notify/refund_rejected.j2"))
        bus.subscribe(OrderRefunded, self._to_customer("notify/order_refunded.j2"))
        bus.subscribe(RefundFinished, self._refund_finished)

    async def _refund_finished(self, event: RefundFinished) -> None:
        """The merchant hears of refunds they must make by hand, or that kept failing."""
        if event.status == RefundStatus.DONE:
            return
        for ident in await self.services.shops.staff_identities(event.shop_id):
            person = await self.services.people.person(ident.person_id)  # type: ignore[attr-defined]
            shop = await self.services.shops.get(event.shop_id)
            loc = normalise_locale(person.locale or shop.locale)
            text = render(
                loc,
                "notify/merchant_refund_todo.j2",
                event=event,
                amount=format_money(event.amount, event.currency, loc),
            )
            self._push(
                ident,
                Reply(
                    text=text,
                    buttons=((Button(label=translate(loc, "Refunds to do"), payload="/refunds"),),),
                    private=True,
                ),
            )

    async def _cancelled(self, event: OrderCancelled) -> None:
        if event.reason != "customer":  # the customer saw their own cancel already
            await self._to_customer("notify/order_cancelled.j2")(event)

    def _to_customer(self, template: str):  # type: ignore[no-untyped-def]
        async def send(event: OrderEvent) -> None:
            person = await self.services.people.person(event.person_id)
            for ident in await self.services.people.reachable_identities(event.person_id):
                await self._send(
                    ident,
                    person.locale,
                    template,
                    event,
                    [
                        Button(
                            label=translate(
                                normalise_locale(person.locale), "Order {no}", no=event.order_no
                            ),
                            payload=f"/order {event.order_no}",
                        )
                    ],
                )

        return send

    def _to_merchants(self, template: str):  # type: ignore[no-untyped-def]
        async def send(event: OrderEvent) -> None:
            for ident in await self.services.shops.staff_identities(event.shop_id):
                person = await self.services.people.person(ident.person_id)  # type: ignore[attr-defined]
                await self._send(
                    ident,
                    person.locale,
                    template,
                    event,
                    [Button(label=event.order_no, payload=f"/sale {event.order_no}")],
                )

        return send

    async def _send(
        self,
        ident: Identity,
        locale: str | None,
        template: str,
        event: OrderEvent,
        buttons: list[Button],
    ) -> None:
        shop = await self.services.shops.get(event.shop_id)
        loc = normalise_locale(locale or shop.locale)
        values: dict[str, Any] = {
            "event": event,
            "shop": shop,
            "total": format_money(event.total, event.currency, loc),
            "status_name": lambda s: status_label(loc, s),
        }
        text = render(loc, template, **values)
        self._push(ident, Reply(text=text, buttons=(tuple(buttons),), private=True))

    def _push(self, ident: Identity, reply: Reply) -> None:
        if self.outbox.can_send(ident.platform):
            self.outbox.send(
                Outgoing(platform=ident.platform, chat_id=ident.platform_user_id, reply=reply)
            )
