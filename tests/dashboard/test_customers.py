"""Customers on the dashboard: everyone who talked to the shop, one row per person, with
orders, spend and tags; tags set here are what broadcasts to `tag:` segments reach."""

from __future__ import annotations

from store.community.customers import customers
from store.community.models import CustomerTag
from store.models import Identity
from tests.conftest import MERCHANT, FakeClock
from tests.dashboard.conftest import Dashboard
from tests.test_chat_flow import place_order


async def person_of(user: str) -> int:
    return (await Identity.get(platform_user_id=user)).person_id  # type: ignore[attr-defined]


def row(body: str, person_id: int) -> str:
    return body.split(f'id="customer-{person_id}"')[1].split("</tr>")[0]


async def test_customers_with_orders_spend_and_tags(dash: Dashboard) -> None:
    chat = dash.chat
    paid = await place_order(chat, "alice", product=1, qty=2)  # 256.00
    await chat.say(MERCHANT, f"/paid {paid}")
    await place_order(chat, "alice", product=2, qty=1)  # not paid: counted, not spent
    await chat.say("bob", "/catalog")
    await chat.say("bob", "/unsubscribe")
    alice, bob = await person_of("alice"), await person_of("bob")
    await dash.login()

    status, body = await dash.get("/dashboard/customers")
    assert status == 200
    assert ">2<" in row(body, alice) and "CN¥256.00" in row(body, alice)
    assert "unsubscribed" in row(body, bob) and "CN¥0.00" in row(body, bob)

    status, _, location = await dash.post(f"/dashboard/customers/{alice}/tags", {"tag": "VIP"})
    assert status == 303 and location.endswith(f"#customer-{alice}")
    assert await CustomerTag.filter(person_id=alice).values_list("tag", flat=True) == ["vip"]
    assert "1" in await chat.text(MERCHANT, "/audience tag:vip")
    _, body = await dash.get("/dashboard/customers?tag=vip")
    assert f'id="customer-{alice}"' in body and f'id="customer-{bob}"' not in body
    _, body = await dash.get("/dashboard/customers?q=BO")
    assert f'id="customer-{bob}"' in body and f'id="customer-{alice}"' not in body
    # A filter that matches nobody says so; it is not a shop without customers.
    _, body = await dash.get("/dashboard/customers?tag=nosuchtag")
    assert "No customer matches." in body and "Nobody here yet" not in body

    await dash.post(f"/dashboard/customers/{alice}/tags/remove", {"tag": "vip"})
    assert not await CustomerTag.exists(person_id=alice)


async def test_bad_tags_and_strangers_change_nothing(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("alice", "/catalog")
    alice = await person_of("alice")
    # A person the shop never heard from (known to the platform, not to this shop).
    ghost = (await chat.runtime.services.people.identify("sim", "ghost")).person_id  # type: ignore[attr-defined]
    await dash.login()

    status, body, _ = await dash.post(f"/dashboard/customers/{alice}/tags", {"tag": "two words"})
    assert status == 400
    # Said beside alice's tag field, what was typed kept in it.
    assert f'id="err-tag-{alice}" role="alert"' in row(body, alice)
    assert 'value="two words"' in row(body, alice)
    for path in (
        f"/dashboard/customers/{ghost}/tags",
        "/dashboard/customers/99999/tags",
        "/dashboard/customers/abc/tags",
        f"/dashboard/customers/{ghost}/tags/remove",
    ):
        assert (await dash.post(path, {"tag": "vip"}))[0] == 404, path
    assert (await dash.post(f"/dashboard/customers/{alice}/tags", {"tag": "x"}, csrf=False))[
        0
    ] == 403
    assert not await CustomerTag.exists()
    assert f'id="customer-{ghost}"' not in (await dash.get("/dashboard/customers"))[1]


async def test_one_row_per_person_paged_by_the_database(dash: Dashboard, clock: FakeClock) -> None:
    services = dash.chat.runtime.services
    shop = await services.shops.by_slug("demo")
    for n in range(23):
        ident = await services.people.identify("telegram", f"u{n}")
        await services.community.subscriptions.touch(shop.id, ident.id, new=True)
        clock.advance(minutes=1)
    # u0 links a WeChat account: still one person, one row, both platforms.
    wx = await services.people.identify("wechat", "wx-u0")
    u0 = (await Identity.get(platform_user_id="u0")).person_id  # type: ignore[attr-defined]
    await Identity.filter(id=wx.id).update(person_id=u0)
    await services.community.subscriptions.touch(shop.id, wx.id, new=True)

    first = await customers(shop.id)
    assert (first.total, first.pages, len(first.rows)) == (23, 2, 20)
    assert first.rows[0].person.id == u0 and first.rows[0].platforms == ["telegram", "wechat"]
    second = await customers(shop.id, page=2)
    assert len(second.rows) == 3 and not {r.person.id for r in second.rows} & {
        r.person.id for r in first.rows
    }
    assert (await customers(shop.id, page=99)).page == 2


async def test_the_shops_team_is_not_among_its_customers(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("alice", "/catalog")
    await chat.say("sam", "/catalog")
    await chat.say(MERCHANT, "/staff add sam")
    await place_order(chat, MERCHANT)  # the owner trying the shop out
    await dash.login()
    _, body = await dash.get("/dashboard/customers")
    assert f'id="customer-{await person_of("alice")}"' in body
    for user in (MERCHANT, "sam"):
        assert f'id="customer-{await person_of(user)}"' not in body, user
    shop = await chat.runtime.services.shops.by_slug("demo")
    assert (await customers(shop.id)).total == 1


async def test_a_tag_changed_on_page_two_returns_to_page_two(dash: Dashboard) -> None:
    services = dash.chat.runtime.services
    shop = await services.shops.by_slug("demo")
    for n in range(23):
        ident = await services.people.identify("telegram", f"u{n}")
        await services.community.subscriptions.touch(shop.id, ident.id, new=True)
    await dash.login()
    _, body = await dash.get("/dashboard/customers?page=2")
    person_id = int(body.split('id="customer-')[1].split('"')[0])
    assert f'action="/dashboard/customers/{person_id}/tags?page=2"' in body
    status, _, location = await dash.post(
        f"/dashboard/customers/{person_id}/tags?page=2", {"tag": "vip"}
    )
    assert (status, location) == (303, f"/dashboard/customers?page=2#customer-{person_id}")
    status, body, _ = await dash.post(
        f"/dashboard/customers/{person_id}/tags?page=2", {"tag": "two words"}
    )
    assert status == 400 and f'id="customer-{person_id}"' in body  # still on page 2


async def test_the_platforms_are_named_in_the_pages_language(dash: Dashboard) -> None:
    services = dash.chat.runtime.services
    shop = await services.shops.by_slug("demo")
    for platform in ("telegram", "wechat"):
        ident = await services.people.identify(platform, f"{platform}-fan")
        await services.community.subscriptions.touch(shop.id, ident.id, new=True)
    await dash.login()
    _, body = await dash.get("/dashboard/customers")
    assert "WeChat · seen" in body and "Telegram · seen" in body
    assert "wechat · " not in body
    await dash.post("/dashboard/language", {"locale": "zh_CN", "next": "/dashboard/customers"})
    _, body = await dash.get("/dashboard/customers")
    assert "微信 · 最近来访" in body and "Telegram · 最近来访" in body
    assert "wechat · " not in body
