"""Durations a merchant types: 90s, 30m, 24h, 2d."""

from __future__ import annotations

import re

from store.errors import InvalidInput

_DURATION = re.compile(r"^([0-9]{1,6})([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SECONDS = 30 * 86400


def parse_duration(text: str, *, low: int = 1, high: int = MAX_SECONDS) -> int:
    """Seconds, from low to high; anything else is a typed error naming the value."""
    match = _DURATION.match(text.strip().casefold())
    if match is None:
        raise InvalidInput("bad_duration", value=text[:20])
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not low <= seconds <= high:
        raise InvalidInput("duration_out_of_range", value=text[:20])
    return seconds
