"""Erasing a person's personal data (/deleteme), keeping what the books need.

Orders stay (the merchant's accounts) without name, phone, address or notes; review stars
stay without their text; customer-service messages stay as "—" so the conversation still
reads; the platform user id stays so the bot knows the person is the same (a new person
would be created otherwise) and what they bought is still theirs. Commission ledgers and
loyalty points hold no personal text and stay as they are.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.models import Model

from store.accounts.models import AccountCode, ExportLink
from store.accounts.refs import person_refs
from store.community.models import CustomerTag, Subscription, SubscriptionStatus
from store.dashboard_models import LoginToken
from store.errors import InvalidInput, PermissionDenied
from store.models import CartItem, Identity, Order, OrderStatus, Person, ShopMember
from store.reviews.models import Review
from store.support.models import TicketMessage

CLOSED = (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.REFUNDED)
# Free text a person gave, per model: column -> what is left. Rows are found through every
# foreign key to the person, so these apply wherever such a model points at them.
ERASED_TEXT: dict[type[Model], dict[str, str]] = {
    Order: {"contact_name": "—", "phone": "", "address": "", "note": "", "refund_reason": ""},
    Identity: {"display_name": ""},
    Review: {"text": ""},
    TicketMessage: {"text": "—"},
}
DELETED: tuple[type[Model], ...] = (CartItem, CustomerTag, LoginToken, AccountCode, ExportLink)


async def check_erasable(person_id: int) -> None:
    """Refuse while the merchant still needs the address (open orders), or while the person
    runs a shop (a shop's team is changed by its owner first)."""
    open_orders = await (
        Order.filter(person_id=person_id)
        .exclude(status__in=CLOSED)
        .order_by("id")
        .values_list("order_no", flat=True)
    )
    if open_orders:
        raise InvalidInput("erase_open_orders", orders=", ".join(open_orders[:5]))
    if await ShopMember.exists(person_id=person_id):
        raise PermissionDenied("erase_merchant")


async def erase_person(person_id: int, now: datetime) -> None:
    """Call inside a transaction, after check_erasable."""
    identities = await Identity.filter(person_id=person_id).values_list("id", flat=True)
    await Subscription.filter(
        identity_id__in=identities, status=SubscriptionStatus.SUBSCRIBED
    ).update(status=SubscriptionStatus.UNSUBSCRIBED)
    for ref in person_refs():
        if ref.model in DELETED:
            await ref.of(person_id).delete()
        elif ref.model in ERASED_TEXT:
            await ref.of(person_id).update(**ERASED_TEXT[ref.model])
    await Person.filter(id=person_id).update(display_name="", erased_at=now)
