"""One-time login links for the merchant dashboard: no passwords to leak.

A link carries a random token; the database keeps only its hash, an expiry and when it was
used. Redeeming is one guarded update (`used_at IS NULL AND expires_at > now`), so a link
works exactly once even when two requests race.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from tortoise.models import Model

from store.clock import Clock
from store.dashboard_models import LoginToken
from store.errors import PermissionDenied
from store.models import ShopMember

LINK_TTL = timedelta(minutes=10)
_TOKEN_BYTES = 32
TokenRow = TypeVar("TokenRow", bound=Model)


class LoginLinkInvalid(PermissionDenied):
    """Unknown, expired or already used: the three look the same to whoever holds it."""

    code = "login_link_invalid"


@dataclass(frozen=True, slots=True)
class LoginGrant:
    shop_id: int
    person_id: int


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A random URL-safe token for a link, and the digest to store instead of it."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    return token, digest(token)


async def usable(model: type[TokenRow], token: str, now: datetime) -> bool:
    """Whether use_once would redeem the token now, without redeeming it (a page that only
    shows the button that spends it)."""
    if not 20 <= len(token) <= 100:
        return False
    live = model.filter(token_hash=digest(token), used_at__isnull=True, expires_at__gt=now)
    return await live.exists()


async def use_once(model: type[TokenRow], token: str, now: datetime) -> TokenRow | None:
    """Redeem a one-time token row of `model` (token_hash, expires_at, used_at): one guarded
    update, so it works once even when two requests race. None when unknown, expired or used."""
    if not 20 <= len(token) <= 100:
        return None
    hashed = digest(token)
    live = model.filter(token_hash=hashed, used_at__isnull=True, expires_at__gt=now)
    rows = await live.update(used_at=now)
    return await model.get(token_hash=hashed) if rows == 1 else None


class LoginLinks:
    def __init__(self, clock: Clock, ttl: timedelta = LINK_TTL) -> None:
        self.clock = clock
        self.ttl = ttl
        # Set by the composition root from server.public_url; links are <base><token>.
        self.link_base = "http://127.0.0.1:8080/dashboard/login/"

    async def issue(self, shop_id: int, person_id: int) -> str:
        """A fresh link for a member of the shop. Returns the full URL."""
        if not await ShopMember.exists(shop_id=shop_id, person_id=person_id):
            raise PermissionDenied()
        token, hashed = new_token()
        await LoginToken.create(
            token_hash=hashed,
            shop_id=shop_id,
            person_id=person_id,
            expires_at=self.clock() + self.ttl,
        )
        return self.link_base + token

    async def redeem(self, token: str) -> LoginGrant:
        """Use the link up. Raises LoginLinkInvalid when it is unknown, expired or used."""
        link = await use_once(LoginToken, token, self.clock())
        if link is None:
            raise LoginLinkInvalid()
        grant = LoginGrant(shop_id=link.shop_id, person_id=link.person_id)  # type: ignore[attr-defined]
        # Someone removed from the staff since the link was sent gets nothing.
        if not await ShopMember.exists(shop_id=grant.shop_id, person_id=grant.person_id):
            raise LoginLinkInvalid()
        return grant
