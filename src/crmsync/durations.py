"""Human durations in config and on the command line: ``30s``, ``5m``, ``1h30m``, ``2d``."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


def parse_duration(value: str | int) -> timedelta:
    """Parse ``"1h30m"``-style text, or a whole number of seconds; never negative.

    Raises:
        ValueError: with the expected form, so config errors can show it.
    """
    text = str(value).strip().replace(" ", "")
    if not isinstance(value, bool):  # YAML's true is not one second
        if text.isdigit():
            return timedelta(seconds=int(text))
        parts = _PART.findall(text)
        if text and "".join(n + u for n, u in parts) == text:
            return sum((float(n) * _UNITS[u] for n, u in parts), timedelta())
    raise ValueError(f"expected a duration such as '30s', '5m' or '1h30m', found {value!r}")


def format_duration(value: timedelta) -> str:
    """The shortest ``1h30m``-style text for ``value`` (whole seconds)."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    text = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            text += f"{count}{unit}"
    return text
