"""The FAQ on the dashboard: added, edited and removed as customers then read it with /faq;
bad entries are refused beside their fields and change nothing."""

from __future__ import annotations

from store.support.models import FaqEntry
from tests.dashboard.conftest import Dashboard

FAQ = "/dashboard/support/faq"


async def entries() -> list[tuple[str, str]]:
    return [(e.question, e.answer) for e in await FaqEntry.all().order_by("id")]


async def test_entries_added_edited_and_removed_are_what_customers_read(dash: Dashboard) -> None:
    await dash.login()
    for question, answer in (("Shipping?", "2 days by SF."), ("Returns?", "Within 7 days.")):
        data = {"question": question, "answer": answer}
        status, _, location = await dash.post(FAQ, data)
        assert status == 303
    assert location.endswith("done=saved#faq-2")
    faq = await dash.chat.text("alice", "/faq")
    assert "Shipping?" in faq and "Returns?" in faq
    assert "Within 7 days." in await dash.chat.text("alice", "/faq 2")

    data = {"question": "Shipping to Beijing?", "answer": "3 days by SF."}
    status, _, location = await dash.post(FAQ + "/1", data)
    assert status == 303 and location.endswith("#faq-1")
    assert "3 days by SF." in await dash.chat.text("alice", "/faq 1")
    _, body = await dash.get(FAQ)
    assert 'value="Shipping to Beijing?"' in body.split('id="faq-1"')[1]

    status, _, _ = await dash.post(FAQ + "/1/remove")
    assert status == 303
    assert await entries() == [("Returns?", "Within 7 days.")]
    assert "Within 7 days." in await dash.chat.text("alice", "/faq 1")  # numbers moved up


async def test_bad_entries_are_refused_beside_their_fields(dash: Dashboard) -> None:
    await dash.chat.say("merchant", "/faq add Shipping? | 2 days.")
    before = await entries()
    await dash.login()
    for path, data, field, says in (
        (FAQ, {"question": " ", "answer": "x"}, "question", "Please fill this in."),
        (FAQ, {"question": "Q?", "answer": ""}, "answer", "Please fill this in."),
        (FAQ, {"question": "Q" * 201, "answer": "x"}, "question", "at most 200"),
        (FAQ + "/1", {"question": "Q?", "answer": "A" * 1001}, "answer", "1000"),
    ):
        status, body, _ = await dash.post(path, data)
        assert status == 400, data
        assert says in body.split(f'id="err-{field}"')[1].split("</small>")[0], data
    assert 'value="Q?"' in body.split('id="faq-1"')[1]  # what was typed stays in its form
    for path in (FAQ + "/2", FAQ + "/2/remove", FAQ + "/x/remove"):
        assert (await dash.post(path, {"question": "Q?", "answer": "A"}))[0] == 404, path
    assert (await dash.post(FAQ, {"question": "Q", "answer": "A"}, csrf=False))[0] == 403
    assert await entries() == before


async def test_the_faq_is_full_at_thirty(dash: Dashboard) -> None:
    shop_id = (await dash.chat.runtime.services.shops.by_slug("demo")).id
    await FaqEntry.bulk_create(
        [FaqEntry(shop_id=shop_id, question=f"Q{n}", answer="A") for n in range(30)]
    )
    await dash.login()
    status, body, _ = await dash.post(FAQ, {"question": "One more?", "answer": "No."})
    assert status == 400 and "The FAQ is full" in body and "/faq remove" not in body
    assert await FaqEntry.all().count() == 30
