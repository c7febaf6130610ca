"""Garbage through the real WeChat endpoint, signed: never a crash or a 5xx, no state change."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_bad_input import snapshot

from .conftest import Harness
from .wire import fixture

TAGS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "EventKey",
    "Encrypt",
    "xml",
    "!DOCTYPE",
    "!ENTITY",
]
XMLISH = st.lists(
    st.one_of(
        st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
        st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
        st.sampled_from(["<![CDATA[", "]]>", "&amp;", "&x;", "<?xml version='1.0'?>"]),
        st.text(max_size=20),
    ),
    max_size=25,
).map("".join)
BODY = st.one_of(
    st.binary(max_size=300),
    XMLISH.map(str.encode),
    # a real message whose content is garbage ("~" first: never a real command)
    st.text(max_size=80).map(
        lambda t: fixture("text", content="~" + t.replace("]]>", "")).encode()
    ),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODY)
async def test_garbage_messages(wx: Harness, body: bytes) -> None:
    before = await snapshot()
    resp = await wx.post(body)
    assert resp.status in (200, 400, 413), (resp.status, body[:200])
    await wx.settle()
    assert await snapshot() == before
