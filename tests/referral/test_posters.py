"""Share posters: a PNG either way, Chinese drawn when a CJK font is installed, served by code."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.app import build_app
from bot.referral_web import _drawn
from referral import posters
from referral.posters import PosterText, render_poster
from tests.conftest import MERCHANT, Chat

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _image(png: bytes) -> Image.Image:
    assert png.startswith(PNG_MAGIC)
    return Image.open(io.BytesIO(png))


def test_poster_is_a_png_with_a_cjk_font() -> None:
    if posters.cjk_font_path() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-wqy-microhei)")
    one = render_poster(
        PosterText("西湖茶庄", "龙井 ¥128.00", "扫码进店"), "https://t.me/x?start=ref_A"
    )
    other = render_poster(
        PosterText("西湖茶庄", "普洱 ¥168.00", "扫码进店"), "https://t.me/x?start=ref_A"
    )
    assert _image(one).size == (posters.WIDTH, posters.HEIGHT)
    # Real glyphs: two different product names draw differently (missing glyphs are all boxes).
    assert _image(one).tobytes() != _image(other).tobytes()


def test_poster_falls_back_to_pillows_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(posters, "cjk_font_path", lambda: None)
    png = render_poster(PosterText("Tea House 茶庄", "", "Scan"), "https://example.com/r")
    assert _image(png).size == (posters.WIDTH, posters.HEIGHT)


def test_qr_codes_differ_by_link() -> None:
    text = PosterText("Shop")
    assert render_poster(text, "https://t.me/x?start=ref_A") != render_poster(
        text, "https://t.me/x?start=ref_B"
    )


async def test_poster_is_served_for_an_active_agent(chat: Chat) -> None:
    reply = (await chat.say("amy", "/ref 1"))[0]
    assert reply.image is not None and "product=1" in reply.image
    url = urlsplit(reply.image)
    app = await build_app(chat.runtime, simulator=False)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get(f"{url.path}?{url.query}")
        assert resp.status == 200 and resp.content_type == "image/png"
        assert (await resp.read()).startswith(PNG_MAGIC)
        assert (await client.get("/referral/poster/NOSUCH22.png")).status == 404
        for product in ("²", "9" * 5000, "99999999999999999999"):  # no product line, no 500
            resp = await client.get(url.path, params={"product": product})
            assert resp.status == 200 and resp.content_type == "image/png"


async def test_a_poster_is_drawn_once_until_what_it_shows_changes(chat: Chat) -> None:
    """Each request would otherwise draw it again (60-85 ms of CPU): a shared link is opened
    by everyone in the group. A new price is a new poster."""
    reply = (await chat.say("amy", "/ref 1"))[0]
    assert reply.image is not None
    url = urlsplit(reply.image)
    app = await build_app(chat.runtime, simulator=False)
    async with TestClient(TestServer(app)) as client:

        async def fetch() -> bytes:
            resp = await client.get(f"{url.path}?{url.query}")
            assert resp.status == 200
            return await resp.read()

        first = await fetch()
        drawn = _drawn.cache_info().misses
        assert await fetch() == first
        assert _drawn.cache_info().misses == drawn  # kept, not drawn again
        assert "99.00" in await chat.text(MERCHANT, "/price 1 99")
        assert await fetch() != first
        assert _drawn.cache_info().misses == drawn + 1


async def test_share_links_per_platform() -> None:
    from bot.referral_web import wechat_link_maker
    from referral.services import ReferralServices
    from store.events import EventBus

    class FakeWeChat:
        endpoints = {"shop1": object()}
        calls = 0

        async def qrcode(self, account: str, scene: str) -> dict[str, str]:
            self.calls += 1
            return {"url": f"http://weixin.qq.com/q/{account}-{scene}"}

    ref = ReferralServices.build(EventBus())
    assert (
        await ref.share_link("telegram", "demo_bot", "AB") == "https://t.me/demo_bot?start=ref_AB"
    )
    assert await ref.share_link("wechat", "shop1", "AB") is None  # until the adapter is mounted
    fake = FakeWeChat()
    ref.links["wechat"] = wechat_link_maker(fake)
    for _ in range(3):
        assert (
            await ref.share_link("wechat", "shop1", "AB") == "http://weixin.qq.com/q/shop1-ref_AB"
        )
    assert fake.calls == 1  # a permanent QR code is asked for once
    assert await ref.share_link("wechat", "other", "AB") is None
