"""The asynchronous API client against the stand-in: tokens, retries, menu, QR codes and
customer-service messages (also as the core's notification sender)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.wechat import MenuError, push_menu
from bot.wechat.api import WeChatApi, WeChatApiError
from bot.wechat.token import REFRESH_MARGIN_SECONDS, MemoryTokenCache
from handlers.types import Button, Outgoing, Reply
from store.models import Identity

from .conftest import APP_ID, MENU, SECRET, USER, Harness, make_settings
from .fake_wechat_api import FakeWeChatApi

SEND = "/cgi-bin/message/custom/send"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def api_for(
    fake: FakeWeChatApi,
    session: aiohttp.ClientSession,
    cache: MemoryTokenCache,
    clock: Clock | None = None,
) -> WeChatApi:
    if clock is None:
        return WeChatApi(session, fake.base_url, APP_ID, SECRET, cache)
    return WeChatApi(session, fake.base_url, APP_ID, SECRET, cache, clock=clock)


async def test_many_concurrent_calls_fetch_one_token(
    fake_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    api = api_for(fake_api, session, MemoryTokenCache())
    await asyncio.gather(*(api.send_text(USER, f"hello {i}") for i in range(10)))
    (token_call,) = fake_api.calls_to("/cgi-bin/stable_token")
    assert token_call.body == {
        "grant_type": "client_credential",
        "appid": APP_ID,
        "secret": SECRET,
        "force_refresh": False,
    }
    assert len(fake_api.calls_to(SEND)) == 10


async def test_the_token_is_refreshed_before_it_expires(
    fake_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    clock = Clock()
    api = api_for(fake_api, session, MemoryTokenCache(), clock)
    await api.send_text(USER, "one")
    clock.now += 7200 - REFRESH_MARGIN_SECONDS - 60
    await api.send_text(USER, "two")
    assert len(fake_api.calls_to("/cgi-bin/stable_token")) == 1
    clock.now += 120  # inside the margin: fetched early, never used expired
    await api.send_text(USER, "three")
    calls = fake_api.calls_to("/cgi-bin/stable_token")
    assert len(calls) == 2
    assert calls[1].body["force_refresh"] is False


@pytest.mark.parametrize("errcode", [40001, 42001])
async def test_a_refused_token_is_renewed_once_and_the_call_retried(
    fake_api: FakeWeChatApi,
    session: aiohttp.ClientSession,
    errcode: int,
) -> None:
    api = api_for(fake_api, session, MemoryTokenCache())
    await api.send_text(USER, "warm up")
    fake_api.fail_next(SEND, errcode)
    await api.send_text(USER, "after the refusal")
    sends = fake_api.calls_to(SEND)
    assert [c.body["text"]["content"] for c in sends] == [
        "warm up",
        "after the refusal",
        "after the refusal",
    ]
    assert sends[1].query["access_token"] != sends[2].query["access_token"]
    assert [c.body["force_refresh"] for c in fake_api.calls_to("/cgi-bin/stable_token")] == [
        False,
        False,
    ]


async def test_force_refresh_only_when_normal_mode_returns_the_refused_token(
    fake_api: FakeWeChatApi,
    session: aiohttp.ClientSession,
) -> None:
    api = api_for(fake_api, session, MemoryTokenCache())
    await api.send_text(USER, "warm up")
    fake_api.fail_next(SEND, 40001, expire_token=False)
    await api.send_text(USER, "again")
    assert [c.body["force_refresh"] for c in fake_api.calls_to("/cgi-bin/stable_token")] == [
        False,
        False,
        True,
    ]


async def test_only_one_retry(fake_api: FakeWeChatApi, session: aiohttp.ClientSession) -> None:
    api = api_for(fake_api, session, MemoryTokenCache())
    fake_api.fail_next(SEND, 40001, times=2)
    with pytest.raises(WeChatApiError) as err:
        await api.send_text(USER, "doomed")
    assert err.value.errcode == 40001
    assert len(fake_api.calls_to(SEND)) == 2


async def test_other_errors_are_raised_with_their_code(
    fake_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    api = api_for(fake_api, session, MemoryTokenCache())
    fake_api.fail_next(SEND, 45015, errmsg="response out of time limit")
    with pytest.raises(WeChatApiError) as err:
        await api.send_text(USER, "too late")
    assert err.value.errcode == 45015
    assert len(fake_api.calls_to(SEND)) == 1


async def test_push_menu_sends_the_configured_menu(fake_api: FakeWeChatApi, tmp_path) -> None:
    settings = make_settings(fake_api, tmp_path)
    await push_menu(settings, "shop")
    (call,) = fake_api.calls_to("/cgi-bin/menu/create")
    assert call.body == {"button": MENU}
    assert "商品".encode() in call.raw  # real UTF-8, not \\u escapes
    with pytest.raises(MenuError):
        await push_menu(settings, "nobody")
    with pytest.raises(MenuError):
        await push_menu(settings, "lite")  # no menu configured


async def test_parametric_qr_codes(wx: Harness) -> None:
    permanent = await wx.adapter.qrcode("shop", "ref_ab12")
    temporary = await wx.adapter.qrcode("shop", "gb_77", expire_seconds=3600)
    first, second = wx.fake.calls_to("/cgi-bin/qrcode/create")
    assert first.body == {
        "action_name": "QR_LIMIT_STR_SCENE",
        "action_info": {"scene": {"scene_str": "ref_ab12"}},
    }
    assert second.body["action_name"] == "QR_STR_SCENE"
    assert second.body["expire_seconds"] == 3600
    assert permanent["image_url"].startswith("https://mp.weixin.qq.com/cgi-bin/showqrcode?")
    assert permanent["url"].startswith("http://weixin.qq.com/q/")
    assert temporary["ticket"] != permanent["ticket"]


async def test_notifications_go_out_as_customer_service_messages(wx: Harness) -> None:
    await wx.say("/help")
    reply = Reply(
        text="订单 #A1 已发货\n顺丰 SF1234567890", buttons=((Button("查看订单", "/order A1"),),)
    )
    wx.runtime.outbox.send(Outgoing(platform="wechat", chat_id=USER, reply=reply))
    await wx.settle()
    (text,) = wx.sent_texts()
    assert "SF1234567890" in text
    # The notification's button works by number, like any other.
    by_number = await wx.say("1")
    assert by_number.content == (await wx.say("/order A1")).content


async def test_an_unsubscribed_person_is_marked_unreachable(wx: Harness) -> None:
    await wx.say("/help")
    wx.fake.fail_next(SEND, 43004, errmsg="require subscribe")
    wx.runtime.outbox.send(Outgoing(platform="wechat", chat_id=USER, reply=Reply(text="hi")))
    await wx.settle()
    ident = await Identity.get(platform="wechat", platform_user_id=USER)
    assert ident.unreachable


async def test_pay_api_refusals_surface_as_pay_errors(
    fake_api: FakeWeChatApi, session: aiohttp.ClientSession, tmp_path
) -> None:
    from bot.wechat.pay import PayError, WeChatPayClient

    cfg = make_settings(fake_api, tmp_path).wechat.pay
    wrong_key = cfg.model_copy(update={"api_key": SecretStr("0" * 32)})
    with pytest.raises(PayError) as err:
        await WeChatPayClient(session, wrong_key).query("NOSUCH")
    assert err.value.code == "FAIL"  # the stand-in checks signatures like WeChat Pay
    with pytest.raises(PayError) as err:
        await WeChatPayClient(session, cfg).query("NOSUCH")
    assert err.value.code == "ORDERNOTEXIST"
    with pytest.raises(PayError) as err:
        await WeChatPayClient(session, cfg).refund(
            out_trade_no="X", out_refund_no="XR", total_fee=1, refund_fee=1
        )
    assert err.value.code == "NO_CERT"  # refunds need the merchant certificate
