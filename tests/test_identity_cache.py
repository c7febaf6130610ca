"""The per-process copies of identities and their persons: read once, dropped by every
change here and (through Redis) in the other processes; and no code writes an identity or
a person except through the services that announce it."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from store.copies import MAX_AGE
from store.db import transaction
from store.identity_cache import IdentityCache
from store.models import Identity, Person
from store.services import StoreServices
from tests.copies_processes import eventually, needs_redis, process
from tests.integration.world import make_shop
from tests.writers import files_writing


def kept(services: StoreServices) -> IdentityCache:
    """What this file's processes keep and hear about."""
    return services.people.copies


async def behind_its_back(platform: str, user_id: str, **changes: object) -> None:
    """A write that bypasses the services: what a copy would miss."""
    await Identity.filter(platform=platform, platform_user_id=user_id).update(**changes)


async def test_an_identity_is_read_once_and_each_reader_gets_its_own(database: None) -> None:
    s = StoreServices.build()
    first = await s.people.identify("sim", "ann", "Ann", private=True)
    assert first.created_now
    again = await s.people.identify("sim", "ann", "Ann", private=True)
    assert not again.created_now  # the first contact's mark is not kept
    await behind_its_back("sim", "ann", display_name="Changed")
    kept = await s.people.identify("sim", "ann")
    assert kept.display_name == "Ann"  # the copy, not the database

    kept.current_shop_id = 99  # type: ignore[attr-defined]
    kept.person.locale = "en"
    mine = await s.people.identify("sim", "ann")
    assert mine.current_shop_id is None  # type: ignore[attr-defined]
    assert mine.person.locale is None


async def test_a_newcomer_is_kept_from_their_first_message(database: None) -> None:
    s = StoreServices.build()
    first = await s.people.identify("sim", "bob", "Bob", private=True)
    assert first.created_now
    first.person.locale = "en"  # the first message's own copy
    await behind_its_back("sim", "bob", display_name="Changed")
    again = await s.people.identify("sim", "bob")
    assert again.display_name == "Bob"  # kept since its creation: nothing read
    assert not again.created_now and again.person.locale is None
    assert again.person_id == first.person_id  # type: ignore[attr-defined]


async def test_a_newcomer_created_inside_a_transaction_is_kept_only_once_it_commits(
    database: None,
) -> None:
    s = StoreServices.build()

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned):
        async with transaction():
            await s.people.identify("sim", "bob", "Bob")
            raise Abandoned  # rolls the newcomer back
    again = await s.people.identify("sim", "bob", "Bob")
    assert again.created_now  # created anew, not a copy of the rolled-back one
    assert await Identity.filter(platform="sim", platform_user_id="bob").count() == 1

    async with transaction():
        assert (await s.people.identify("sim", "cleo", "Cleo")).created_now
    await behind_its_back("sim", "cleo", display_name="Changed")
    assert (await s.people.identify("sim", "cleo")).display_name == "Cleo"  # kept


async def test_every_change_is_seen_at_once_by_the_process_that_made_it(database: None) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    ann = await s.people.identify("sim", "ann", "Ann", private=True)
    await s.people.identify("sim", "ann")

    await s.people.set_locale(ann.person_id, "en")  # type: ignore[attr-defined]
    assert (await s.people.identify("sim", "ann")).person.locale == "en"

    await s.people.set_current_shop(ann, shop.id)
    assert (await s.people.identify("sim", "ann")).current_shop_id == shop.id  # type: ignore[attr-defined]

    assert (await s.people.identify("sim", "ann", "Ann Lee")).display_name == "Ann Lee"
    assert (await s.people.identify("sim", "ann")).display_name == "Ann Lee"

    await s.people.mark_unreachable("sim", "ann")
    assert (await s.people.identify("sim", "ann")).unreachable
    await s.people.identify("sim", "ann", private=True)  # they wrote again: reachable
    assert not (await s.people.identify("sim", "ann")).unreachable
    await s.community.subscriptions.mark_blocked(ann.id)
    assert (await s.people.identify("sim", "ann")).unreachable


