"""Who gets in: one-time links, sessions, CSRF, and another shop's ids answering 404."""

from __future__ import annotations

import pytest

from store.models import Order, OrderStatus, Product
from tests.conftest import MERCHANT, Chat, FakeClock
from tests.dashboard.conftest import NONCE, Dashboard, dashboard_client
from tests.test_chat_flow import place_order

GET_ROUTES = [
    "/dashboard",
    "/dashboard/products",
    "/dashboard/products/new",
    "/dashboard/products/1",
    "/dashboard/products/import",
    "/dashboard/products.csv",
    "/dashboard/orders",
    "/dashboard/orders.csv",
    "/dashboard/orders/AAAAAAAA",
    "/dashboard/customers",
    "/dashboard/settings",
    "/dashboard/groupbuys",
    "/dashboard/agents",
    "/dashboard/agents/1",
    "/dashboard/agents/ledger.csv",
    "/dashboard/support",
    "/dashboard/support/T1",
    "/dashboard/promotions",
    "/dashboard/reviews",
    "/dashboard/members",
    "/dashboard/support/faq",
    "/dashboard/agents/withdrawals.csv",
    "/dashboard/broadcasts",
    "/dashboard/broadcasts/1/progress",
]
POST_ROUTES = [
    "/dashboard/products",
    "/dashboard/products/1",
    "/dashboard/products/1/quick",
    "/dashboard/products/1/visibility",
    "/dashboard/products/import",
    "/dashboard/orders/AAAAAAAA/paid",
    "/dashboard/orders/AAAAAAAA/ship",
    "/dashboard/orders/AAAAAAAA/refund/approve",
    "/dashboard/orders/AAAAAAAA/refund/reject",
    "/dashboard/orders/AAAAAAAA/refund/items",
    "/dashboard/settings",
    "/dashboard/customers/1/tags",
    "/dashboard/customers/1/tags/remove",
    "/dashboard/settings/team/invite",
    "/dashboard/settings/team/1/remove",
    "/dashboard/promotions/coupons",
    "/dashboard/promotions/rules",
    "/dashboard/promotions/flash",
    "/dashboard/promotions/coupons/SAVE10/end",
    "/dashboard/promotions/rules/1/end",
    "/dashboard/promotions/flash/1/end",
    "/dashboard/groupbuys",
    "/dashboard/groupbuys/1/stop",
    "/dashboard/support/faq",
    "/dashboard/support/faq/1",
    "/dashboard/support/faq/1/remove",
    "/dashboard/members/rule",
    "/dashboard/members/levels",
    "/dashboard/members/levels/remove",
    "/dashboard/reviews/1/reply",
    "/dashboard/reviews/1/hide",
    "/dashboard/reviews/1/show",
    "/dashboard/support/T1/answer",
    "/dashboard/support/T1/close",
    "/dashboard/language",
    "/dashboard/logout",
]


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_every_page_asks_to_sign_in_without_a_session(dash: Dashboard, path: str) -> None:
    status, body = await dash.get(path)
    assert status == 401
    assert "/dashboard" in body and "Please sign in" in body


