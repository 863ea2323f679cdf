"""HubSpot's value formats: every property value is text, times are ISO 8601 or epoch ms.

v3 responses carry datetime properties as ISO 8601 UTC text, with a fraction
(``2026-03-01T12:00:00.123Z``) or without one when the milliseconds are zero; the
legacy v1 API used epoch milliseconds. Search filters take epoch milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def parse_time(text: str | None) -> datetime | None:
    """An aware UTC datetime from HubSpot's ISO 8601 text or epoch milliseconds.

    Raises:
        ValueError: the text is neither.
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    if value.isdigit():
        return _EPOCH + int(value) * _MILLISECOND
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def epoch_ms(moment: datetime) -> int:
    """``moment`` in whole epoch milliseconds, rounded down (exact: no float arithmetic)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MILLISECOND


def property_text(value: Any) -> str:
    """A mapped value as HubSpot property text.

    None clears the property; booleans are ``true``/``false``; datetimes are ISO 8601 UTC
    with milliseconds; dates are ``YYYY-MM-DD``; lists are ``;``-separated (multi-select
    enumerations); objects become JSON.
    """
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(property_text(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, default=str, sort_keys=True)
    return _scalar_text(value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        text = iso_ms(value)
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    return text


def iso_ms(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z``, as HubSpot writes ``updatedAt``."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
