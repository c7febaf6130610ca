"""The message endpoint: verification, the three modes, every message kind, bad input."""

from __future__ import annotations

import time

from handlers.errors import MESSAGES
from handlers.i18n import translate
from store.models import Identity

from .conftest import LITE_TOKEN, TOKEN, USER, Harness
from .wire import fixture, read_reply, signed_query


def is_welcome(content: str) -> bool:
    return "Demo Shop" in content and content != translate("zh_CN", MESSAGES["error"])


async def test_get_verification_echoes_echostr(wx: Harness) -> None:
    q = signed_query(TOKEN, echostr="4418712823476263940")
    resp = await wx.client.get("/wechat/shop", params=q)
    assert resp.status == 200
    assert await resp.text() == "4418712823476263940"


async def test_get_verification_with_a_bad_signature_is_refused(wx: Harness) -> None:
    q = signed_query("not-our-token", echostr="42")
    resp = await wx.client.get("/wechat/shop", params=q)
    assert resp.status == 403
    assert "42" not in await resp.text()


async def test_unknown_account_is_404(wx: Harness) -> None:
    resp = await wx.client.get("/wechat/nobody", params=signed_query(TOKEN, echostr="1"))
    assert resp.status == 404


async def test_text_in_plaintext_mode_gets_a_passive_text_reply(wx: Harness) -> None:
    reply = await wx.say("/help")
    assert not reply.encrypted
    assert reply.type == "text"
    assert reply.fields["ToUserName"] == USER
    assert reply.fields["FromUserName"] == "gh_shop0000001"
    assert "/cart" in reply.content  # the help lists commands


async def test_safe_mode_round_trip(wx: Harness) -> None:
    reply = await wx.say("/help", mode="safe")
    assert reply.encrypted  # WeChat decrypts it with the same EncodingAESKey
    assert reply.type == "text"
    assert "/cart" in reply.content


async def test_compatible_mode_is_answered_encrypted(wx: Harness) -> None:
    reply = await wx.say("/help", mode="compatible")
    assert reply.encrypted
    assert "/cart" in reply.content


async def test_safe_mode_with_a_wrong_msg_signature_is_refused(wx: Harness) -> None:
    from .wire import safe_envelope

    q = signed_query(TOKEN)
    body, q = safe_envelope(wx.crypto, fixture("text", content="/help"), q)
    q["msg_signature"] = "0" * 40
    resp = await wx.client.post("/wechat/shop", params=q, data=body)
    assert resp.status == 403


async def test_bad_signature_gets_403_and_nothing_is_processed(wx: Harness) -> None:
    openid = "oNobodyShouldExist000000001"
    resp = await wx.post(fixture("text", content="/help", openid=openid), token="wrong")
    assert resp.status == 403
    await wx.settle()
    assert not await Identity.exists(platform="wechat", platform_user_id=openid)


async def test_stale_or_missing_signature_is_refused(wx: Harness) -> None:
    xml = fixture("text", content="/help")
    stale = signed_query(TOKEN, timestamp=int(time.time()) - 3600)
    assert (await wx.post(xml, query=stale)).status == 403
    assert (await wx.post(xml, query={})).status == 403
    q = signed_query(TOKEN)
    del q["signature"]
    assert (await wx.post(xml, query=q)).status == 403


async def test_each_account_checks_its_own_token(wx: Harness) -> None:
    xml = fixture("text", content="/help")
    assert (await wx.post(xml, account="lite", token=TOKEN)).status == 403
    assert (await wx.post(xml, account="lite", token=LITE_TOKEN)).status == 200


async def test_menu_click_runs_the_key_as_a_command(wx: Harness) -> None:
    by_click = await wx.deliver(fixture("click", event_key="cart"))
    typed = await wx.say("/cart")
    assert by_click.type == "text"
    assert by_click.content == typed.content


async def test_subscribe_welcomes_and_lands_in_the_account_shop(wx: Harness) -> None:
    openid = "oNewSubscriber0000000000001"
    reply = await wx.deliver(fixture("subscribe", openid=openid))
    assert reply.type == "text" and is_welcome(reply.content)
    ident = await Identity.get(platform="wechat", platform_user_id=openid)
    assert ident.current_shop_id is not None


