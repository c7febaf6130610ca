"""Reviews end to end through the chat: rate after completion, once per item, reply, hide."""

from __future__ import annotations

from decimal import Decimal

from store.models import Order, OrderStatus, Product
from store.reviews.models import Review
from store.reviews.service import Rating
from tests.conftest import MERCHANT, Chat
from tests.test_chat_flow import order_no


async def buy(chat: Chat, user: str, *products: int) -> str:
    """Add the products, check out, and let the merchant mark it paid and shipped."""
    for pid in products:
        await chat.say(user, f"/add {pid} 1")
    await chat.say(user, "/checkout")
    for answer in ("Zhang San", "13800138000", "1 Wensan Road, Hangzhou"):
        await chat.say(user, answer)
    no = order_no(await chat.text(user, "/checkout confirm"))
    await chat.say(MERCHANT, f"/paid {no}")
    await chat.say(MERCHANT, f"/ship {no} SF SF1")
    chat.pushed(user)
    return no


async def completed(chat: Chat, user: str, *products: int) -> str:
    no = await buy(chat, user, *products)
    await chat.say(user, f"/received {no}")
    return no


async def test_completion_prompts_and_a_review_shows_on_the_card(chat: Chat) -> None:
    no = await buy(chat, "alice", 1)
    await chat.say("alice", f"/received {no}")
    prompt = chat.inbox.take("alice")
    assert any(f"/review {no}" in r.text for r in prompt)
    assert any(b.payload == f"/review {no}" for r in prompt for row in r.buttons for b in row)

    items = (await chat.say("alice", f"/review {no}"))[0]
    assert "not reviewed yet" in items.text
    assert any(b.payload == f"/review {no} #1 5" for row in items.buttons for b in row)

    text = await chat.text("alice", f"/review {no} 5 Lovely tea, <b>fresh</b>")
    assert "Thank you" in text and "★★★★★" in text
    review = await Review.get()
    assert (review.stars, review.text, review.product_id) == (5, "Lovely tea, <b>fresh</b>", 1)

    card = (await chat.say("bob", "/product 1"))[0]
    assert "★ 5.0 (1)" in card.text
    assert any(b.payload == "/reviews 1" for row in card.buttons for b in row)
    listing = await chat.text("bob", "/reviews 1")
    assert "Lovely tea" in listing and "a**" in listing  # customers see names masked
    assert "alice" in await chat.text(MERCHANT, "/reviews 1")


async def test_reviewing_twice_or_before_completion_changes_nothing(chat: Chat) -> None:
    no = await buy(chat, "alice", 1)
    assert "once it is completed" in await chat.text("alice", f"/review {no} 4 early")
    assert "shipped" in await chat.text("alice", f"/review {no} 4 early")
    assert await Review.all().count() == 0

    await chat.say("alice", f"/received {no}")
    await chat.say("alice", f"/review {no} 4 good")
    assert "already reviewed item #1" in await chat.text("alice", f"/review {no} 1 bad now")
    assert "already reviewed" in await chat.text("alice", f"/review {no} #1 2")
    assert [(r.stars, r.text) for r in await Review.all()] == [(4, "good")]


async def test_someone_elses_or_unknown_order_is_unknown(chat: Chat) -> None:
    no = await completed(chat, "alice", 1)
    for user, order in (("bob", no), ("alice", "NOSUCHNO"), ("alice", "X" * 40)):
        text = await chat.text(user, f"/review {order} 5 mine")
        assert "There is no order" in text, text
    assert await Review.all().count() == 0


async def test_bad_arguments_get_clear_answers(chat: Chat) -> None:
    no = await completed(chat, "alice", 1)
    cases = {
        "/review": "Usage: /review",
        f"/review {no} 6": "whole number from 1 to 5",
        f"/review {no} 0": "whole number from 1 to 5",
        f"/review {no} five": "not a rating",
        f"/review {no} #2 5": "items #1 to #1",
        f"/review {no} #x 5": "not a valid number",
        f"/review {no} 5 " + "x" * 501: "at most 500 characters",
        "/reviews": "Usage: /reviews",
        "/reviews 999": "no product 999",
    }
    for line, expected in cases.items():
        assert expected in await chat.text("alice", line), line
    assert await Review.all().count() == 0


async def test_refunded_order_cannot_be_reviewed(chat: Chat) -> None:
    no = await buy(chat, "alice", 1)
    await chat.say("alice", f"/refund {no} broken")
    await chat.say(MERCHANT, f"/refundok {no}")
    assert (await Order.get(order_no=no)).status == OrderStatus.REFUNDED
    assert "once it is completed" in await chat.text("alice", f"/review {no} 1")
    assert await Review.all().count() == 0


async def test_multi_item_orders_pick_the_item_by_number(chat: Chat) -> None:
    no = await completed(chat, "alice", 1, 2)
    text = await chat.text("alice", f"/review {no} 5")
    assert "has 2 items" in text and f"/review {no} #1 5" in text
    assert await Review.all().count() == 0
    await chat.say("alice", f"/review {no} #2 3 ok", button=False)
    await chat.say("alice", f"/review {no} #1 5", button=True)  # a star button, no text
    reviews = {r.product_id: r.stars for r in await Review.all()}
    assert reviews == {2: 3, 1: 5}
    assert "every item is reviewed" in await chat.text("alice", f"/review {no}")


