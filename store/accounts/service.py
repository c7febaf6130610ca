"""The accounts service: linking identities, data export and erasure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Q

from store.accounts import codes
from store.accounts.erase import check_erasable, erase_person
from store.accounts.events import AccountsLinked
from store.accounts.export import export_person
from store.accounts.merge import MergeParticipant, merge_people
from store.accounts.models import AccountCode, CodePurpose, ExportLink
from store.clock import Clock
from store.db import transaction
from store.errors import InvalidInput
from store.events import EventBus
from store.identity_cache import IdentityCache
from store.login_links import new_token, usable, use_once
from store.models import Identity, Person, ShopMember
from store.shop_cache import ShopCache

CODE_TTL = timedelta(minutes=10)  # a /link or /deleteme code
EXPORT_INTERVAL = timedelta(minutes=10)  # one /mydata per person per interval
EXPORT_TTL = timedelta(minutes=10)  # the download link


@dataclass(frozen=True, slots=True)
class Linked:
    person_id: int  # the survivor
    platforms: list[str]  # its identities' platforms, now


@dataclass(frozen=True, slots=True)
class LinkPreview:
    """What sending a /link code would join this account with, said before it is done."""

    accounts: list[tuple[str, str]]  # the code's person's identities: (platform, name)
    runs_shop: bool  # either side owns or staffs a shop: it would be shared too


class Accounts:
    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        merge_participants: Sequence[MergeParticipant] = (),
        cache: ShopCache | None = None,
        identities: IdentityCache | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.cache = cache or ShopCache()
        self.identities = identities or IdentityCache()
        self._participants: list[MergeParticipant] = list(merge_participants)
        # Set by the composition root from server.public_url; links are <base><token>.
        self.export_base = "http://127.0.0.1:8080/mydata/"

    def subscribe(self) -> None:
        """Listen to the store's events (none needed)."""

    def add_merge_participant(self, fn: MergeParticipant) -> None:
        """Register async fn(from_person_id, into_person_id). It runs inside the merge
        transaction before the generic reassignment, to combine rows that a unique key
        allows only once per person (sum balances, keep one membership ...)."""
        self._participants.append(fn)

    # -- linking ----------------------------------------------------------------------------

    async def start_link(self, identity: Identity) -> str:
        """A code to send from the person's other account, shown as ABCD-EFGH."""
        person_id: int = identity.person_id  # type: ignore[attr-defined]
        code = await codes.issue(CodePurpose.LINK, person_id, identity.id, self.clock(), CODE_TTL)
        return codes.shown(code)

    async def link(self, identity: Identity, text: str) -> Linked:
        """Join `identity`'s person and the code's person into one: the older survives."""
        row = await self._usable(CodePurpose.LINK, text, "link")
        now = self.clock()
        async with transaction():
            # Re-read inside: a concurrent link may have moved either side meanwhile.
            asker = await Identity.get(id=identity.id)
            fresh = await AccountCode.get_or_none(id=row.id)
            if fresh is None:  # its person erased their data meanwhile
                raise InvalidInput("link_code_used")
            pair = sorted({asker.person_id, fresh.person_id})  # type: ignore[attr-defined]
            if len(pair) == 1:
                raise InvalidInput("link_self")
            locked = await Person.filter(id__in=pair).select_for_update().order_by("id")
            if len(locked) != 2:  # one of them was merged away since we read it
                raise InvalidInput("link_busy")
            await _one_per_platform(pair)
            if not await codes.claim(fresh, now):
                raise InvalidInput("link_code_used")
            into_id, from_id = pair  # the older person (lower id) survives
            await merge_people(from_id, into_id, self._participants)
            joined = await Identity.filter(person_id=into_id).order_by("id")
            platforms = [i.platform for i in joined]
        await self.cache.changed(None)  # shop roles moved to the surviving person
        for person_id in pair:  # the identities moved, the survivor's locale may be new
            await self.identities.changed(person_id)
        await self.bus.publish([AccountsLinked(into_id, identity.id, tuple(platforms))])
        return Linked(into_id, platforms)

    async def link_preview(self, identity: Identity, text: str) -> LinkPreview:
        """The checks `link` makes, without linking: whoever was handed somebody else's
        code sees whose account theirs would join before anything is shared."""
        row = await self._usable(CodePurpose.LINK, text, "link")
        pair = [identity.person_id, row.person_id]  # type: ignore[attr-defined]
        if pair[0] == pair[1]:
            raise InvalidInput("link_self")
        await _one_per_platform(pair)
        others = await Identity.filter(person_id=pair[1]).order_by("id")
        accounts = [
            (i.platform, "" if i.display_name == i.platform_user_id else i.display_name)
            for i in others
        ]
        return LinkPreview(accounts, await ShopMember.filter(person_id__in=pair).exists())

    async def _usable(self, purpose: CodePurpose, text: str, prefix: str) -> AccountCode:
        row = await codes.find(purpose, text)
        if row is None:
            raise InvalidInput(f"{prefix}_code_invalid")
        if row.used_at is not None:
            raise InvalidInput(f"{prefix}_code_used")
        if row.expires_at <= self.clock():
            raise InvalidInput(f"{prefix}_code_expired")
        return row

    # -- export -----------------------------------------------------------------------------

    async def request_export(self, person_id: int) -> str:
        """A one-time download link of everything stored about the person."""
        now = self.clock()
        async with transaction():
            rows = await Person.filter(
                Q(last_export_at__isnull=True) | Q(last_export_at__lte=now - EXPORT_INTERVAL),
                id=person_id,
            ).update(last_export_at=now)
            if rows == 0:
                last = (await Person.get(id=person_id)).last_export_at
                wait = (last + EXPORT_INTERVAL - now).total_seconds() if last else 0
                raise InvalidInput("export_too_soon", minutes=max(1, math.ceil(wait / 60)))
            token, hashed = new_token()
            await ExportLink.create(
                token_hash=hashed, person_id=person_id, expires_at=now + EXPORT_TTL
            )
        await self.identities.changed(person_id)
        return self.export_base + token

    async def export_usable(self, token: str) -> bool:
        """Whether the link would download now; looking does not use it up."""
        return await usable(ExportLink, token, self.clock())

    async def redeem_export(self, token: str) -> str | None:
        """The export as JSON, once per link; None when unknown, expired or used."""
        now = self.clock()
        link = await use_once(ExportLink, token, now)
        if link is None:
            return None
        return await export_person(link.person_id, now)  # type: ignore[attr-defined]

    # -- erasure ----------------------------------------------------------------------------

    async def start_erase(self, identity: Identity) -> str:
        """A confirmation code, after checking that nothing stands in the way."""
        person_id: int = identity.person_id  # type: ignore[attr-defined]
        await check_erasable(person_id)
        code = await codes.issue(CodePurpose.ERASE, person_id, identity.id, self.clock(), CODE_TTL)
        return codes.shown(code)

    async def erase(self, person_id: int, text: str) -> list[Identity]:
        """Erase after a confirmation code; returns the person's identities (kept)."""
        row = await self._usable(CodePurpose.ERASE, text, "erase")
        if row.person_id != person_id:  # type: ignore[attr-defined]
            raise InvalidInput("erase_code_invalid")
        now = self.clock()
        async with transaction():
            await Person.filter(id=person_id).select_for_update()
            await check_erasable(person_id)
            if not await codes.claim(row, now):
                raise InvalidInput("erase_code_used")
            await erase_person(person_id, now)
        await self.identities.changed(person_id)
        return await Identity.filter(person_id=person_id).order_by("id")


async def _one_per_platform(people: list[int]) -> None:
    """A person has at most one identity per platform."""
    platforms = await Identity.filter(person_id__in=people).values_list("platform", flat=True)
    if len(platforms) != len(set(platforms)):
        raise InvalidInput("link_platform_taken")
