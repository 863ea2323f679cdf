"""Mapped values as Rewardful's form fields, and whether a record already holds them.

Rewardful takes form-encoded bodies, so every value is sent as text: booleans as
``true``/``false``, numbers and decimals as written, times in ISO 8601, and None as an
empty field (which clears it). Nested values cannot be sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

# Form fields that the returned object holds under another name (a nested id).
_READ_BACK = {"campaign_id": ("campaign", "id")}


class FormError(ValueError):
    """A mapped value that cannot be sent as a form field."""


def form_text(name: str, value: Any) -> str:
    """``value`` as the text of form field ``name``.

    Raises:
        FormError: the value is nested (a dict or list) or of an unknown type.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso_time(value)
    if isinstance(value, date):
        return value.isoformat()
    raise FormError(f"{name}: a {type(value).__name__} value cannot be sent as a form field")


def iso_time(value: datetime) -> str:
    """``value`` as Rewardful writes times: UTC with milliseconds, ``...T09:30:12.000Z``.

    A naive time is taken to be UTC.
    """
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def form(fields: Mapping[str, Any]) -> dict[str, str]:
    """Every field as form text (see :func:`form_text`)."""
    return {name: form_text(name, value) for name, value in fields.items()}


def holds(record: Mapping[str, Any], fields: Mapping[str, str]) -> bool:
    """Whether ``record`` (as Rewardful returned it) already has every value in ``fields``.

    A field the record does not show (write-only fields such as ``token``) never counts
    as held, so it is always sent.
    """
    for name, text in fields.items():
        found, value = _read_back(record, name)
        if not found or _as_text(value) != text:
            return False
    return True


def _read_back(record: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name in _READ_BACK:
        outer, inner = _READ_BACK[name]
        nested = record.get(outer)
        if not isinstance(nested, Mapping) or inner not in nested:
            return False, None
        return True, nested[inner]
    return name in record, record.get(name)


def _as_text(value: Any) -> str | None:
    try:
        return form_text("", value)
    except FormError:
        return None
