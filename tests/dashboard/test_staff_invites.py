"""Staff invitations: the owner makes a code (dashboard or /staff invite), the new staff member
sends it to the bot with /joinstaff; codes work once, for a day, and a bad one changes nothing."""

from __future__ import annotations

import hashlib
import re

from store.models import Role, Shop, ShopMember, StaffInvite
from tests.conftest import MERCHANT, FakeClock
from tests.dashboard.conftest import Dashboard

CODE = re.compile(r"Invitation code ([A-Z2-9]{4}-[A-Z2-9]{4})")


async def invite(dash: Dashboard) -> str:
    status, body, _ = await dash.post("/dashboard/settings/team/invite")
    found = CODE.search(body)
    assert status == 200 and found, body[-1500:]
    return found.group(1)


async def team() -> list[tuple[str, str]]:
    shop = await Shop.get(slug="demo")
    members = await ShopMember.filter(shop_id=shop.id).prefetch_related("person").order_by("id")
    return [(m.person.display_name, m.role) for m in members]


async def test_an_invited_person_joins_the_team_once(dash: Dashboard) -> None:
    await dash.login()
    code = await invite(dash)
    stored = (await StaffInvite.get()).code_hash  # only the hash of the code is kept
    assert stored == hashlib.sha256(code.replace("-", "").encode()).hexdigest()

    welcome = await dash.chat.text("mia", f"/joinstaff {code.lower()}")  # any case works
    assert "Welcome to the team of" in welcome
    assert ("mia", Role.STAFF) in await team()
    assert "Team of" in await dash.chat.text("mia", "/staff")  # a merchant command now
    _, body = await dash.get("/dashboard/settings")
    assert "mia" in body.split('id="team"')[1]

    before = await team()
    assert "unknown, used or expired" in await dash.chat.text("leo", f"/joinstaff {code}")
    assert "already on the team" in await dash.chat.text("mia", f"/joinstaff {await invite(dash)}")
    assert await team() == before


async def test_bad_and_expired_codes_change_nothing(dash: Dashboard, clock: FakeClock) -> None:
    await dash.login()
    code = await invite(dash)
    before = await team()
    for text in (
        "/joinstaff",
        "/joinstaff ABCD-EFGH",
        "/joinstaff 0000",
        "/joinstaff " + "x" * 500,
    ):
        reply = await dash.chat.text("leo", text)
        assert "Usage: /joinstaff" in reply or "unknown, used or expired" in reply, text
    clock.advance(hours=25)
    assert "unknown, used or expired" in await dash.chat.text("leo", f"/joinstaff {code}")
    assert await team() == before


async def test_only_the_owner_makes_codes(dash: Dashboard) -> None:
    await dash.chat.say("mia", "/help")
    await dash.chat.say(MERCHANT, "/staff add mia")
    await dash.login("mia")
    _, body = await dash.get("/dashboard/settings")
    assert 'id="invite-staff"' not in body
    status, body, _ = await dash.post("/dashboard/settings/team/invite")
    assert status == 403 and "only the shop&#39;s owner" in body and not CODE.search(body)
    assert await StaffInvite.all().count() == 0


async def test_the_owner_invites_from_chat_too_and_the_code_goes_privately(
    dash: Dashboard,
) -> None:
    chat = dash.chat
    [reply] = await chat.say(MERCHANT, "/staff invite")
    found = CODE.search(reply.text)
    assert found and reply.private
    assert "Welcome to the team" in await chat.text("zoe", f"/joinstaff {found.group(1)}")
    assert ("zoe", Role.STAFF) in await team()
    # Staff may list the team but not invite.
    assert "only the shop's owner" in await chat.text("zoe", "/staff invite")
    assert await StaffInvite.all().count() == 1
