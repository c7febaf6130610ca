"""The README's command tables name every command a user can see in /help."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.commands import ROUTERS
from handlers.router import Registry

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_listed_command_is_in_the_readme() -> None:
    documented = set(re.findall(r"`/([a-z]+)", README.read_text(encoding="utf-8")))
    listed = {spec.name for spec in Registry(*ROUTERS).specs if not spec.hidden}
    assert listed - documented == set()