async def test_signed_out_pages_speak_the_browsers_language(dash: Dashboard) -> None:
    resp = await dash.client.get("/dashboard", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert resp.status == 401 and "请登录" in await resp.text()


async def test_every_form_refuses_without_a_session(dash: Dashboard) -> None:
    for path in POST_ROUTES:
        status, _, _ = await dash.post(path, {"price": "1", "stock": "1", "visible": "0"})
        assert status == 401, path
    product = await Product.get(id=1)
    assert (product.price, product.stock, product.active) != (1, 1, False)


async def test_the_link_works_once(dash: Dashboard) -> None:
    path = await dash.link()
    assert (await dash.use_link(path))[0] == 303
    assert (await dash.get("/dashboard"))[0] == 200
    dash.client.session.cookie_jar.clear()
    status, body = await dash.use_link(path)
    assert status == 403 and "no longer works" in body
    assert (await dash.get("/dashboard"))[0] == 401


async def test_opening_the_link_does_not_spend_it(dash: Dashboard) -> None:
    """Chat apps fetch links for previews; only the button's POST signs in."""
    path = await dash.link()
    for _ in range(3):
        assert (await dash.client.get(path)).status == 200
    assert (await dash.use_link(path))[0] == 303


async def test_an_expired_link_is_refused(dash: Dashboard, clock: FakeClock) -> None:
    path = await dash.link()
    clock.advance(minutes=10, seconds=1)
    status, body = await dash.use_link(path)
    assert status == 403 and "Send /dashboard" in body


async def test_a_made_up_link_is_refused(dash: Dashboard) -> None:
    status, _ = await dash.use_link("/dashboard/login/" + "x" * 43)
    assert status == 403


async def test_login_needs_the_cookie_its_page_set(dash: Dashboard) -> None:
    """Another site cannot post someone's link from its own page (login CSRF)."""
    path = await dash.link()
    resp = await dash.client.post(path, data={"nonce": "guess"}, allow_redirects=False)
    assert resp.status == 403
    assert (await dash.use_link(path))[0] == 303  # the link was not spent


async def test_customers_get_no_link(dash: Dashboard) -> None:
    text = await dash.chat.text("alice", "/dashboard")
    assert "/dashboard/login/" not in text and "owner and staff" in text


async def test_staff_get_a_link_of_their_shop_in_private(dash: Dashboard) -> None:
    await dash.chat.say("bob", "/start")
    assert "bob" in await dash.chat.text(MERCHANT, "/staff add bob")
    await dash.login("bob")
    assert (await dash.get("/dashboard/orders"))[0] == 200
    # Asked in a group, the link goes to the private chat.
    await dash.chat.say(MERCHANT, "/bindgroup", group="fans")
    replies = await dash.chat.say(MERCHANT, "/dashboard", group="fans")
    assert replies and all(r.private for r in replies)


async def test_removed_staff_lose_their_session(dash: Dashboard) -> None:
    await dash.chat.say("bob", "/start")
    await dash.chat.say(MERCHANT, "/staff add bob")
    await dash.login("bob")
    await dash.chat.say(MERCHANT, "/staff remove bob")
    assert (await dash.get("/dashboard"))[0] == 401


async def test_a_link_sent_before_leaving_the_staff_does_not_work(dash: Dashboard) -> None:
    await dash.chat.say("bob", "/start")
    await dash.chat.say(MERCHANT, "/staff add bob")
    path = await dash.link("bob")
    await dash.chat.say(MERCHANT, "/staff remove bob")
    assert (await dash.use_link(path))[0] == 403


async def test_sessions_expire(dash: Dashboard, clock: FakeClock) -> None:
    await dash.login()
    clock.advance(hours=11)
    assert (await dash.get("/dashboard"))[0] == 200
    clock.advance(hours=2)
    assert (await dash.get("/dashboard"))[0] == 401


async def test_a_tampered_cookie_is_no_session(dash: Dashboard) -> None:
    await dash.login()
    jar = dash.client.session.cookie_jar
    cookie = next(c for c in jar if c.key == "ms_dashboard")
    value = cookie.value
    tampered = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    for sent, status in ((value, 200), (tampered, 401)):
        jar.clear()
        jar.update_cookies({"ms_dashboard": sent}, response_url=dash.client.make_url("/dashboard/"))
        assert (await dash.get("/dashboard"))[0] == status


async def test_the_cookie_is_http_only_and_same_site(dash: Dashboard) -> None:
    path = await dash.link()
    page = await dash.client.get(path)
    nonce = (await page.text()).split('name="nonce" value="')[1].split('"')[0]
    resp = await dash.client.post(path, data={"nonce": nonce}, allow_redirects=False)
    header = resp.headers.getall("Set-Cookie")
    session = next(h for h in header if h.startswith("ms_dashboard="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/dashboard" in session


async def test_forms_without_the_csrf_token_change_nothing(dash: Dashboard) -> None:
    await dash.login()
    for token in ("", "wrong"):
        data = {"price": "1.00", "stock": "1", "csrf": token}
        resp = await dash.client.post("/dashboard/products/1/quick", data=data)
        assert resp.status == 403
    assert (await Product.get(id=1)).stock == 50
    status, _, _ = await dash.post("/dashboard/products/1/quick", {"price": "1.00", "stock": "1"})
    assert status == 303 and (await Product.get(id=1)).stock == 1


async def test_logout_ends_the_session(dash: Dashboard) -> None:
    await dash.login()
    status, body, _ = await dash.post("/dashboard/logout")
    assert status == 200 and "logged out" in body
    assert (await dash.get("/dashboard"))[0] == 401


async def test_another_shops_ids_answer_404(dash: Dashboard) -> None:
    chat = dash.chat
    await chat.say("rival", "/newshop Rival Tea")
    await chat.say("rival", "/addproduct Rival tea | 10 | 5")
    rival_product = await Product.filter(title="Rival tea").first()
    assert rival_product is not None
    await chat.say("carol", f"/shop {(await rival_product.shop).slug}")
    rival_order = await place_order(chat, "carol", product=rival_product.id, qty=1)
    await chat.say("rival", f"/paid {rival_order}")

    await dash.login()
    pid = rival_product.id
    for path in (f"/dashboard/products/{pid}", f"/dashboard/orders/{rival_order}"):
        status, body = await dash.get(path)
        assert status == 404 and "Not found" in body
    for path, data in (
        (f"/dashboard/products/{pid}", {"title": "Mine", "price": "1", "stock": "1"}),
        (f"/dashboard/products/{pid}/quick", {"price": "1", "stock": "1"}),
        (f"/dashboard/products/{pid}/visibility", {"visible": "0"}),
        (f"/dashboard/orders/{rival_order}/ship", {"carrier": "SF", "tracking_no": "1"}),
        (f"/dashboard/orders/{rival_order}/refund/approve", {}),
    ):
        assert (await dash.post(path, data))[0] == 404, path
    product = await Product.get(id=pid)
    assert (product.title, product.stock, product.active) == ("Rival tea", 4, True)
    assert (await Order.get(order_no=rival_order)).status == OrderStatus.PAID
    # Nor does the rival shop's order show in lists or exports.
    assert rival_order not in (await dash.get("/dashboard/orders"))[1]
    assert rival_order not in (await dash.get("/dashboard/orders.csv"))[1]
    assert "Rival tea" not in (await dash.get("/dashboard/products.csv"))[1]


async def test_cookies_are_secure_when_the_public_url_is_https(chat: Chat) -> None:
    """Behind a TLS-terminating proxy the request itself is plain HTTP: the public URL says
    the browser speaks HTTPS, for the login page's cookie as for the session's."""
    settings = chat.runtime.settings
    server = settings.server.model_copy(update={"public_url": "https://shop.example.com"})
    chat.runtime.settings = settings.model_copy(update={"server": server})
    async with dashboard_client(chat) as dash:
        path = await dash.link()
        page = await dash.client.get(path)
        login_cookie = page.headers.getone("Set-Cookie")
        assert login_cookie.startswith("ms_dashboard_login=") and "Secure" in login_cookie
        nonce = NONCE.search(await page.text())
        assert nonce
        # The test client speaks HTTP, so its jar keeps a Secure cookie to itself: sent by hand.
        resp = await dash.client.post(
            path,
            data={"nonce": nonce.group(1)},
            cookies={"ms_dashboard_login": nonce.group(1)},
            allow_redirects=False,
        )
        assert resp.status == 303
        cookies = resp.headers.getall("Set-Cookie")
        assert "Secure" in next(h for h in cookies if h.startswith("ms_dashboard="))