async def test_a_persons_other_parts_are_kept_and_dropped_with_their_identities(
    database: None,
) -> None:
    """The person and where to reach them (every order notifies its shop's staff)."""
    s = StoreServices.build()
    shop, owner_id = await make_shop(s)
    owner = await s.people.person(owner_id)
    [ident] = await s.people.reachable_identities(owner_id)
    await Person.filter(id=owner_id).update(locale="en")  # behind their back
    await behind_its_back(ident.platform, ident.platform_user_id, unreachable=True)
    assert (await s.people.person(owner_id)).locale is None  # the copy
    assert len(await s.shops.staff_identities(shop.id)) == 1

    mine = await s.people.person(owner_id)
    mine.display_name = "Changed by a reader"
    assert (await s.people.person(owner_id)).display_name == owner.display_name

    await s.people.set_locale(owner_id, "zh_CN")
    assert (await s.people.person(owner_id)).locale == "zh_CN"
    assert await s.shops.staff_identities(shop.id) == []  # read again: unreachable now
    await s.people.identify(ident.platform, ident.platform_user_id, private=True)  # back
    assert [i.id for i in await s.shops.staff_identities(shop.id)] == [ident.id]

    staff = await s.people.identify("sim", "staff", "Staff", private=True)
    await s.people.reachable_identities(staff.person_id)  # type: ignore[attr-defined]
    await s.shops.add_staff(shop.id, owner_id, await s.people.person(staff.person_id))  # type: ignore[attr-defined]
    assert {i.id for i in await s.shops.staff_identities(shop.id)} == {ident.id, staff.id}
    await s.people.mark_unreachable("sim", "staff")
    assert [i.id for i in await s.shops.staff_identities(shop.id)] == [ident.id]


async def test_a_link_moves_the_copies_to_the_surviving_person(database: None) -> None:
    s = StoreServices.build()
    older = await s.people.identify("telegram", "1", "Old")
    newer = await s.people.identify("wechat", "o-1", "New")
    await s.people.set_locale(newer.person_id, "en")  # type: ignore[attr-defined]
    await s.people.identify("wechat", "o-1")  # both copies kept now
    await s.people.identify("telegram", "1")
    assert len(await s.people.reachable_identities(older.person_id)) == 1  # type: ignore[attr-defined]

    code = await s.accounts.start_link(older)
    await s.accounts.link(newer, code)
    moved = await s.people.identify("wechat", "o-1")
    assert moved.person_id == older.person_id  # type: ignore[attr-defined]
    assert (await s.people.identify("telegram", "1")).person.locale == "en"  # adopted
    assert not await Person.exists(id=newer.person_id)  # type: ignore[attr-defined]
    reachable = await s.people.reachable_identities(older.person_id)  # type: ignore[attr-defined]
    assert {i.platform for i in reachable} == {"telegram", "wechat"}


async def test_an_erasure_is_seen_at_once(database: None) -> None:
    s = StoreServices.build()
    ann = await s.people.identify("sim", "ann", "Ann", private=True)
    assert (await s.people.identify("sim", "ann")).person.erased_at is None
    code = await s.accounts.start_erase(ann)
    await s.accounts.erase(ann.person_id, code)  # type: ignore[attr-defined]
    again = await s.people.identify("sim", "ann")
    assert again.person.erased_at is not None
    assert again.display_name == "" and again.person.display_name == ""


async def test_a_load_overlapping_a_change_is_used_once_not_kept(database: None) -> None:
    s = StoreServices.build()
    ann = await s.people.identify("sim", "ann", "Ann")
    s.people.copies.forget()
    gate = asyncio.Event()

    async def slow() -> Identity | None:
        found = await Identity.get(id=ann.id).select_related("person")
        await gate.wait()
        return found

    reading = asyncio.create_task(s.people.copies.identity("sim", "ann", slow))
    await asyncio.sleep(0.05)
    await s.people.set_locale(ann.person_id, "en")  # type: ignore[attr-defined]
    gate.set()
    assert (await reading).person.locale is None  # read before the change: used once
    assert (await s.people.identify("sim", "ann")).person.locale == "en"


async def test_concurrent_misses_read_an_identity_once_and_each_gets_its_own(
    database: None,
) -> None:
    s = StoreServices.build()
    await s.people.identify("sim", "ann", "Ann")
    s.people.copies.forget()
    reads = 0

    async def counted() -> Identity | None:
        nonlocal reads
        reads += 1
        return await Identity.get(platform="sim", platform_user_id="ann").select_related("person")

    copies = s.people.copies
    mine = await asyncio.gather(*(copies.identity("sim", "ann", counted) for _ in range(8)))
    assert reads == 1
    assert len({id(i) for i in mine}) == len({id(i.person) for i in mine}) == 8
    mine[0].person.locale = "en"
    assert (await copies.identity("sim", "ann", counted)).person.locale is None
    assert reads == 1


