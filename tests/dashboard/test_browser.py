"""The dashboard in a real headless Chromium, against `microstore serve --demo`.

Signs in with a link asked for in chat, adds a product and finds it in the web chat
simulator's catalog, then ships the customer's order and watches the customer's chat say so.
Screenshots of the main pages go to /tmp/dashboard-shots (phone and desktop widths).
Needs Debian's chromium (`apt-get install chromium`) and Playwright for Python; never
downloads a browser.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.servers import clean_env, free_port, serve

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path("/tmp/dashboard-shots")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="Playwright for Python is not installed (pip install playwright)"
)
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install -y chromium"
)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = await serve(tmp_path, port, env=clean_env(MICROSTORE_SERVER__PUBLIC_URL=base))
    try:
        yield base
    finally:
        proc.terminate()
        await proc.wait()


async def say(base: str, user: str, text: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sim/api/send", json={"user": user, "text": text}) as r:
            assert r.status == 200
            body = await r.json()
    return "\n".join(m["text"] for m in body["replies"] + body["inbox"])


def fresh_shots_folder() -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)


async def take_seat(base: str, user: str, command: str) -> str:
    """Open or join a group buy in chat, in English, answering the contact questions."""
    await say(base, user, "/lang en")
    await say(base, user, command)
    for line in ("Wang Wu", "13700137000"):
        await say(base, user, line)
    return await say(base, user, "9 Hubin Road, Hangzhou")


async def test_merchant_signs_in_adds_a_product_and_ships(server: str) -> None:
    fresh_shots_folder()
    link = re.search(r"http://\S+/dashboard/login/\S+", await say(server, "merchant", "/dashboard"))
    assert link, "no login link in the chat's answer"

    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            phone = await browser.new_context(viewport={"width": 390, "height": 844})
            dash = await phone.new_page()
            dash.set_default_timeout(10_000)
            dash.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))

            # Sign in: the link shows a button; the button spends the link.
            await dash.goto(link.group(0))
            await dash.click("#login")
            await dash.wait_for_url(f"{server}/dashboard")
            assert await dash.locator("#sales-today").is_visible()

            # A new product, with a validation error first.
            await dash.goto(f"{server}/dashboard/products/new")
            await dash.fill("#f-title", "Browser Oolong 浏览器乌龙")
            await dash.fill("#f-price", "12.345")
            await dash.fill("#f-stock", "7")
            await dash.click("#save")
            assert await dash.locator("#err-price").is_visible()
            await dash.screenshot(path=SHOTS / "product-form-error-phone.png", full_page=True)
            await dash.fill("#f-price", "66.60")
            await dash.fill("#f-category", "茶叶 Tea")
            await dash.click("#save")
            await dash.wait_for_url(re.compile(r".*/dashboard/products\?done=created.*"))
            product_id = re.search(r"id=(\d+)", dash.url).group(1)  # type: ignore[union-attr]
            await dash.screenshot(path=SHOTS / "products-phone.png", full_page=True)

            # A CSV with a bad row imports nothing and says which row and column.
            await dash.goto(f"{server}/dashboard/products/import")
            bad_csv = b"title,price,stock\nGood tea,10,5\nBad tea,1.234,5\n"
            await dash.set_input_files(
                "#f-file", {"name": "products.csv", "mimeType": "text/csv", "buffer": bad_csv}
            )
            await dash.click("#upload")
            assert await dash.locator("table.errors").get_by_text("price").is_visible()
            await dash.screenshot(path=SHOTS / "import-errors-phone.png", full_page=True)

            # The customer finds it in the simulator's catalog and orders it, in the /sim page.
            sim = await (
                await browser.new_context(viewport={"width": 900, "height": 900})
            ).new_page()
            sim.set_default_timeout(10_000)
            await sim.goto(f"{server}/sim?users=bob")
            pane = sim.locator("section.pane[data-user=bob]")

            async def bob(text: str) -> None:
                """Type a message and wait for its answer: the page sends without waiting,
                and a checkout's steps must arrive in order."""
                await pane.locator("input").fill(text)
                async with sim.expect_response("**/sim/api/send"):
                    await pane.locator("form button").click()

            await bob("/lang en")
            await bob("/catalog 2")
            await pane.get_by_text("Browser Oolong").first.wait_for()
            for line in (
                f"/add {product_id} 2",
                "/checkout",
                "Li Si",
                "13900139000",
                "88 Nanshan Road, Hangzhou",
                "/checkout confirm",
            ):
                await bob(line)
            placed = pane.get_by_text(re.compile(r"Order [2-9A-Z]{8} placed"))
            await placed.wait_for()
            order_no = re.search(r"Order ([2-9A-Z]{8})", await placed.inner_text()).group(1)  # type: ignore[union-attr]

            # The merchant marks it paid and ships it from the dashboard.
            await dash.goto(f"{server}/dashboard/orders")
            await dash.screenshot(path=SHOTS / "orders-phone.png", full_page=True)
            await dash.click(f"#order-{order_no} a")
            await dash.click("#mark-paid")
            await dash.wait_for_url(re.compile(r".*done=paid"))
            await dash.fill("#f-carrier", "SF Express")
            await dash.fill("#f-tracking_no", "SF1234567890")
            await dash.screenshot(path=SHOTS / "order-phone.png", full_page=True)
            await dash.click("#ship")
            await dash.wait_for_url(re.compile(r".*done=shipped"))
            assert "shipped" in await dash.locator("#order-status .badge").get_attribute("class")  # type: ignore[operator]

            # The customer's chat (polled every 2 s by the page) says it is on its way.
            await pane.get_by_text(re.compile(r"on its way.*SF1234567890")).wait_for()
            await bob(f"/order {order_no}")
            await pane.get_by_text(re.compile(r"shipped")).last.wait_for()
            await sim.screenshot(path=SHOTS / "sim-customer.png", full_page=True)

            # Some group buying and a broadcast, so those pages have something to show.
            offer = re.search(r"#(\d+)", await say(server, "merchant", "/gbnew 2 80 3 24h"))
            opened = await take_seat(server, "carol", f"/gbopen {offer.group(1)}")  # type: ignore[union-attr]
            code = re.search(r"group ([2-9A-Z]{6})", opened).group(1)  # type: ignore[union-attr]
            await take_seat(server, "dave", f"/join {code}")
            draft = await say(
                server, "merchant", "/broadcast all | 新茶上市！New spring tea is in."
            )
            number = re.search(r"#(\d+)", draft).group(1)  # type: ignore[union-attr]
            await say(server, "merchant", f"/broadcast send {number}")
            await dash.goto(f"{server}/dashboard/groupbuys")
            assert await dash.locator(f"#group-{code}").is_visible()
            await dash.screenshot(path=SHOTS / "groupbuys-phone.png", full_page=True)

            # A scheduled broadcast's card follows it live: cancelled in chat, the page shows it.
            later = await say(server, "merchant", "/broadcast all | Tea tasting on Sunday")
            later_no = re.search(r"#(\d+)", later).group(1)  # type: ignore[union-attr]
            await say(server, "merchant", f"/broadcast at {later_no} 2099-01-01 10:00")
            async with dash.expect_response(f"**/dashboard/broadcasts/{later_no}/progress"):
                await dash.goto(f"{server}/dashboard/broadcasts")
            await dash.screenshot(path=SHOTS / "broadcasts-phone.png", full_page=True)
            await say(server, "merchant", f"/broadcast cancel {later_no}")
            await dash.locator(f"#broadcast-{later_no} .s-b-cancelled").wait_for()

            # A question in the customer's chat, answered from the dashboard's Support page.
            await bob("/ask Is the oolong from this year?")
            await dash.goto(f"{server}/dashboard/support")
            await dash.locator("table.tickets .waiting").first.wait_for()
            await dash.click("table.tickets a")
            await dash.fill("#f-text", "Yes, picked in April.")
            await dash.screenshot(path=SHOTS / "ticket-phone.png", full_page=True)
            await dash.click("#answer")
            await dash.wait_for_url(re.compile(r".*done=sent"))
            await pane.get_by_text(re.compile(r"picked in April")).wait_for()

            # A coupon made on the Promotions page.
            await dash.goto(f"{server}/dashboard/promotions")
            await dash.fill("#f-code", "SPRING")
            await dash.fill("#f-value", "15%")
            await dash.click("#save-coupon")
            await dash.wait_for_url(re.compile(r".*done=coupon"))
            assert await dash.locator("#coupon-SPRING").is_visible()
            await dash.screenshot(path=SHOTS / "promotions-phone.png", full_page=True)

            # Screenshots of the main pages, on a phone and on a desktop, both languages.
            await dash.goto(f"{server}/dashboard")
            await dash.screenshot(path=SHOTS / "overview-phone.png", full_page=True)
            desktop = await browser.new_context(
                viewport={"width": 1280, "height": 900}, storage_state=await phone.storage_state()
            )
            wide = await desktop.new_page()
            for name, path in (
                ("overview", "/dashboard"),
                ("products", "/dashboard/products"),
                ("orders", "/dashboard/orders"),
                ("order", f"/dashboard/orders/{order_no}"),
                ("settings", "/dashboard/settings"),
                ("import", "/dashboard/products/import"),
                ("groupbuys", "/dashboard/groupbuys"),
                ("agents", "/dashboard/agents"),
                ("broadcasts", "/dashboard/broadcasts?segment=all"),
                ("promotions", "/dashboard/promotions"),
                ("reviews", "/dashboard/reviews"),
                ("members", "/dashboard/members"),
                ("customers", "/dashboard/customers"),
                ("support", "/dashboard/support"),
                ("faq", "/dashboard/support/faq"),
            ):
                await wide.goto(server + path)
                await wide.screenshot(path=SHOTS / f"{name}-desktop-zh.png", full_page=True)
            await wide.goto(f"{server}/dashboard")
            await wide.click("button[name=locale]")
            await wide.wait_for_url(f"{server}/dashboard")
            assert await wide.locator("nav.nav").get_by_text("Orders").is_visible()
            # On a desk every tab is in sight, the longer English names too (none is left
            # behind a scroll bar that isn't shown).
            for tab in await wide.locator("nav.nav a").all():
                box = await tab.bounding_box()
                assert box and box["x"] + box["width"] <= 1280, await tab.inner_text()
            await wide.screenshot(path=SHOTS / "overview-desktop-en.png", full_page=True)

            # Logging out ends the session.
            await wide.click("text=Log out")
            await wide.goto(f"{server}/dashboard/orders")
            assert "Please sign in" in await wide.content()
        finally:
            await browser.close()
