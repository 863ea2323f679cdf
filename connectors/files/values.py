"""Reading cells as record ids, modified times and deleted flags.

Files come from spreadsheets, exports and scripts, so each of these accepts the spellings
those tools produce; anything else raises ValueError with what was expected.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

TIMESTAMP_EXPECTED = "expected an ISO 8601 time or epoch seconds/milliseconds"
KEY_EXPECTED = "expected a record id (text or a whole number)"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch numbers at or above this are milliseconds: as seconds they would lie past the
# year 5000, as milliseconds they are after March 1973.
_MILLISECONDS_FROM = 100_000_000_000
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")
_NOT_DELETED = frozenset({"", "false", "f", "0", "no", "n", "off"})


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 text or epoch seconds/milliseconds.

    Naive times are taken as UTC. None and empty text mean "no time" and return None.

    Raises:
        ValueError: the value is not a time in any accepted form.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _NUMBER.fullmatch(text):
            return _from_epoch(float(text) if "." in text else int(text))
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{TIMESTAMP_EXPECTED}, got {value!r}") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    raise ValueError(f"{TIMESTAMP_EXPECTED}, got {value!r}")


def _from_epoch(number: float) -> datetime:
    try:
        if abs(number) >= _MILLISECONDS_FROM:
            return _EPOCH + timedelta(milliseconds=number)
        return _EPOCH + timedelta(seconds=number)
    except OverflowError:
        raise ValueError(f"{TIMESTAMP_EXPECTED}, got {number!r} (out of range)") from None


def is_deleted(value: object) -> bool:
    """Whether a deleted-column cell marks its record deleted.

    Empty, false, 0, no and off (any case) mean "not deleted"; anything else, such as a
    ``deleted_at`` time, means deleted.
    """
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().casefold() not in _NOT_DELETED
    return bool(value)


def key_text(value: object) -> str | None:
    """A record id as text; None when the value is empty or cannot be an id."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
