"""People and their platform identities."""

from __future__ import annotations

import copy

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from store.db import transaction
from store.errors import NotFound
from store.identity_cache import IdentityCache
from store.ids import row_id
from store.models import Identity, Person
from store.prepared import Prepared

# Every message starts here: identity and person in one query, its SQL built once.
IDENTITY = Prepared(
    Identity,
    lambda platform, user_id: (
        Identity.filter(platform=platform, platform_user_id=user_id)
        .select_related("person")
        .limit(1)
    ),
)


class PeopleService:
    def __init__(self, copies: IdentityCache | None = None) -> None:
        self.copies = copies or IdentityCache()

    async def identify(
        self, platform: str, user_id: str, display_name: str = "", *, private: bool = False
    ) -> Identity:
        """The identity for (platform, user id), created with its person on first contact."""
        ident = await self.copies.identity(
            platform, user_id, lambda: IDENTITY.first(platform, user_id)
        )
        if ident is None:
            name = display_name[:64] or user_id[:64]

            async def create() -> Identity:
                async with transaction():
                    person = await Person.create(display_name=name)
                    return await Identity.create(
                        platform=platform,
                        platform_user_id=user_id,
                        person=person,
                        display_name=name,
                        private_chat_ok=private,
                    )

            try:
                ident = await self.copies.created(platform, user_id, create)
                ident.created_now = True
            except IntegrityError:  # a concurrent first message created it
                ident = await Identity.get(
                    platform=platform, platform_user_id=user_id
                ).select_related("person")
        changes: dict[str, object] = {}
        if private and not ident.private_chat_ok:
            changes["private_chat_ok"] = True
        if private and ident.unreachable:
            changes["unreachable"] = False  # they came back
        if display_name and display_name[:64] != ident.display_name:
            changes["display_name"] = display_name[:64]
        person = ident.person
        renamed = bool(display_name) and not person.display_name
        if renamed:  # erased by /deleteme, then back: their name is stored again
            await Person.filter(id=person.id, display_name="").update(
                display_name=display_name[:64]
            )
            person.display_name = display_name[:64]
        if changes:
            await Identity.filter(id=ident.id).update(**changes)
            for k, v in changes.items():
                setattr(ident, k, v)
        if changes or renamed:
            await self.copies.changed(ident.person_id)  # type: ignore[attr-defined]
        return ident

    async def person(self, person_id: int) -> Person:
        """A copy of their own: the caller may set attributes on it."""
        kept = await self.copies.get(person_id, "person", lambda: Person.get(id=person_id))
        return copy.copy(kept)

    async def find(self, platform: str, ref: str) -> Person:
        """A person named in a command: `#<person id>` or a platform user id. A `#` and digits
        that are no id ("#²", more than the column holds) name nobody."""
        ref = ref.strip().lstrip("@")
        if ref.startswith("#") and ref[1:].isdigit():
            pid = row_id(ref[1:])
            person = await Person.get_or_none(id=pid) if pid is not None else None
        else:
            ident = await Identity.get_or_none(platform=platform, platform_user_id=ref)
            person = await Person.get_or_none(id=ident.person_id) if ident else None  # type: ignore[attr-defined]
        if person is None:
            raise NotFound("user_not_found", user=ref[:40])
        return person

    async def set_locale(self, person_id: int, locale: str) -> None:
        await Person.filter(id=person_id).update(locale=locale)
        await self.copies.changed(person_id)

    async def set_current_shop(self, identity: Identity, shop_id: int) -> None:
        await Identity.filter(id=identity.id).update(current_shop_id=shop_id)
        identity.current_shop_id = shop_id  # type: ignore[attr-defined]
        await self.copies.changed(identity.person_id)  # type: ignore[attr-defined]

    async def mark_unreachable(self, platform: str, user_id: str) -> None:
        """The platform refused a message to this user: they blocked us."""
        await self._unreachable(Identity.filter(platform=platform, platform_user_id=user_id))

    async def mark_unreachable_id(self, identity_id: int) -> None:
        await self._unreachable(Identity.filter(id=identity_id))

    async def _unreachable(self, identities: QuerySet[Identity]) -> None:
        people = await identities.values_list("person_id", flat=True)
        await identities.update(unreachable=True)
        for person_id in set(people):
            await self.copies.changed(person_id)  # type: ignore[arg-type]

    async def private_chat_ok(self, platform: str, user_id: str) -> bool:
        return await Identity.exists(
            platform=platform, platform_user_id=user_id, private_chat_ok=True, unreachable=False
        )

    async def reachable_identities(self, person_id: int) -> list[Identity]:
        """Where a message to this person can go (each a copy of the caller's own)."""
        kept = await self.copies.get(person_id, "reachable", lambda: _reachable(person_id))
        return [copy.copy(identity) for identity in kept]


async def _reachable(person_id: int) -> list[Identity]:
    return await Identity.filter(person_id=person_id, unreachable=False).order_by("id")
