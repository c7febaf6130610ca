"""Dashboard sessions: an encrypted cookie by default, or a random id into Redis.

Either way the cookie is HTTP-only and SameSite=Lax (Secure when served over HTTPS), and the
session carries its own CSRF token. A Redis session can be revoked at logout; a cookie
session simply expires (Fernet's timestamp is checked on every request).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from dataclasses import asdict, dataclass
from typing import Protocol

from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken

from bot.runtime import KeyValue
from store.clock import Clock

log = logging.getLogger(__name__)
COOKIE = "ms_dashboard"


@dataclass(slots=True)
class Session:
    shop_id: int
    person_id: int
    locale: str
    csrf: str
    sid: str = ""  # the Redis session id; empty for cookie sessions

    @classmethod
    def new(cls, shop_id: int, person_id: int, locale: str) -> Session:
        return cls(shop_id, person_id, locale, secrets.token_urlsafe(24))


class SessionStore(Protocol):
    secure: bool  # cookies only over HTTPS: the public URL is https (a proxy may terminate it)

    async def load(self, request: web.Request) -> Session | None: ...
    async def save(self, response: web.StreamResponse, session: Session) -> None: ...
    async def end(self, response: web.StreamResponse, session: Session) -> None: ...


def _set_cookie(response: web.StreamResponse, value: str, max_age: int, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        path="/dashboard",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def _decode(raw: bytes | str) -> Session | None:
    try:
        data = json.loads(raw)
        return Session(
            shop_id=int(data["shop_id"]),
            person_id=int(data["person_id"]),
            locale=str(data["locale"]),
            csrf=str(data["csrf"]),
            sid=str(data.get("sid", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None


class CookieSessions:
    def __init__(self, secret: str | None, max_age: int, secure: bool, clock: Clock) -> None:
        if secret:
            key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        else:
            key = Fernet.generate_key()
            log.warning(
                "dashboard: no dashboard.secret_key set; sessions end when the server restarts"
            )
        self._fernet = Fernet(key)
        self.max_age = max_age
        self.secure = secure
        self.clock = clock

    def _now(self) -> int:
        return int(self.clock().timestamp())

    async def load(self, request: web.Request) -> Session | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            raw = self._fernet.decrypt_at_time(token.encode(), self.max_age, self._now())
        except InvalidToken:  # forged, tampered with, or older than max_age
            return None
        return _decode(raw)

    async def save(self, response: web.StreamResponse, session: Session) -> None:
        data = json.dumps(asdict(session)).encode()
        token = self._fernet.encrypt_at_time(data, self._now()).decode()
        _set_cookie(response, token, self.max_age, self.secure)

    async def end(self, response: web.StreamResponse, session: Session) -> None:
        response.del_cookie(COOKIE, path="/dashboard")


class RedisSessions:
    """The cookie holds a random id; Redis holds the session under the id's hash."""

    def __init__(self, kv: KeyValue, max_age: int, secure: bool) -> None:
        self.kv = kv
        self.max_age = max_age
        self.secure = secure

    @staticmethod
    def _key(sid: str) -> str:
        return "dashboard:session:" + hashlib.sha256(sid.encode()).hexdigest()

    async def load(self, request: web.Request) -> Session | None:
        sid = request.cookies.get(COOKIE)
        if not sid or len(sid) > 100:
            return None
        raw = await self.kv.get(self._key(sid))
        session = _decode(raw) if raw else None
        if session is not None:
            session.sid = sid
        return session

    async def save(self, response: web.StreamResponse, session: Session) -> None:
        if not session.sid:
            session.sid = secrets.token_urlsafe(32)
        stored = json.dumps(asdict(session) | {"sid": ""})  # Redis never holds the id itself
        await self.kv.set(self._key(session.sid), stored, self.max_age)
        _set_cookie(response, session.sid, self.max_age, self.secure)

    async def end(self, response: web.StreamResponse, session: Session) -> None:
        if session.sid:
            await self.kv.delete(self._key(session.sid))
        response.del_cookie(COOKIE, path="/dashboard")