async def test_subscribe_with_a_qrscene_passes_the_scene_as_start_payload(wx: Harness) -> None:
    openid = "oScannedQr00000000000000001"
    reply = await wx.deliver(fixture("subscribe_qrscene", openid=openid, scene="shop_demo"))
    welcome = await wx.say("/start shop_demo", openid=openid)
    assert reply.type == "text" and is_welcome(reply.content)
    assert reply.content == welcome.content


async def test_scan_by_a_follower_starts_with_the_scene(wx: Harness) -> None:
    reply = await wx.deliver(fixture("scan", scene="shop_demo"))
    welcome = await wx.say("/start shop_demo")
    assert is_welcome(reply.content)
    assert reply.content == welcome.content


async def test_image_voice_and_location_get_a_polite_text_only_reply(wx: Harness) -> None:
    answers = [await wx.deliver(fixture(kind)) for kind in ("image", "voice", "location")]
    assert all(a.type == "text" and "/help" in a.content for a in answers)
    assert len({a.content for a in answers}) == 1


async def test_other_events_are_acknowledged_silently(wx: Harness) -> None:
    reply = await wx.deliver(fixture("view"))
    assert reply.success


async def test_unsubscribe_marks_the_person_unreachable(wx: Harness) -> None:
    await wx.say("/help")
    reply = await wx.deliver(fixture("unsubscribe"))
    await wx.settle()
    assert reply.success
    ident = await Identity.get(platform="wechat", platform_user_id=USER)
    assert ident.unreachable


# -- bad input ------------------------------------------------------------------------------


async def test_malformed_xml_is_400(wx: Harness) -> None:
    resp = await wx.post("<xml><ToUserName>gh_shop</ToUserName><MsgType>text")
    assert resp.status == 400
    resp = await wx.post("not xml at all")
    assert resp.status == 400
    resp = await wx.post("<xml><Content>no type</Content></xml>")
    assert resp.status == 400


XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName><![CDATA[gh_shop0000001]]></ToUserName>
<FromUserName><![CDATA[oAttacker]]></FromUserName><CreateTime>1</CreateTime>
<MsgType><![CDATA[text]]></MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>oAttacker</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>2</MsgId></xml>"""


async def test_doctype_and_entities_are_rejected(wx: Harness) -> None:
    for body in (XXE, LAUGHS):
        resp = await wx.post(body)
        assert resp.status == 400
        assert "root:" not in await resp.text()
    await wx.settle()
    assert not await Identity.exists(platform="wechat", platform_user_id="oAttacker")


async def test_doctype_inside_the_encrypted_payload_is_rejected(wx: Harness) -> None:
    resp = await wx.post(XXE, mode="safe")
    assert resp.status == 400


async def test_a_body_over_one_megabyte_is_413(wx: Harness) -> None:
    big = fixture("text", content="x" * (1024 * 1024 + 10))
    resp = await wx.post(big)
    assert resp.status == 413


async def test_reply_text_cannot_break_out_of_cdata(wx: Harness) -> None:
    # WeChat itself splits a "]]>" typed by a person across two CDATA sections.
    resp = await wx.post(fixture("text", content="/search ]]]]><![CDATA[><evil/>"))
    assert resp.status == 200
    reply = read_reply(await resp.text())
    assert reply.type == "text"
    assert "]]><evil/>" in reply.content


async def test_referral_and_group_buy_scenes_reach_the_core(wx: Harness) -> None:
    for scene in ("ref_ab12", "gb_77"):
        openid = f"oScene{scene}".ljust(28, "0")
        by_qr = await wx.deliver(fixture("subscribe_qrscene", openid=openid, scene=scene))
        typed = await wx.say(f"/start {scene}", openid=openid)
        assert by_qr.type == "text"
        assert by_qr.content != translate("zh_CN", MESSAGES["error"])
        assert by_qr.content == typed.content  # the core handled the payload (e.g. no such 团)


async def test_a_timestamp_that_is_no_number_is_refused_like_a_bad_signature(wx: Harness) -> None:
    """str.isdigit() takes "²" and "١٢" for digits, and int() refuses 5,000 of them: each
    was a 500 with a traceback in the log instead of the signature's 403."""
    xml = fixture("text", content="/help")
    for timestamp in ("²", "١٢٣", "9" * 5000):
        q = signed_query(TOKEN) | {"timestamp": timestamp}
        assert (await wx.post(xml, query=q)).status == 403
        resp = await wx.client.get("/wechat/shop", params=q | {"echostr": "x"})
        assert resp.status == 403
