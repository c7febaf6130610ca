"""What a handler knows about the message it answers: who, which shop, which language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.i18n import render, translate
from handlers.state import StateStore
from handlers.status import status_label
from handlers.types import Button, Incoming, Reply
from referral.services import ReferralServices
from store.errors import PermissionDenied, ShopNotFound
from store.models import Identity, Person, Role, Shop
from store.money import format_money
from store.services import StoreServices

if TYPE_CHECKING:
    from handlers.router import Registry

# Start payload prefix (ref, gb) -> what happens; set by the capability that owns the prefix.
StartHook = Callable[[str, "Context"], Awaitable[list[Reply]]]
# Called for every private message once the context is known (the community's last-seen).
ContactHook = Callable[["Context"], Awaitable[None]]
# Whether a group message's sender administers that group (owner or admin), as the platform
# says: the platform's adapter asks it. Raises Unavailable when the platform can't be asked.
GroupAdminCheck = Callable[[Incoming], Awaitable[bool]]


@dataclass(slots=True)
class Context:
    msg: Incoming
    identity: Identity
    person: Person
    shop: Shop | None
    role: Role | None
    locale: str
    services: StoreServices
    state: StateStore
    registry: Registry
    start_hooks: dict[str, StartHook] = field(default_factory=dict)
    referral: ReferralServices | None = None  # agents and commissions, when wired
    # The platform turns a reply's pay_order_no into a payment in the chat.
    pays_in_chat: bool = False
    # The platform's own word on who administers a group (None: the platform has none to ask).
    group_admin: GroupAdminCheck | None = None

    @property
    def state_key(self) -> str:
        return f"{self.msg.platform}:{self.msg.user_id}"

    def t(self, msgid: str, **params: Any) -> str:
        return translate(self.locale, msgid, **params)

    @property
    def currency(self) -> str:
        """The shop's currency, in which every amount here is shown."""
        return self.shop.currency if self.shop else "CNY"

    def money(self, value: Any, currency: str | None = None) -> str:
        return format_money(value, currency or self.currency, self.locale)

    def render(self, template: str, **values: Any) -> str:
        return render(
            self.locale,
            template,
            money=self.money,
            shop=self.shop,
            status_name=self.status_name,
            pays_in_chat=self.pays_in_chat,
            **values,
        )

    def status_name(self, status: str) -> str:
        return status_label(self.locale, status)

    def reply(
        self, template: str, buttons: list[list[Button]] | None = None, **values: Any
    ) -> Reply:
        rows = tuple(tuple(r) for r in (buttons or []) if r)
        return Reply(text=self.render(template, **values), buttons=rows)

    def button(self, msgid: str, payload: str, **params: Any) -> Button:
        return Button(label=self.t(msgid, **params), payload=payload)

    def page_nav(self, base: str, page: int, pages: int) -> list[Button]:
        """A paged list's Previous and Next buttons: `base` and the page's number."""
        nav = []
        if page > 1:
            nav.append(self.button("‹ Previous", f"{base} {page - 1}"))
        if page < pages:
            nav.append(self.button("Next ›", f"{base} {page + 1}"))
        return nav

    async def enter(self, shop: Shop) -> None:
        """The person now chats with `shop`: it is remembered, and this message's shop and
        role are that shop's (a deep link, /shop, a new shop, joining its team)."""
        await self.services.people.set_current_shop(self.identity, shop.id)
        self.shop = shop
        self.role = await self.services.shops.role_of(shop.id, self.person.id)

    def require_shop(self) -> Shop:
        if self.shop is None:
            raise ShopNotFound("no_shop")
        return self.shop

    def require_staff(self) -> Shop:
        shop = self.require_shop()
        if self.role is None:
            raise PermissionDenied()
        return shop

    async def require_group_admin(self) -> None:
        """A group message comes from an administrator (or the owner) of that group, as the
        platform says. A platform whose adapter has nobody to ask (the simulator, whose
        groups are local) lets every member through."""
        if not self.msg.is_group or self.group_admin is None:
            return
        if not await self.group_admin(self.msg):
            raise PermissionDenied("group_admin_only")

    def require_owner(self) -> Shop:
        shop = self.require_shop()
        if self.role != Role.OWNER:
            raise PermissionDenied("owner_only")
        return shop
