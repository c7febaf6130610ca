"""Configuration reaching what it configures."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.runtime import build_runtime
from tests.conftest import FakeClock


async def test_new_shops_get_the_configured_time_zone_and_currency() -> None:
    settings = load_settings(
        database={"url": "sqlite://:memory:"},
        shop={"timezone": "Europe/Berlin", "currency": "EUR"},
    )
    rt = await build_runtime(settings, clock=FakeClock(), create_schema=True)
    try:
        owner = await rt.services.people.identify("sim", "owner", "Owner")
        person = await rt.services.people.person(owner.person_id)  # type: ignore[attr-defined]
        shop = await rt.services.shops.create("Bäckerei", person)
        assert (shop.timezone, shop.currency) == ("Europe/Berlin", "EUR")
    finally:
        await rt.close()


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_an_unknown_time_zone_is_one_clear_error(zone: str) -> None:
    with pytest.raises(ConfigError, match=r"shop\.timezone"):
        load_settings(shop={"timezone": zone})
