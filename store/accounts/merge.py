"""Merging one person into another when their identities are linked.

Runs inside the caller's transaction: merge participants first combine rows that a unique key
allows only once per person (cart lines add up, the stronger shop role wins ...), then every
foreign key to the merged person, in any app, is pointed at the survivor, and the merged
person's row is deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tortoise.models import Model

from store.accounts.refs import Ref, person_refs, refs_to
from store.cart import MAX_CART_LINES, MAX_LINE_QUANTITY
from store.errors import StoreError
from store.groupbuy.models import GroupQuota, GroupSeat
from store.models import CartItem, Person, Role, ShopMember
from store.promotions.models import CheckoutChoice
from store.support.models import Ticket, TicketMessage, TicketStatus

log = logging.getLogger(__name__)

# async fn(from_person_id, into_person_id), called inside the merge transaction.
MergeParticipant = Callable[[int, int], Awaitable[None]]


class LinkConflict(StoreError):
    """Both people have a row a unique key allows once, with data depending on it."""

    code = "link_conflict"


async def paired_rows(
    model: type[Model],
    key: str,
    from_id: int,
    into_id: int,
    person: str = "person_id",
    **where: Any,
) -> list[tuple[Any, Any]]:
    """(merged person's row, survivor's row) pairs of `model` with the same `key` value."""
    kept = {getattr(r, key): r for r in await model.filter(**{person: into_id}, **where)}
    return [
        (row, kept[getattr(row, key)])
        for row in await model.filter(**{person: from_id}, **where).order_by("id")
        if getattr(row, key) in kept
    ]


async def _carts(from_id: int, into_id: int) -> None:
    """The same product in both carts: one line with the quantities added (up to the cap).
    Two carts in one shop stay within its line cap: the survivor's lines stay, the merged
    person's most recently added lines fill the room left and the rest are dropped."""
    for theirs, mine in await paired_rows(CartItem, "product_id", from_id, into_id):
        quantity = min(MAX_LINE_QUANTITY, theirs.quantity + mine.quantity)
        await CartItem.filter(id=mine.id).update(quantity=quantity)
        await CartItem.filter(id=theirs.id).delete()
    kept: dict[int, int] = {}
    for shop_id in await CartItem.filter(person_id=into_id).values_list("shop_id", flat=True):
        kept[shop_id] = kept.get(shop_id, 0) + 1
    dropped: list[int] = []
    for line_id, shop_id in (
        await CartItem.filter(person_id=from_id).order_by("-id").values_list("id", "shop_id")
    ):
        kept[shop_id] = kept.get(shop_id, 0) + 1
        if kept[shop_id] > MAX_CART_LINES:
            dropped.append(line_id)
    if dropped:
        await CartItem.filter(id__in=dropped).delete()


async def _members(from_id: int, into_id: int) -> None:
    """Staff of the same shop: one membership, owner if either was the owner."""
    for theirs, mine in await paired_rows(ShopMember, "shop_id", from_id, into_id):
        if theirs.role == Role.OWNER:
            await ShopMember.filter(id=mine.id).update(role=Role.OWNER)
        await ShopMember.filter(id=theirs.id).delete()


async def _quotas(from_id: int, into_id: int) -> None:
    """Seats held in the same group-buy offer: counted together."""
    for theirs, mine in await paired_rows(GroupQuota, "campaign_id", from_id, into_id):
        await GroupQuota.filter(id=mine.id).update(held=mine.held + theirs.held)
        await GroupQuota.filter(id=theirs.id).delete()


async def _rekey(model: type[Model], key: str, scope: str, from_id: int, into_id: int) -> None:
    """Unique keys "<scope id>:<person id>" (one held seat per group, one open ticket per
    shop) renamed to the survivor; cleared when the survivor's key exists already."""
    for row in await model.filter(person_id=from_id, **{f"{key}__isnull": False}):
        renamed = f"{getattr(row, scope)}:{into_id}"
        taken = await model.exists(**{key: renamed})
        await model.filter(id=row.id).update(**{key: None if taken else renamed})


async def _seat_holders(from_id: int, into_id: int) -> None:
    """Both people in one group: both seats stay, with their orders."""
    await _rekey(GroupSeat, "holder", "group_id", from_id, into_id)


async def _open_tickets(from_id: int, into_id: int) -> None:
    """Open conversations with the same shop become one: the messages join the survivor's."""
    pairs = await paired_rows(Ticket, "shop_id", from_id, into_id, status=TicketStatus.OPEN)
    for theirs, mine in pairs:
        await TicketMessage.filter(ticket_id=theirs.id).update(ticket_id=mine.id)
        await Ticket.filter(id=theirs.id).delete()
    await _rekey(Ticket, "open_key", "shop_id", from_id, into_id)


async def _checkout_choices(from_id: int, into_id: int) -> None:
    """A coupon or points chosen for the next order in the same shop: the survivor's stays."""
    for theirs, _mine in await paired_rows(CheckoutChoice, "shop_id", from_id, into_id):
        await CheckoutChoice.filter(id=theirs.id).delete()


STORE_PARTICIPANTS: tuple[MergeParticipant, ...] = (
    _carts,
    _checkout_choices,
    _members,
    _quotas,
    _seat_holders,
    _open_tickets,
)


async def merge_people(
    from_id: int, into_id: int, participants: Sequence[MergeParticipant]
) -> None:
    """Move everything of person `from_id` to `into_id`. Call inside a transaction."""
    for participant in (*STORE_PARTICIPANTS, *participants):
        await participant(from_id, into_id)
    for ref in person_refs():
        await _settle_unique(ref, from_id, into_id)
        await ref.of(from_id).update(**{ref.column: into_id})
    merged = await Person.get(id=from_id)
    if merged.locale:
        await Person.filter(id=into_id, locale__isnull=True).update(locale=merged.locale)
    await Person.filter(id=from_id).delete()


async def _settle_unique(ref: Ref, from_id: int, into_id: int) -> None:
    """Rows a unique key would refuse after the move, left over by the participants. A pure
    association (every column is part of the key, like a tag) is the same fact twice: the
    merged person's copy goes. Anything else could hold a balance or a choice: refuse."""
    pk = ref.model._meta.pk_attr
    for others in ref.unique_keys():
        if others:
            mine = {tuple(r) for r in await ref.of(into_id).values_list(*others)}
            theirs = await ref.of(from_id).values_list(pk, *others)
            clash = [row[0] for row in theirs if tuple(row[1:]) in mine]
        elif await ref.of(into_id).exists():  # one row per person (one-to-one)
            clash = list(await ref.of(from_id).values_list(pk, flat=True))
        else:
            clash = []
        if not clash:
            continue
        if not _association(ref.model, {ref.column, *others}) or await _depended_on(
            ref.model, clash
        ):
            log.warning("merge %s into %s: conflict in %s", from_id, into_id, ref.table)
            raise LinkConflict(table=ref.table)
        await ref.model.filter(**{f"{pk}__in": clash}).delete()


def _association(model: type[Model], key: set[str]) -> bool:
    return set(model._meta.db_fields) - {model._meta.db_pk_column} <= key


async def _depended_on(model: type[Model], row_ids: list[int]) -> bool:
    for ref in refs_to(model):
        if await ref.model.filter(**{f"{ref.column}__in": row_ids}).exists():
            return True
    return False
