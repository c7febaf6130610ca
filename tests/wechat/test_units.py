"""Small pure pieces: page splitting, link handling, XML safety, signatures."""

from __future__ import annotations

import time

import pytest
import xmltodict
from hypothesis import given
from hypothesis import strategies as st

from bot.wechat.httpio import signature_ok
from bot.wechat.render import TEXT_LIMIT, NewsPart, TextPart, link, nbytes, plain, split_pages
from bot.wechat.replies import passive_xml
from bot.wechat.xmlsafe import XmlRejected, check_xml, parse_xml

from .wire import signed_query


@given(
    st.text(alphabet=st.sampled_from('明前龙井，。 \nab<>/a="é😀'), max_size=6000),
    st.integers(min_value=64, max_value=TEXT_LIMIT),
)
def test_pages_fit_and_lose_no_words(text: str, limit: int) -> None:
    pages = split_pages(text, limit)
    assert all(nbytes(p) <= limit for p in pages)
    assert "".join("".join(p.split()) for p in pages) == "".join(text.split())


def test_pages_break_at_paragraphs_then_sentences() -> None:
    text = "第一段。" * 100 + "\n\n" + "第二段。" * 100
    first, second = split_pages(text, 1300)
    assert first == "第一段。" * 100
    assert second == "第二段。" * 100
    pages = split_pages("一句话。" * 400, 1000)
    assert all(p.endswith("。") for p in pages)


def test_a_page_never_cuts_a_link() -> None:
    anchor = link("https://shop.example.com/pay/A1", "去支付")
    text = "x" * 90 + anchor + "y" * 10
    pages = split_pages(text, 100)
    assert anchor in pages[1]


def test_plain_links_urls_and_defuses_anchors() -> None:
    assert plain("see https://a.example/x?y=1。") == (
        'see <a href="https://a.example/x?y=1">https://a.example/x?y=1</a>。'
    )
    assert "<a" not in plain('<a href="https://evil.example">prize</a>')
    assert plain("1 < 2 and b>a") == "1 < 2 and b>a"


def test_link_escapes_the_url() -> None:
    assert link('https://a.example/?q="x"&y', "l") == (
        '<a href="https://a.example/?q=&quot;x&quot;&amp;y">l</a>'
    )


@pytest.mark.parametrize(
    "body",
    [
        '<!DOCTYPE xml [<!ENTITY a "b">]><xml><a>&a;</a></xml>',
        '<!DOCTYPE xml SYSTEM "http://evil.example/x.dtd"><xml/>',
        '<?xml version="1.0"?><!DOCTYPE xml><xml/>',
        "<xml><a>&undefined;</a></xml>",
        "<xml><?php echo 1 ?></xml>",
        "<xml><a></xml>",
        "",
    ],
)
def test_unsafe_or_malformed_xml_is_rejected(body: str) -> None:
    with pytest.raises(XmlRejected):
        check_xml(body)


def test_plain_xml_passes() -> None:
    assert parse_xml('<?xml version="1.0" encoding="utf-8"?><xml><a>&amp;&lt;</a></xml>') == {
        "a": "&<"
    }
    with pytest.raises(XmlRejected):
        parse_xml("<root><a>1</a></root>")


def test_passive_xml_keeps_any_text_inside_cdata() -> None:
    nasty = "a]]><MsgType>news</MsgType><![CDATA[b"
    text = xmltodict.parse(passive_xml(TextPart(nasty), openid="o", account_id="gh"))["xml"]
    assert text["Content"] == nasty and text["MsgType"] == "text"
    news = xmltodict.parse(
        passive_xml(NewsPart("t]]>", "d", "https://p", "https://u"), openid="o", account_id="gh")
    )["xml"]
    assert news["Articles"]["item"]["Title"] == "t]]>"


def test_signatures_must_match_and_be_recent() -> None:
    now = time.time()
    assert signature_ok("tok", signed_query("tok"))
    assert not signature_ok("tok", signed_query("other"))
    assert not signature_ok("tok", signed_query("tok", timestamp=int(now) - 301))
    assert not signature_ok("tok", signed_query("tok", timestamp=int(now) + 301))
    assert not signature_ok("tok", {})
    assert not signature_ok("tok", signed_query("tok") | {"timestamp": "abc"})


def test_account_configuration_is_checked() -> None:
    from bot.config import ConfigError, load_settings

    good = {"name": "main", "app_id": "wx1", "secret": "s", "token": "t"}
    assert load_settings(None, wechat={"accounts": [good]}).wechat.accounts[0].name == "main"
    for bad in ({**good, "name": "a/b"}, {**good, "encoding_aes_key": "short"}):
        with pytest.raises(ConfigError):
            load_settings(None, wechat={"accounts": [bad]})
    with pytest.raises(ConfigError):
        load_settings(None, wechat={"accounts": [good, good]})


def test_a_short_reply_with_a_picture_is_one_passive_news_card() -> None:
    from bot.wechat.delivery import plan
    from bot.wechat.render import render
    from bot.wechat.texts import Texts
    from handlers.types import Button, Reply

    texts = Texts("zh_CN")
    img = "https://img.example.com/tea.jpg"
    short = plan(render([Reply(text="龙井 250g\n¥128.00", image=img)], texts), texts, True)
    assert short.passive == NewsPart("龙井 250g", "¥128.00", img, img) and not short.later
    xml = passive_xml(short.passive, openid="o", account_id="gh")
    assert xmltodict.parse(xml)["xml"]["MsgType"] == "news"
    with_buttons = render(
        [Reply(text="龙井 250g\n¥128.00", image=img, buttons=((Button("Add", "/add 1"),),))], texts
    )
    assert [type(p).__name__ for p in with_buttons.parts] == ["NewsPart", "TextPart"]
    assert with_buttons.options == ("/add 1",)
    not_a_web_image = render([Reply(text="龙井", image="AgACAgIAAxkBAAIC")], texts)
    assert [type(p).__name__ for p in not_a_web_image.parts] == ["TextPart"]
