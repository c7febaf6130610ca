"""Link codes under real concurrency on PostgreSQL: a code links once, crossed links never
deadlock; a staff invitation adds one member. Runs on a scratch database built from the
models (skipped without PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from store.errors import InvalidInput, StoreError
from store.models import Identity, Person, Role, ShopMember
from store.services import StoreServices
from tests.conftest import FakeClock
from tests.support.race_db import models_on_postgres


@pytest.fixture
async def pg_services(clock: FakeClock) -> AsyncIterator[StoreServices]:
    async with models_on_postgres("test_acc"):
        yield StoreServices.build(clock=clock)


async def attempt(services: StoreServices, ident: Identity, code: str) -> str:
    try:
        await services.accounts.link(ident, code)
    except InvalidInput as e:
        return e.code
    return "linked"


async def test_a_code_links_exactly_once(pg_services: StoreServices) -> None:
    people = pg_services.people
    alice = await people.identify("telegram", "alice")
    others = [await people.identify("wechat", f"wx{i}") for i in range(8)]
    code = await pg_services.accounts.start_link(alice)

    results = await asyncio.gather(*(attempt(pg_services, o, code) for o in others))

    counts = Counter(results)
    assert counts["linked"] == 1, counts
    assert set(counts) <= {"linked", "link_code_used", "link_platform_taken", "link_busy"}
    survivor = alice.person_id  # type: ignore[attr-defined]
    assert await Identity.filter(person_id=survivor).count() == 2
    assert await Person.all().count() == 8  # one of nine merged away


async def test_crossed_links_do_not_deadlock(pg_services: StoreServices) -> None:
    people = pg_services.people
    tg = await people.identify("telegram", "amy")
    wx = await people.identify("wechat", "wx-amy")
    tg_code = await pg_services.accounts.start_link(tg)
    wx_code = await pg_services.accounts.start_link(wx)

    results = await asyncio.wait_for(
        asyncio.gather(attempt(pg_services, wx, tg_code), attempt(pg_services, tg, wx_code)),
        timeout=20,
    )

    assert results.count("linked") == 1, results
    assert set(results) <= {"linked", "link_self", "link_busy", "link_code_used"}, results
    assert await Person.all().count() == 1


async def test_an_erasure_code_confirms_once(pg_services: StoreServices) -> None:
    alice = await pg_services.people.identify("telegram", "alice", "Alice")
    code = await pg_services.accounts.start_erase(alice)
    person = alice.person_id  # type: ignore[attr-defined]

    async def confirm() -> str:
        try:
            await pg_services.accounts.erase(person, code)
        except InvalidInput as e:
            return e.code
        return "erased"

    results = await asyncio.gather(*(confirm() for _ in range(5)))

    assert sorted(results) == ["erase_code_used"] * 4 + ["erased"], results
    assert (await Person.get(id=person)).display_name == ""


async def join(services: StoreServices, person: Person, code: str) -> str:
    try:
        await services.staff_invites.join(code, person)
    except StoreError as e:
        return e.code
    return "joined"


async def test_a_staff_invitation_adds_exactly_one_member(pg_services: StoreServices) -> None:
    owner = await pg_services.people.identify("telegram", "owner")
    shop = await pg_services.shops.create("Race Tea", await Person.get(id=owner.person_id))  # type: ignore[attr-defined]
    code = await pg_services.staff_invites.issue(shop.id, owner.person_id)  # type: ignore[attr-defined]
    people = [
        await Person.get(id=(await pg_services.people.identify("wechat", f"wx{i}")).person_id)  # type: ignore[attr-defined]
        for i in range(8)
    ]

    results = await asyncio.gather(*(join(pg_services, p, code) for p in people))

    counts = Counter(results)
    assert counts == Counter({"joined": 1, "staff_invite_invalid": 7}), counts
    assert await ShopMember.filter(shop_id=shop.id, role=Role.STAFF).count() == 1
