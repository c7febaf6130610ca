"""One-time login links for the merchant dashboard: no passwords to leak.

A link carries a random token; the database keeps only its hash, an expiry and when it was
used. Redeeming is one guarded update (`used_at IS NULL AND expires_at > now`), so a link
works exactly once even when two requests race.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from store.clock import Clock
from store.dashboard_models import LoginToken
from store.errors import PermissionDenied
from store.models import ShopMember

LINK_TTL = timedelta(minutes=10)
_TOKEN_BYTES = 32


class LoginLinkInvalid(PermissionDenied):
    """Unknown, expired or already used: the three look the same to whoever holds it."""

    code = "login_link_invalid"


@dataclass(frozen=True, slots=True)
class LoginGrant:
    shop_id: int
    person_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        await LoginToken.create(
            token_hash=_digest(token),
            shop_id=shop_id,
            person_id=person_id,
            expires_at=self.clock() + self.ttl,
        )
        return self.link_base + token

    async def redeem(self, token: str) -> LoginGrant:
        """Use the link up. Raises LoginLinkInvalid when it is unknown, expired or used."""
        if not 20 <= len(token) <= 100:
            raise LoginLinkInvalid()
        now = self.clock()
        digest = _digest(token)
        rows = await LoginToken.filter(
            token_hash=digest, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if rows != 1:
            raise LoginLinkInvalid()
        link = await LoginToken.get(token_hash=digest)
        grant = LoginGrant(shop_id=link.shop_id, person_id=link.person_id)  # type: ignore[attr-defined]
        # Someone removed from the staff since the link was sent gets nothing.
        if not await ShopMember.exists(shop_id=grant.shop_id, person_id=grant.person_id):
            raise LoginLinkInvalid()
        return grant
