"""The dashboard's customer list is grouped, counted and paged by the database: the same
answer on both backends, linked accounts one row, the shop's own team left out."""

from __future__ import annotations

from store.community.customers import PAGE_SIZE, customers
from store.models import Identity
from store.services import StoreServices
from tests.integration.conftest import Db
from tests.integration.world import make_shop


async def test_one_row_per_person_without_the_team(any_db: Db, services: StoreServices) -> None:
    shop, owner_id = await make_shop(services)
    touch = services.community.subscriptions.touch
    people = []
    for n in range(PAGE_SIZE + 2):
        ident = await services.people.identify("telegram", f"u{n}", f"User {n}")
        await touch(shop.id, ident.id, new=True)
        people.append(ident.person_id)  # type: ignore[attr-defined]
    linked = await services.people.identify("wechat", "wx-u0")
    await Identity.filter(id=linked.id).update(person_id=people[0])
    await touch(shop.id, linked.id, new=True)
    for owner_identity in await Identity.filter(person_id=owner_id):
        await touch(shop.id, owner_identity.id, new=True)
    staff = await services.people.identify("telegram", "staffer")
    await touch(shop.id, staff.id, new=True)
    await services.shops.add_staff(
        shop.id,
        owner_id,
        await services.people.person(staff.person_id),  # type: ignore[attr-defined]
    )

    first = await customers(shop.id)
    assert (first.total, first.pages, len(first.rows)) == (PAGE_SIZE + 2, 2, PAGE_SIZE)
    assert first.rows[0].person.id == people[0]
    assert first.rows[0].platforms == ["telegram", "wechat"]
    rest = await customers(shop.id, page=2)
    listed = {r.person.id for r in first.rows + rest.rows}
    assert listed == set(people)  # neither the owner nor the staff member
    assert (await customers(shop.id, query="user 1")).total == 11  # User 1, 10 to 19