async def test_merchant_replies_once_and_hidden_reviews_leave_the_average(chat: Chat) -> None:
    # every card shows the stars as they are now, however often it was shown before
    for user, stars, shown in (
        ("alice", 5, "★ 5.0 (1)"),
        ("bob", 4, "★ 4.5 (2)"),
        ("carol", 1, "★ 3.3 (3)"),
    ):
        no = await completed(chat, user, 1)
        await chat.say(user, f"/review {no} {stars} from {user}")
        assert shown in await chat.text("dave", "/product 1")
    shop_id = (await Product.get(id=1)).shop_id  # type: ignore[attr-defined]
    rating = await chat.runtime.services.reviews.rating(shop_id, 1)
    assert rating == Rating(count=3, total=10) and rating.average == Decimal("3.3")
    carol = await Review.get(person__display_name="carol")

    # customers can't moderate
    assert "only the shop's owner and staff" in await chat.text("bob", f"/hidereview {carol.id}")
    assert not (await Review.get(id=carol.id)).hidden

    assert "is hidden" in await chat.text(MERCHANT, f"/hidereview {carol.id}")
    assert "★ 4.5 (2)" in await chat.text("dave", "/product 1")
    assert "from carol" not in await chat.text("dave", "/reviews 1")
    assert "from carol" in await chat.text(MERCHANT, "/reviews 1")  # staff still see it
    assert "shown again" in await chat.text(MERCHANT, f"/showreview {carol.id}")
    assert "★ 3.3 (3)" in await chat.text("dave", "/product 1")
    # The button hides the review: in Chinese 隐藏, not 下架 (taking a product off sale).
    await chat.say(MERCHANT, "/lang zh")
    shown = (await chat.say(MERCHANT, f"/showreview {carol.id}"))[0]
    labels = {b.payload: b.label for row in shown.buttons for b in row}
    assert labels[f"/hidereview {carol.id}"] == "隐藏评价"
    await chat.say(MERCHANT, "/lang en")

    assert "published" in await chat.text(MERCHANT, f"/reviewreply #{carol.id} Sorry, refunded!")
    assert "Sorry, refunded!" in chat.pushed("carol")
    again = await chat.text(MERCHANT, f"/reviewreply {carol.id} Second try")
    assert "one reply" in again
    assert (await Review.get(id=carol.id)).reply == "Sorry, refunded!"
    assert "The shop: Sorry, refunded!" in await chat.text("dave", "/reviews 1")

    for line, expected in {
        "/reviewreply 99999 hi": "no review #99999",
        "/reviewreply abc hi": "no review #abc",
        f"/reviewreply {carol.id}": "Usage: /reviewreply",
        "/hidereview 99999": "no review #99999",
        "/showreview": "Usage: /showreview",
    }.items():
        assert expected in await chat.text(MERCHANT, line), line


async def test_another_shops_reviews_are_unknown_to_its_merchant(chat: Chat) -> None:
    no = await completed(chat, "alice", 1)
    await chat.say("alice", f"/review {no} 2 meh")
    review = await Review.get()
    await chat.say("rival", "/newshop Rival Tea")
    assert "no review" in await chat.text("rival", f"/hidereview {review.id}")
    assert "no review" in await chat.text("rival", f"/reviewreply {review.id} fake")
    assert "no product 1" in await chat.text("rival", "/reviews 1")
    fresh = await Review.get()
    assert (fresh.hidden, fresh.reply) == (False, "")


async def test_reviews_are_paged_newest_first(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    for n in range(7):
        no = await completed(chat, f"user{n}", 1)
        clock.advance(minutes=1)
        await chat.say(f"user{n}", f"/review {no} 5 review number {n}")
    first = (await chat.say("bob", "/reviews 1"))[0]
    assert "review number 6" in first.text and "review number 2" in first.text
    assert "review number 1" not in first.text and "Page 1 of 2" in first.text
    assert first.text.index("number 6") < first.text.index("number 5")
    second = await chat.text("bob", "/reviews 1 2", button=True)
    assert "review number 0" in second and "review number 6" not in second


async def test_chinese_aliases_and_locale(chat: Chat) -> None:
    no = await completed(chat, "alice", 1)
    await chat.say("alice", "/lang zh")
    text = await chat.text("alice", f"写评价 {no} 4 不错")
    assert "感谢" in text
    assert "不错" in await chat.text("alice", "评价 1")


async def test_a_hidden_review_is_marked_hidden_not_delisted_in_chinese(chat: Chat) -> None:
    no = await completed(chat, "alice", 1)
    await chat.say("alice", f"/review {no} 2 meh")
    review = await Review.get()
    await chat.say(MERCHANT, "/lang zh")
    await chat.say(MERCHANT, f"/hidereview {review.id}")
    listed = await chat.text(MERCHANT, "/reviews 1")
    assert "已隐藏" in listed and "已下架" not in listed, listed  # 下架 is a product's word
