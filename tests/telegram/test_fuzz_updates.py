"""Garbage through the real webhook: never a crash or a 5xx, and no state change."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_bad_input import snapshot

from . import updates as u
from .conftest import SECRET, Harness

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# Updates shaped like Telegram's, with parts replaced by garbage.
SHAPED = st.builds(
    # "~" first: random text must not spell a real command such as "add 1"
    lambda uid, text, junk: {**u.message(uid, "~" + text), **junk},
    st.integers(1, 2**40),
    st.text(max_size=60),
    st.dictionaries(
        st.sampled_from(
            ["message", "callback_query", "update_id", "edited_message", "pre_checkout_query"]
        ),
        JSON,
        max_size=2,
    ),
)
BODY = st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda v: json.dumps(v).encode()),
    SHAPED.map(lambda v: json.dumps(v).encode()),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODY)
async def test_garbage_updates(tg: Harness, body: bytes) -> None:
    before = await snapshot()
    resp = await tg.client.post(
        "/telegram/webhook",
        data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert resp.status in (200, 400), (resp.status, body[:200])
    await tg.settle()
    assert await snapshot() == before
