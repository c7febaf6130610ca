"""config.example.toml against the settings code: the same keys, the same defaults; and the
shop defaults reaching the shops they are for."""

from __future__ import annotations

import os
import re
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import ConfigError, Settings, load_settings
from bot.runtime import build_runtime
from tests.conftest import FakeClock

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"
SECTION = re.compile(r"^#?\s*\[\[?([a-z_.]+)\]\]?\s*$")
KEY = re.compile(r"^#?\s*([a-z_]+) = ")


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The settings section an annotation holds: X, X | None or list[X]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if found := _model_in(arg):
                return found
    return None


def _settings_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        section = _model_in(field.annotation)
        if section is None:
            keys.add(prefix + name)
        else:
            keys |= _settings_keys(section, f"{prefix}{name}.")
    return keys


def _example_keys() -> set[str]:
    """Every key the example shows, set or commented out, by its section."""
    keys: set[str] = set()
    section = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if m := SECTION.match(line):
            section = m.group(1) + "."
        elif m := KEY.match(line):
            keys.add(section + m.group(1))
    return keys


def test_the_example_shows_every_setting_and_nothing_else() -> None:
    assert _example_keys() == _settings_keys(Settings)


def test_the_examples_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("MICROSTORE_")]:
        monkeypatch.delenv(name)
    assert load_settings(EXAMPLE) == load_settings()


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
