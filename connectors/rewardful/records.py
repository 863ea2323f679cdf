"""Rewardful's JSON objects as crmsync records; what cannot be read becomes a Rejected."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from crmsync.sdk import Page, Record, Rejected


def page_of(items: Iterable[Any], object_name: str) -> Page:
    """A page of records, with every item that cannot be read in ``rejected``."""
    records: list[Record] = []
    rejected: list[Rejected] = []
    for position, item in enumerate(items, start=1):
        try:
            records.append(to_record(item, object_name))
        except ValueError as exc:
            raw = item if isinstance(item, dict) else {"value": item}
            record_id = raw.get("id")
            where = record_id if isinstance(record_id, str) and record_id else f"item {position}"
            rejected.append(Rejected(where, str(exc), raw))
    return Page(records, rejected=rejected)


def to_record(item: Any, object_name: str) -> Record:
    """One object as a Record: its ``id``, and its ``updated_at`` when it has one.

    Raises:
        ValueError: the object has no id, or an ``updated_at`` that is not a time.
    """
    if not isinstance(item, dict):
        raise ValueError(f"a {object_name} record must be a JSON object, not {item!r:.60}")
    record_id = item.get("id")
    if not isinstance(record_id, str) or not record_id:
        raise ValueError(f"a {object_name} record has no id")
    stamp = item.get("updated_at")
    return Record(record_id, item, None if stamp is None else parse_time(stamp, "updated_at"))


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 time as Rewardful writes it (``2026-01-02T03:04:05.678Z``), aware.

    Raises:
        ValueError: ``value`` is not such a time; the message names ``field``.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field} {value!r} is not an ISO 8601 time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
