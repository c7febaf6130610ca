"""Garbage in: no crash, no generic failure, and no state change unless it was a real command."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.errors import MESSAGES
from tests.conftest import MERCHANT, Chat
from tests.test_bad_input import snapshot

WORDS = [
    "/add",
    "/remove",
    "/checkout",
    "/cancel",
    "/refund",
    "/price",
    "/stock",
    "/ship",
    "/paid",
    "/catalog",
    "/search",
    "/product",
    "/order",
    "/lang",
    "/staff",
    "/settings",
    "加购",
    "结算",
    "/start",
    "/addproduct",
    "/refundno",
    "/hide",
]
ARGS = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        [
            "0",
            "-1",
            "1e9",
            "NaN",
            "1.005",
            "¥",
            "|",
            "||||",
            "%",
            "_",
            "'",
            '"',
            "\x00",
            "🛒",
            "１２",
            "٣",
            "DROP TABLE product;--",
            "@bot",
            "\n",
        ]
    ),
)
MESSAGE = st.one_of(
    st.text(max_size=200),
    st.tuples(st.sampled_from(WORDS), st.lists(ARGS, max_size=4)).map(
        lambda t: " ".join([t[0], *t[1]])
    ),
)
# Everything but these may change state, so garbage after them may too.
READ_ONLY = ("/catalog", "/search", "/product", "/order")
MUTATING = tuple(w for w in WORDS if w not in READ_ONLY)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=MESSAGE, as_merchant=st.booleans())
async def test_garbage_never_crashes_or_changes_state(
    chat: Chat, text: str, as_merchant: bool
) -> None:
    user = MERCHANT if as_merchant else "fuzzer"
    before = await snapshot()
    replies = await chat.say(user, text)
    for reply in replies:
        assert reply.text.strip()
        assert MESSAGES["error"] not in reply.text, text
    if not text.strip().lstrip("/").startswith(tuple(w.lstrip("/") for w in MUTATING)):
        assert await snapshot() == before, text