async def test_nothing_is_kept_while_changes_cannot_be_heard(database: None) -> None:
    s = StoreServices.build()
    await s.people.identify("sim", "ann", "Ann")
    s.people.copies.live = False  # as bot/cache_sync.py does when it stops hearing: ...
    s.people.copies.forget()  # ... and drops what it kept
    await s.people.identify("sim", "ann")
    await behind_its_back("sim", "ann", display_name="Changed")
    assert (await s.people.identify("sim", "ann")).display_name == "Changed"


async def test_copies_expire_even_without_an_announcement(database: None) -> None:
    s = StoreServices.build()
    now = [100.0]
    s.people.copies._monotonic = lambda: now[0]
    await s.people.identify("sim", "ann", "Ann")
    await s.people.identify("sim", "ann")
    await behind_its_back("sim", "ann", display_name="Changed")
    now[0] += MAX_AGE - 1
    assert (await s.people.identify("sim", "ann")).display_name == "Ann"
    now[0] += 2
    assert (await s.people.identify("sim", "ann")).display_name == "Changed"


async def test_the_oldest_copies_make_room(database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("store.identity_cache.MAX_ENTRIES", 2)
    s = StoreServices.build()
    for user in ("a", "b", "c"):
        await s.people.identify("sim", user, user)
        await s.people.identify("sim", user)
    for user in ("a", "b", "c"):
        await behind_its_back("sim", user, display_name=f"{user}!")
    assert (await s.people.identify("sim", "a")).display_name == "a!"  # made room for c
    assert (await s.people.identify("sim", "c")).display_name == "c"  # still kept
    b = await Identity.get(platform_user_id="b")
    await s.people.set_locale(b.person_id, "en")  # type: ignore[attr-defined]
    assert (await s.people.identify("sim", "b")).display_name == "b!"


async def test_a_full_store_of_parts_makes_room_without_dropping_identities(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store.copies.MAX_ENTRIES", 2)
    s = StoreServices.build()
    ann = await s.people.identify("sim", "ann", "Ann")
    await s.people.identify("sim", "ann")  # kept
    await s.people.person(ann.person_id)  # type: ignore[attr-defined]
    for user in ("a", "b", "c"):  # more persons' parts than there is room for
        ident = await s.people.identify("sim", user, user)
        await s.people.person(ident.person_id)  # type: ignore[attr-defined]
    await behind_its_back("sim", "ann", display_name="Changed")
    await Person.filter(id=ann.person_id).update(display_name="Changed")  # type: ignore[attr-defined]
    assert (await s.people.person(ann.person_id)).display_name == "Changed"  # type: ignore[attr-defined]
    assert (await s.people.identify("sim", "ann")).display_name == "Ann"  # still kept


# -- across processes ------------------------------------------------------------------------
@needs_redis
async def test_a_change_in_one_process_reaches_the_copies_of_another(database: None) -> None:
    channel = f"test-person-changed-{secrets.token_hex(4)}"
    async with process(channel, kept) as a, process(channel, kept) as b:
        shop, _ = await make_shop(a)
        ann = await a.people.identify("sim", "ann", "Ann", private=True)
        assert (await b.people.identify("sim", "ann")).person.locale is None  # b keeps it

        async def seen_by_b(check) -> bool:  # type: ignore[no-untyped-def]
            return bool(check(await b.people.identify("sim", "ann")))

        await a.people.set_locale(ann.person_id, "en")  # type: ignore[attr-defined]
        await eventually(lambda: seen_by_b(lambda i: i.person.locale == "en"))
        await a.people.set_current_shop(ann, shop.id)
        await eventually(lambda: seen_by_b(lambda i: i.current_shop_id == shop.id))
        await a.people.mark_unreachable("sim", "ann")
        await eventually(lambda: seen_by_b(lambda i: i.unreachable))


# -- every writer announces ------------------------------------------------------------------
# Identities and persons are written only here, each write followed by `changed`.
WRITERS = {
    "store/people.py",
    "store/accounts/service.py",  # link (merge), erase, export: changed after the commit
    "store/accounts/merge.py",  # inside a link's transaction
    "store/accounts/erase.py",  # inside an erasure's transaction
    "referral/merge.py",  # inside a link's transaction (its ref.of(...) are agents' references)
}


def test_only_the_announcing_services_write_identities_or_persons() -> None:
    writing = files_writing({"Identity", "Person"}, generic=frozenset({"of"}))
    assert writing - WRITERS == set(), "announce through PeopleService (store/identity_cache.py)"
    assert "store/people.py" in writing  # the scan still sees writes
