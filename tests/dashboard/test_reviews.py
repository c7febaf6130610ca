"""Reviews on the dashboard: every product's reviews, those waiting for a reply, replying
once (the buyer hears it), hiding and showing; another shop's review answers 404."""

from __future__ import annotations

from store.reviews.models import Review
from tests.conftest import FakeClock
from tests.dashboard.conftest import Dashboard
from tests.reviews.test_reviews import completed


async def review(dash: Dashboard, user: str, product: int, stars: int, text: str) -> Review:
    no = await completed(dash.chat, user, product)
    await dash.chat.say(user, f"/review {no} {stars} {text}")
    dash.chat.pushed(user)
    return await Review.get(text=text)


def card(body: str, review_id: int) -> str:
    return body.split(f'id="review-{review_id}"')[1].split("</li>")[0]


async def test_reply_hide_and_show_from_the_list(dash: Dashboard, clock: FakeClock) -> None:
    good = await review(dash, "alice", 1, 5, "Lovely tea")
    clock.advance(minutes=1)
    bad = await review(dash, "bob", 2, 1, "Arrived broken")
    await dash.login()

    status, body = await dash.get("/dashboard/reviews")
    assert status == 200 and body.index("Arrived broken") < body.index("Lovely tea")  # newest
    assert "★☆☆☆☆" in card(body, bad.id) and "bob" in card(body, bad.id)
    _, waiting = await dash.get("/dashboard/reviews?unanswered=1")
    assert "Lovely tea" in waiting and "Arrived broken" in waiting

    data = {"text": "Sorry! A new one is on its way."}
    status, _, location = await dash.post(f"/dashboard/reviews/{bad.id}/reply", data)
    assert status == 303 and location.endswith(f"done=replied#review-{bad.id}")
    assert "A new one is on its way." in dash.chat.pushed("bob")
    assert (await Review.get(id=bad.id)).reply == data["text"]
    _, body = await dash.get("/dashboard/reviews")
    assert "A new one is on its way." in card(body, bad.id)
    assert f'action="/dashboard/reviews/{bad.id}/reply"' not in body  # replied: no box
    _, waiting = await dash.get("/dashboard/reviews?unanswered=1")
    assert "Arrived broken" not in waiting and "Lovely tea" in waiting
    # Once only: a second reply (a stale page, another tab) is refused.
    status, body, _ = await dash.post(f"/dashboard/reviews/{bad.id}/reply", {"text": "Again"})
    assert status == 409 and "one reply" in body
    assert (await Review.get(id=bad.id)).reply == data["text"]
    assert dash.chat.pushed("bob") == ""

    status, _, _ = await dash.post(f"/dashboard/reviews/{good.id}/hide")
    assert status == 303 and (await Review.get(id=good.id)).hidden
    assert "Lovely tea" not in await dash.chat.text("carol", "/reviews 1")
    _, body = await dash.get("/dashboard/reviews")
    assert "hidden" in card(body, good.id)  # the shop still sees it, to show it again
    status, _, _ = await dash.post(f"/dashboard/reviews/{good.id}/show")
    assert status == 303 and not (await Review.get(id=good.id)).hidden
    assert "Lovely tea" in await dash.chat.text("carol", "/reviews 1")


async def test_a_bad_reply_is_refused_beside_its_review(dash: Dashboard) -> None:
    first = await review(dash, "alice", 1, 4, "Good")
    await dash.login()
    for text in ("   ", "x" * 501):
        status, body, _ = await dash.post(f"/dashboard/reviews/{first.id}/reply", {"text": text})
        assert status == 400 and f'id="err-reply-{first.id}"' in card(body, first.id)
    assert "x" * 501 in body  # what was typed stays in its box
    status, _, _ = await dash.post(
        f"/dashboard/reviews/{first.id}/reply", {"text": "hi"}, csrf=False
    )
    assert status == 403
    assert (await Review.get(id=first.id)).reply == ""
    assert dash.chat.pushed("alice") == ""


async def test_another_shops_reviews_answer_404(dash: Dashboard) -> None:
    mine = await review(dash, "alice", 1, 2, "Meh")
    chat = dash.chat
    await chat.say("rival", "/newshop Rival Tea")
    rival = Dashboard(dash.client, chat)  # signed in to the rival shop's dashboard
    await rival.login("rival")
    for path, data in (
        (f"/dashboard/reviews/{mine.id}/reply", {"text": "fake"}),
        (f"/dashboard/reviews/{mine.id}/hide", {}),
        ("/dashboard/reviews/99999999999/hide", {}),
        ("/dashboard/reviews/abc/show", {}),
    ):
        assert (await rival.post(path, data))[0] == 404, path
    assert (await rival.post(f"/dashboard/reviews/{mine.id}/delete"))[0] in (404, 405)
    assert "Meh" not in (await rival.get("/dashboard/reviews"))[1]
    fresh = await Review.get(id=mine.id)
    assert (fresh.hidden, fresh.reply) == (False, "")


async def test_the_list_is_paged_and_speaks_chinese(dash: Dashboard, clock: FakeClock) -> None:
    for n in range(21):
        await review(dash, f"user{n}", 1, 5, f"review number {n}")
        clock.advance(minutes=1)
    await dash.login()
    _, first = await dash.get("/dashboard/reviews")
    assert "review number 20" in first and "review number 0" not in first
    assert "Page 1 of 2" in first
    _, second = await dash.get("/dashboard/reviews?page=2")
    assert "review number 0" in second and "review number 20" not in second
    assert (await dash.get("/dashboard/reviews?page=%C2%B2"))[0] == 200  # bad page: the first
    await dash.post("/dashboard/language", {"locale": "zh_CN", "next": "/dashboard/reviews"})
    _, body = await dash.get("/dashboard/reviews")
    assert "评价" in body and "待回复" in body and "5 星（满分 5 星）" in body


async def test_a_review_on_page_two_is_answered_there(dash: Dashboard, clock: FakeClock) -> None:
    for n in range(21):
        await review(dash, f"user{n}", 1, 5, f"review number {n}")
        clock.advance(minutes=1)
    oldest = await Review.get(text="review number 0")  # on page 2
    await dash.login()
    _, body = await dash.get("/dashboard/reviews?unanswered=1&page=2")
    here = "unanswered=1&amp;page=2"
    assert f'action="/dashboard/reviews/{oldest.id}/reply?{here}"' in card(body, oldest.id)
    # An empty reply: the error and the box are on the page shown, beside that review.
    status, body, _ = await dash.post(
        f"/dashboard/reviews/{oldest.id}/reply?unanswered=1&page=2", {"text": " "}
    )
    assert status == 400 and f'id="err-reply-{oldest.id}"' in card(body, oldest.id)
    status, _, location = await dash.post(
        f"/dashboard/reviews/{oldest.id}/hide?unanswered=1&page=2"
    )
    assert location == f"/dashboard/reviews?unanswered=1&page=2&done=hidden#review-{oldest.id}"
    status, _, location = await dash.post(f"/dashboard/reviews/{oldest.id}/show")
    assert location == f"/dashboard/reviews?done=shown#review-{oldest.id}"
