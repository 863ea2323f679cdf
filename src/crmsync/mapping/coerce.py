"""Value conversions shared by types, transforms and filters.

Every converter takes what a vendor API or a file may hand over (text, numbers, dates,
epoch timestamps) and either returns the converted value or raises
:class:`ValueRejected`, which the mapper turns into a per-record rejection. Blank text
converts to None: a CSV cell or form field left empty means "no value", not "bad value".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import partial
from typing import Any

from crmsync.sdk.schema import FieldType
from crmsync.yamlfile import brief

__all__ = [
    "COERCIONS",
    "ValueRejected",
    "as_text",
    "canonical",
    "is_empty",
    "parse_temporal",
    "to_boolean",
    "to_date",
    "to_datetime",
    "to_decimal",
    "to_integer",
    "to_ordered",
]

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_MS_FROM = Decimal(10**11)  # as seconds that is the year 5138; as milliseconds, 1973
_INT64 = range(-(2**63), 2**63)


class ValueRejected(Exception):
    """A value that a type or transform cannot handle; the message says why."""


def is_empty(value: Any) -> bool:
    """None, blank text, or an empty list or mapping."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, tuple, dict)) and not value


def as_text(value: Any) -> str:
    """Text for a scalar: numbers as written, booleans as true/false, dates in ISO 8601."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise ValueRejected(f"expected text, found {brief(value)}")


def canonical(value: Any) -> str | None:
    """The form used to compare values loosely: ``8``, ``8.0`` and ``Decimal('8.00')`` agree.

    Text is compared as written (``'08'`` is not ``8``: postcodes and ids keep their zeros).
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (float, Decimal)):
        number = _finite(Decimal(repr(value)) if isinstance(value, float) else value, value)
        return format(number.normalize(), "f")
    return as_text(value)


def to_decimal(value: Any) -> Decimal | None:
    """An exact Decimal; floats go through their shortest repr, so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return _finite(value, value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return _finite(Decimal(repr(value)), value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _NUMBER.fullmatch(text):
            return Decimal(text)
    raise ValueRejected(f"expected a decimal number, found {brief(value)}")


def to_integer(value: Any) -> int | None:
    """An int; whole numbers in any notation count (``'12.0'``, ``'1e3'``), fractions do not."""
    if isinstance(value, int) and not isinstance(value, bool):
        whole = value
    else:
        try:
            number = to_decimal(value)
        except ValueRejected:
            raise ValueRejected(f"expected an integer, found {brief(value)}") from None
        if number is None:
            return None
        if number != number.to_integral_value():
            raise ValueRejected(f"expected an integer, found {brief(value)}")
        whole = int(number) if number.adjusted() < 20 else _INT64.stop
    if whole not in _INT64:
        raise ValueRejected(f"expected an integer within 64 bits, found {brief(value)}")
    return whole


def to_boolean(value: Any) -> bool | None:
    """true/false, yes/no, 1/0 in any case; the numbers 1 and 0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        if text in _BOOLEANS:
            return _BOOLEANS[text]
    raise ValueRejected(f"expected true or false, found {brief(value)}")


def parse_temporal(value: Any) -> date | datetime | None:
    """A date, or a datetime (naive or aware, as given), from ISO 8601 text or epoch numbers.

    Numbers are epoch seconds, or milliseconds when they are too large for seconds.
    """
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            if not _NUMBER.fullmatch(text):
                raise ValueRejected(
                    f"expected an ISO 8601 date or time, found {brief(value)}"
                ) from None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueRejected(f"expected a date or time, found {brief(value)}")
    return _from_epoch(value)


def _from_epoch(value: str | int | float | Decimal) -> datetime:
    seconds = to_decimal(value)
    assert seconds is not None  # blank text was handled by the caller
    if abs(seconds) >= _EPOCH_MS_FROM:
        seconds = seconds.scaleb(-3)
    try:
        return _EPOCH + timedelta(microseconds=int(seconds.scaleb(6)))
    except OverflowError:
        raise ValueRejected(f"epoch timestamp out of range: {brief(value)}") from None


def to_datetime(value: Any, zone: tzinfo = UTC) -> datetime | None:
    """An aware UTC datetime; naive values (and dates, at midnight) are read in ``zone``."""
    moment = parse_temporal(value)
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def to_date(value: Any, zone: tzinfo = UTC) -> date | None:
    """A date; an aware datetime counts as the date it is in ``zone`` at that moment."""
    moment = parse_temporal(value)
    if isinstance(moment, datetime):
        return moment.astimezone(zone).date() if moment.tzinfo else moment.date()
    return moment


def to_ordered(value: Any) -> Decimal | datetime | None:
    """A number if ``value`` reads as one, else a UTC datetime: what filters compare."""
    if isinstance(value, date):
        return to_datetime(value)
    try:
        return to_decimal(value)
    except ValueRejected:
        return to_datetime(value)


def _finite(number: Decimal, value: Any) -> Decimal:
    if not number.is_finite():
        raise ValueRejected(f"expected a finite number, found {brief(value)}")
    return number


COERCIONS: dict[FieldType, Callable[[tzinfo], Callable[[Any], Any]]] = {
    FieldType.STRING: lambda _zone: as_text,
    FieldType.INTEGER: lambda _zone: to_integer,
    FieldType.DECIMAL: lambda _zone: to_decimal,
    FieldType.BOOLEAN: lambda _zone: to_boolean,
    FieldType.DATE: lambda zone: partial(to_date, zone=zone),
    FieldType.DATETIME: lambda zone: partial(to_datetime, zone=zone),
}
"""The ``type:`` a field may declare -> a converter for the field's time zone."""
