"""Shops, their members (owner and staff) and the group chats bound to them."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from tortoise.exceptions import IntegrityError

from store.db import transaction
from store.errors import InvalidInput, PermissionDenied, ShopNotFound
from store.models import GroupBinding, Identity, Person, Role, Shop, ShopMember
from store.money import parse_amount
from store.people import PeopleService
from store.shop_cache import ShopCache

_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
SLUG_MAX = Shop._meta.fields_map["slug"].max_length  # type: ignore[attr-defined]
NAME_MAX = Shop._meta.fields_map["name"].max_length  # type: ignore[attr-defined]

SETTING_LIMITS = {
    "unpaid_timeout_minutes": (5, 7 * 24 * 60),
    "autocomplete_days": (1, 60),
}
PAY_NOTE_MAX = Shop._meta.fields_map["pay_note"].max_length  # type: ignore[attr-defined]


def check_pay_note(text: str) -> str:
    """How to pay the shop by hand, as typed: refused when too long, never cut (a cut account
    number would send the money elsewhere)."""
    text = text.strip()
    if len(text) > PAY_NOTE_MAX:
        raise InvalidInput("pay_note_too_long", high=PAY_NOTE_MAX)
    return text


def check_shipping_fee(text: str) -> Decimal:
    """The flat shipping fee per order, as typed: 0 is free shipping."""
    return parse_amount(text, allow_zero=True)


def check_free_shipping(text: str) -> Decimal | None:
    """The goods total (after discounts) from which orders ship free; "" is none."""
    return parse_amount(text) if text.strip() else None


def slugify(name: str) -> str:
    slug = _SLUG_CHARS.sub("-", name.lower()).strip("-")[:24]
    return slug or "shop"


async def _roles(shop_id: int) -> dict[int, Role]:
    members = await ShopMember.filter(shop_id=shop_id).values_list("person_id", "role")
    return {person_id: Role(role) for person_id, role in members}


class ShopService:
    def __init__(
        self,
        default_slug: str,
        locale: str,
        currency: str,
        people: PeopleService,
        cache: ShopCache | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.default_slug = default_slug
        self.locale = locale
        self.currency = currency
        self.timezone = timezone
        self.people = people
        self.cache = cache or ShopCache()

    async def get(self, shop_id: int) -> Shop:
        """The shop; callers only read it (one copy serves every message of this process)."""
        return await cached_shop(self.cache, shop_id)

    async def by_slug(self, slug: str) -> Shop:
        shop = await Shop.get_or_none(slug=slug.lower())
        if shop is None:
            raise ShopNotFound(slug=slug)
        return shop

    async def find(self, text: str) -> Shop:
        """What a person types to choose a shop: its link name, or its whole name."""
        text = text.strip()
        shop = None
        if 0 < len(text) <= SLUG_MAX:  # longer ones are no link name (nor can the ORM ask)
            shop = await Shop.get_or_none(slug=text.lower())
        if shop is None and 0 < len(text) <= NAME_MAX:
            shop = await Shop.filter(name__iexact=text).order_by("id").first()
        if shop is None:
            raise ShopNotFound(slug=text[:NAME_MAX])
        return shop

    async def default(self) -> Shop | None:
        return await self.cache.get(None, "default", self._default)

    async def _default(self) -> Shop | None:
        shop = await Shop.get_or_none(slug=self.default_slug)
        return shop or await Shop.all().order_by("id").first()

    async def create(self, name: str, owner: Person, slug: str | None = None) -> Shop:
        name = name.strip()
        if not 1 <= len(name) <= 80:
            raise InvalidInput("bad_shop_name")
        base = slugify(slug or name)
        async with transaction():
            candidate = base
            while await Shop.exists(slug=candidate):
                candidate = f"{base}-{secrets.token_hex(2)}"
            shop = await Shop.create(
                slug=candidate,
                name=name,
                locale=self.locale,
                currency=self.currency,
                timezone=self.timezone,
            )
            await ShopMember.create(shop=shop, person=owner, role=Role.OWNER)
        await self.cache.changed(shop.id)  # the default shop may be this one now
        return shop

    async def role_of(self, shop_id: int, person_id: int) -> Role | None:
        return (await self._roles(shop_id)).get(person_id)

    async def _roles(self, shop_id: int) -> dict[int, Role]:
        """Members' roles by person id, from the copies."""
        return await self.cache.get(shop_id, "roles", lambda: _roles(shop_id))

    async def require_staff(self, shop_id: int, person_id: int) -> Role:
        role = await self.role_of(shop_id, person_id)
        if role is None:
            raise PermissionDenied()
        return role

    async def add_staff(self, shop_id: int, actor_id: int, person: Person) -> bool:
        if await self.role_of(shop_id, actor_id) != Role.OWNER:
            raise PermissionDenied("owner_only")
        try:
            await ShopMember.create(shop_id=shop_id, person=person, role=Role.STAFF)
        except IntegrityError:
            return False
        await self.cache.changed(shop_id)
        return True

    async def remove_staff(self, shop_id: int, actor_id: int, person: Person) -> bool:
        if await self.role_of(shop_id, actor_id) != Role.OWNER:
            raise PermissionDenied("owner_only")
        rows = await ShopMember.filter(
            shop_id=shop_id, person_id=person.id, role=Role.STAFF
        ).delete()
        await self.cache.changed(shop_id)
        return rows > 0

    async def staff(self, shop_id: int) -> list[ShopMember]:
        return await ShopMember.filter(shop_id=shop_id).prefetch_related("person").order_by("id")

    async def staff_identities(self, shop_id: int) -> list[Identity]:
        """Where the shop's staff hear of its business (from the copies: every order tells them)."""
        return [
            identity
            for person_id in sorted(await self._roles(shop_id))
            for identity in await self.people.reachable_identities(person_id)
        ]

    async def update_setting(self, shop_id: int, actor_id: int, key: str, value: int) -> Shop:
        await self.require_staff(shop_id, actor_id)
        if key not in SETTING_LIMITS:
            raise InvalidInput("unknown_setting", key=key)
        low, high = SETTING_LIMITS[key]
        if not low <= value <= high:
            raise InvalidInput("setting_out_of_range", key=key, low=low, high=high)
        await self.save_settings(shop_id, {key: value})
        return await self.get(shop_id)

    async def change_settings(self, shop_id: int, actor_id: int, values: dict[str, object]) -> Shop:
        """A staff member's settings, already checked (check_pay_note, check_shipping_fee,
        check_free_shipping): written, and the shop as it is now."""
        await self.require_staff(shop_id, actor_id)
        await self.save_settings(shop_id, values)
        return await self.get(shop_id)

    async def save_settings(self, shop_id: int, values: dict[str, object]) -> None:
        """Write already checked settings; every copy of the shop is dropped after."""
        await Shop.filter(id=shop_id).update(**values)
        await self.cache.changed(shop_id)

    async def bind_group(
        self, shop_id: int, actor_id: int, platform: str, chat_id: str, title: str = ""
    ) -> None:
        await self.require_staff(shop_id, actor_id)
        binding = await GroupBinding.get_or_none(platform=platform, chat_id=chat_id)
        if binding is None:
            await GroupBinding.create(
                platform=platform, chat_id=chat_id, shop_id=shop_id, title=title
            )
        else:
            # A group is rebound only by the owner or staff of the shop it is bound to.
            await self.require_staff(binding.shop_id, actor_id)  # type: ignore[attr-defined]
            await GroupBinding.filter(id=binding.id).update(shop_id=shop_id, title=title)

    async def move_group(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        """The platform gave a bound group a new chat id (Telegram upgrades a group to a
        supergroup): the binding follows it. True when a binding moved; a repeat of the
        same move changes nothing. Where the new chat is bound already, that binding stays."""
        old = GroupBinding.filter(platform=platform, chat_id=old_chat_id)
        if not await GroupBinding.exists(platform=platform, chat_id=new_chat_id):
            try:
                return await old.update(chat_id=new_chat_id) > 0
            except IntegrityError:  # the other half of the same move, at the same time
                pass
        await old.delete()
        return False

    async def shop_for_group(self, platform: str, chat_id: str) -> Shop | None:
        binding = await GroupBinding.get_or_none(platform=platform, chat_id=chat_id)
        return await Shop.get_or_none(id=binding.shop_id) if binding else None  # type: ignore[attr-defined]

    async def bound_groups(self, shop_id: int) -> list[GroupBinding]:
        return await GroupBinding.filter(shop_id=shop_id).order_by("id")


async def cached_shop(cache: ShopCache, shop_id: int) -> Shop:
    """The shop row from the process's copy (read only): every message and order reads it."""
    shop = await cache.get(shop_id, "shop", lambda: Shop.get_or_none(id=shop_id))
    if shop is None:
        raise ShopNotFound()
    return shop
