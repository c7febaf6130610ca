"""Tell customers and merchants what happened to an order, in their own language."""

from __future__ import annotations

from functools import partial
from typing import Any

from handlers.i18n import N_, normalise_locale, render, translate
from handlers.outbox import Outbox
from handlers.status import status_label
from handlers.types import Button, Reply
from store.accounts.events import AccountsLinked
from store.events import (
    OrderCancelled,
    OrderCompleted,
    OrderEvent,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    RefundRejected,
    RefundRequested,
)
from store.models import Identity, Product, RefundStatus
from store.money import format_money
from store.refunds import RefundFinished
from store.reviews.events import ReviewReplied
from store.services import StoreServices
from store.support.events import TicketClosed, TicketPosted

# After an order, a product with this many units or fewer left is named to the shop.
LOW_STOCK = 5


class Notifier:
    def __init__(self, services: StoreServices, outbox: Outbox) -> None:
        self.services = services
        self.outbox = outbox

    def subscribe(self) -> None:
        bus = self.services.bus
        bus.subscribe(OrderPlaced, self._placed)
        bus.subscribe(OrderPaid, self._paid)
        bus.subscribe(OrderShipped, self._to_customer("notify/order_shipped.j2"))
        bus.subscribe(OrderCancelled, self._cancelled)
        bus.subscribe(RefundRequested, self._to_merchants("notify/merchant_refund_requested.j2"))
        bus.subscribe(RefundRejected, self._to_customer("notify/refund_rejected.j2"))
        bus.subscribe(OrderRefunded, self._to_customer("notify/order_refunded.j2"))
        bus.subscribe(RefundFinished, self._refund_finished)
        bus.subscribe(OrderCompleted, self._review_prompt)
        bus.subscribe(ReviewReplied, self._review_replied)
        bus.subscribe(TicketPosted, self._ticket_posted)
        bus.subscribe(TicketClosed, self._ticket_closed)
        bus.subscribe(AccountsLinked, self._linked)

    async def _placed(self, event: OrderPlaced) -> None:
        """The shop hears of the order, and of each product it left with few units or none."""
        moved = event.stock_moved
        counts = [*moved.left, *((pid, 0) for pid in moved.sold_out_changed)]
        low = [
            (product.title, product.id, left)
            for pid, left in counts
            if left <= LOW_STOCK
            and (product := await Product.get_or_none(id=pid, shop_id=event.shop_id))
        ]
        await self._to_merchants("notify/merchant_new_order.j2")(event, {"low": low})

    async def _paid(self, event: OrderPaid) -> None:
        """Buyer and shop hear of the payment; a group-buy seat paid before its group
        completed ships only once it does, which both are told (one lookup for both)."""
        group = {"group": await self.services.groupbuys.waiting_group(event.order_id)}
        await self._to_customer("notify/order_paid.j2")(event, group)
        await self._to_merchants("notify/merchant_order_paid.j2")(event, group)

    async def _refund_finished(self, event: RefundFinished) -> None:
        """The merchant hears of refunds they must make by hand, or that kept failing; the
        buyer, of one the merchant then says they returned (the order's refund was told
        them when it was decided)."""
        if event.status == RefundStatus.DONE:
            if event.by_hand:
                buyer = await self.services.people.reachable_identities(event.person_id)
                orders = (N_("My orders"), "/orders")
                await self._tell(
                    buyer, event.shop_id, "notify/refund_returned.j2", [orders], event=event
                )
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
            self.outbox.to_account(
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
        async def send(event: OrderEvent, extra: dict[str, Any] | None = None) -> None:
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
                    extra,
                )

        return send

    def _to_merchants(self, template: str):  # type: ignore[no-untyped-def]
        async def send(event: OrderEvent, extra: dict[str, Any] | None = None) -> None:
            for ident in await self.services.shops.staff_identities(event.shop_id):
                person = await self.services.people.person(ident.person_id)  # type: ignore[attr-defined]
                await self._send(
                    ident,
                    person.locale,
                    template,
                    event,
                    [Button(label=event.order_no, payload=f"/sale {event.order_no}")],
                    extra,
                )

        return send

    async def _send(
        self,
        ident: Identity,
        locale: str | None,
        template: str,
        event: OrderEvent,
        buttons: list[Button],
        extra: dict[str, Any] | None = None,
    ) -> None:
        shop = await self.services.shops.get(event.shop_id)
        loc = normalise_locale(locale or shop.locale)
        values: dict[str, Any] = {
            "event": event,
            "shop": shop,
            "total": format_money(event.total, event.currency, loc),
            "money": lambda value: format_money(value, event.currency, loc),
            "status_name": lambda s: status_label(loc, s),
            **(extra or {}),
        }
        text = render(loc, template, **values)
        self.outbox.to_account(ident, Reply(text=text, buttons=(tuple(buttons),), private=True))

    # -- reviews and customer service -------------------------------------------------------
    async def _review_prompt(self, event: OrderCompleted) -> None:
        buyer = await self.services.people.reachable_identities(event.person_id)
        rate = (N_("Rate it"), f"/review {event.order_no}")
        await self._tell(buyer, event.shop_id, "reviews/notify_prompt.j2", [rate], event=event)

    async def _review_replied(self, event: ReviewReplied) -> None:
        author = await self.services.people.reachable_identities(event.person_id)
        product = await Product.get(id=event.product_id)
        see = (N_("Reviews of this product"), f"/reviews {event.product_id}")
        values = {"event": event, "title": product.title}
        await self._tell(author, event.shop_id, "reviews/notify_replied.j2", [see], **values)

    async def _ticket_posted(self, event: TicketPosted) -> None:
        """A customer's message goes to every owner and staff member; the shop's to the customer."""
        to = await self._other_side(event.shop_id, event.customer_id, to_customer=event.from_staff)
        tag = f"T{event.ticket_id}"
        buttons = [(N_("Reply"), f"/ticket {tag}"), (N_("Close"), f"/close {tag}")]
        await self._tell(to, event.shop_id, "support/notify_message.j2", buttons, event=event)

    async def _ticket_closed(self, event: TicketClosed) -> None:
        """The other side hears that the ticket was closed."""
        to = await self._other_side(event.shop_id, event.customer_id, to_customer=event.by_staff)
        values = {"notice": True, "ticket_id": event.ticket_id, "by_staff": event.by_staff}
        await self._tell(to, event.shop_id, "support/closed.j2", [], **values)

    async def _linked(self, event: AccountsLinked) -> None:
        """The person's other accounts hear that one more joined them: a /link code someone
        got hold of would otherwise join an account to theirs unnoticed."""
        person = await self.services.people.person(event.person_id)
        text = render(
            normalise_locale(person.locale), "accounts/notify_linked.j2", platforms=event.platforms
        )
        for ident in await self.services.people.reachable_identities(event.person_id):
            if ident.id != event.identity_id:
                self.outbox.to_account(ident, Reply(text=text, private=True))

    async def _other_side(
        self, shop_id: int, customer_id: int, *, to_customer: bool
    ) -> list[Identity]:
        """A ticket's customer, or the shop's team without the customer: staff asking their own
        shop (to try it out) are not sent their own question."""
        if to_customer:
            return await self.services.people.reachable_identities(customer_id)
        staff = await self.services.shops.staff_identities(shop_id)
        return [i for i in staff if i.person_id != customer_id]  # type: ignore[attr-defined]

    async def _tell(
        self,
        idents: list[Identity],
        shop_id: int,
        template: str,
        buttons: list[tuple[str, str]],
        **values: Any,
    ) -> None:
        """Render for each identity in its person's language; buttons are (msgid, payload)."""
        shop = await self.services.shops.get(shop_id)
        for ident in idents:
            person = await self.services.people.person(ident.person_id)  # type: ignore[attr-defined]
            loc = normalise_locale(person.locale or shop.locale)
            money = partial(format_money, locale=loc)  # money(amount, currency)
            text = render(loc, template, shop=shop, money=money, **values)
            row = tuple(Button(translate(loc, label), payload) for label, payload in buttons)
            self.outbox.to_account(
                ident, Reply(text=text, buttons=(row,) if row else (), private=True)
            )
