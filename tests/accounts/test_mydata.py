"""/mydata end to end: the chat's one-time link, downloaded from the real aiohttp app.

Opening the link shows a button; only the POST it sends spends the link and delivers."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from store.accounts.models import ExportLink
from tests.accounts.conftest import TG, WX, Talk
from tests.conftest import FakeClock

LINK = re.compile(r"https?://\S+(/mydata/\S+)")


async def export_path(talk: Talk, platform: str, user: str) -> str:
    reply = (await talk.say(platform, user, "/mydata"))[0]
    found = LINK.search(reply.text)
    assert found and reply.private, reply.text
    return found.group(1)


async def test_export_download_once_with_everything_about_the_person(
    talk: Talk, clock: FakeClock
) -> None:
    agent = re.search(r"agent code: (\w{8})", await talk.text(TG, "alice", "/ref"))
    assert agent
    no = await talk.order(TG, "alice", "Li Lei", "13800138000", "浙江省杭州市西湖区文三路1号")
    await talk.say(TG, "alice", "/add 3 2")
    await talk.say(TG, "alice", "/ask Is the tea from this year?")
    other = await talk.order(WX, "bob", "Han Meimei", "13900139000", "上海市浦东新区1号")

    path = await export_path(talk, TG, "alice")
    app = await build_app(talk.runtime, simulator=False)
    async with TestClient(TestServer(app)) as client:
        resp = await client.post(path)
        assert resp.status == 200 and resp.content_type == "application/json"
        assert "attachment" in resp.headers["Content-Disposition"]
        assert resp.headers["Cache-Control"] == "no-store"
        data = json.loads(await resp.text())
        again = await client.post(path)  # the link works once
        assert again.status == 404 and "/mydata" in await again.text()
        assert (await client.get(path)).status == 404  # its page says so too
        assert (await client.get("/mydata/not-a-token-at-all-but-long-enough")).status == 404
        assert (await client.post("/mydata/not-a-token-at-all-but-long-enough")).status == 404

    records = data["records"]
    [order] = records["order"]
    assert order["order_no"] == no and order["phone"] == "13800138000"
    assert order["address"] == "浙江省杭州市西湖区文三路1号"
    assert order["order_item"][0]["quantity"] == 1  # rows hanging off the order come along
    assert [c["product_id"] for c in records["cart_item"]] == [3]
    assert [i["platform_user_id"] for i in records["identity"]] == ["alice"]
    assert records["identity"][0]["community_subscription"]  # the identity's subscriptions
    assert records["referral_agent"][0]["code"] == agent.group(1)
    assert records["support_message"][0]["text"] == "Is the tea from this year?"
    assert records["support_ticket"][0]["status"] == "open"
    text = json.dumps(data, ensure_ascii=False)
    assert other not in text and "13900139000" not in text  # nobody else's data
    assert "_hash" not in text


async def test_one_export_per_ten_minutes_and_links_expire(talk: Talk, clock: FakeClock) -> None:
    path = await export_path(talk, TG, "alice")
    assert "ask again in 10 minutes" in await talk.text(TG, "alice", "/mydata")
    assert await ExportLink.all().count() == 1  # the refusal made no link
    clock.advance(minutes=10, seconds=1)
    app = await build_app(talk.runtime, simulator=False)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get(path)).status == 404  # expired unused
        assert (await client.post(path)).status == 404
        fresh = await export_path(talk, TG, "alice")
        assert (await client.post(fresh)).status == 200
    assert urlsplit(fresh).path.startswith("/mydata/")


async def test_opening_the_link_shows_a_button_and_does_not_use_it_up(
    talk: Talk, clock: FakeClock
) -> None:
    """Chat apps fetch a link to draw its preview, and link scanners open it: the GET shows a
    page whose button POSTs, and only that POST delivers the export, once."""
    path = await export_path(talk, TG, "alice")
    app = await build_app(talk.runtime, simulator=False)
    async with TestClient(TestServer(app)) as client:
        for _ in range(2):  # the preview robot, then the person
            page = await client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"})
            assert page.status == 200 and page.content_type == "text/html"
            assert page.headers["Cache-Control"] == "no-store"
            html = await page.text()
            assert '<form method="post">' in html and "Download my data" in html
        assert await ExportLink.filter(used_at__isnull=True).count() == 1  # still usable
        zh = await client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert "下载我的数据" in await zh.text()

        delivered = await client.post(path)
        assert delivered.status == 200 and delivered.content_type == "application/json"
        assert json.loads(await delivered.text())["records"]["identity"]
        refused = await client.post(path, headers={"Accept-Language": "en"})
        assert refused.status == 404 and "expired or was already used" in await refused.text()
        assert refused.headers["Cache-Control"] == "no-store"
