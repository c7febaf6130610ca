"""Staff invitations: the owner makes a one-time code (on the dashboard, or /staff invite),
the new staff member sends it to the bot (/joinstaff) and joins the shop's team. Codes look
like /link's (ABCD-EFGH), only their SHA-256 is stored, they last a day and are used once,
by a guarded update in the transaction that adds the member."""

from __future__ import annotations

from datetime import timedelta

from tortoise.exceptions import IntegrityError

from store.accounts.codes import normalise, shown, stored_code
from store.clock import Clock
from store.db import transaction
from store.errors import PermissionDenied, StoreError
from store.login_links import digest
from store.models import Person, Role, Shop, ShopMember, StaffInvite
from store.shops import ShopService

INVITE_TTL = timedelta(hours=24)


class StaffInviteInvalid(StoreError):
    """Unknown, used or expired: the three look the same to whoever holds it."""

    code = "staff_invite_invalid"


class StaffInvites:
    def __init__(self, shops: ShopService, clock: Clock) -> None:
        self.shops = shops
        self.clock = clock

    async def issue(self, shop_id: int, actor_id: int) -> str:
        """A fresh code, shown as ABCD-EFGH; the owner's alone to make."""
        if await self.shops.role_of(shop_id, actor_id) != Role.OWNER:
            raise PermissionDenied("owner_only")
        code = await stored_code(
            lambda code_hash: StaffInvite.create(
                code_hash=code_hash,
                shop_id=shop_id,
                invited_by_id=actor_id,
                expires_at=self.clock() + INVITE_TTL,
            )
        )
        return shown(code)

    async def join(self, text: str, person: Person) -> Shop:
        """Use the code: `person` becomes staff of its shop. A member already keeps the code
        unused (they may pass it on); the same code twice at once adds one member."""
        code = normalise(text)
        invite = await StaffInvite.get_or_none(code_hash=digest(code)) if code else None
        now = self.clock()
        if invite is None or invite.used_at is not None or invite.expires_at <= now:
            raise StaffInviteInvalid()
        shop = await self.shops.get(invite.shop_id)  # type: ignore[attr-defined]
        if await self.shops.role_of(shop.id, person.id) is not None:
            raise StoreError("staff_already", shop=shop.name)
        try:
            async with transaction():
                claimed = await StaffInvite.filter(
                    id=invite.id, used_at__isnull=True, expires_at__gt=now
                ).update(used_at=now, used_by_id=person.id)
                if not claimed:
                    raise StaffInviteInvalid()
                await ShopMember.create(shop_id=shop.id, person=person, role=Role.STAFF)
        except IntegrityError:  # joined a moment ago by another message: the code stays unused
            raise StoreError("staff_already", shop=shop.name) from None
        await self.shops.cache.changed(shop.id)
        return shop
