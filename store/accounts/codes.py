"""Short one-time codes typed in chat (/link, /deleteme confirm).

Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as ABCD-EFGH.
Only the SHA-256 is stored; a code expires and is used once by a guarded update.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from store.accounts.models import AccountCode, CodePurpose
from store.login_links import digest

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise(text: str) -> str | None:
    """The code as typed (any case, spaces or dashes), or None when it can't be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


async def issue(
    purpose: CodePurpose, person_id: int, identity_id: int, now: datetime, ttl: timedelta
) -> str:
    """A fresh code; the person's earlier unused codes of the same purpose stop working."""
    await AccountCode.filter(person_id=person_id, purpose=purpose, used_at__isnull=True).update(
        used_at=now
    )
    return await stored_code(
        lambda code_hash: AccountCode.create(
            code_hash=code_hash,
            purpose=purpose,
            person_id=person_id,
            identity_id=identity_id,
            expires_at=now + ttl,
        )
    )


async def stored_code(create: Callable[[str], Awaitable[object]]) -> str:
    """A fresh code, stored by `create(code_hash)` (a row whose code_hash is unique); a clash
    with an old code's hash, possible if unlikely, draws another."""
    for _ in range(3):
        code = new_code()
        try:
            await create(digest(code))
        except IntegrityError:
            continue
        return code
    raise RuntimeError("no free code after 3 tries")


async def find(purpose: CodePurpose, text: str) -> AccountCode | None:
    code = normalise(text)
    if code is None:
        return None
    return await AccountCode.get_or_none(code_hash=digest(code), purpose=purpose)


async def claim(row: AccountCode, now: datetime) -> bool:
    """Use the code up; False when it was used (or expired) meanwhile."""
    rows = await AccountCode.filter(id=row.id, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    return rows == 1
