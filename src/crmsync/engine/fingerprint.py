"""Fingerprints of mapped records: how the engine knows what the target already has.

The state store keeps, per link, a digest of the whole record as last written and a
short digest per field. A record whose digest is unchanged costs no write; a changed
one sends only the fields whose digests differ, and the audit trail names them. Links
keep only digests, never values. (Customer data does reach the state store in one place:
the failures table keeps a failing record's source data until it succeeds, so that it
can be retried; `crmsync state reset` removes it.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from hashlib import blake2b
from typing import Any

_FIELD_SEPARATOR = "\x1f"
_NAME_SEPARATOR = "\x1e"


def encode(value: Any) -> str:
    """A canonical text for ``value`` that differs whenever the written value would."""
    if type(value) is str:  # the common case, tested first and exactly
        return "s" + value
    if value is None:
        return "n"
    if isinstance(value, bool):
        return "b1" if value else "b0"
    if isinstance(value, int | Decimal | float):
        return f"{type(value).__name__[0]}{value}"
    if isinstance(value, datetime | date):
        return f"{type(value).__name__[0]}{value.isoformat()}"
    return "j" + json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def _digest(text: str) -> str:
    return blake2b(text.encode(), digest_size=8).hexdigest()


class Digest:
    """The fingerprint of a mapped record, and (computed on demand) its per-field hashes.

    Each value is encoded once. Most records in a run are unchanged, and for them the
    fingerprint alone decides; per-field hashes are needed only for records written.
    """

    __slots__ = ("_encoded", "_hashes", "fingerprint")

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self._encoded = [(name, encode(fields[name])) for name in sorted(fields)]
        self.fingerprint = _digest(
            _FIELD_SEPARATOR.join(name + _NAME_SEPARATOR + text for name, text in self._encoded)
        )
        self._hashes: dict[str, str] | None = None

    @property
    def field_hashes(self) -> dict[str, str]:
        """A short digest per field, to tell later which fields changed."""
        if self._hashes is None:
            self._hashes = {name: _digest(text)[:10] for name, text in self._encoded}
        return self._hashes


def changed_fields(new: Mapping[str, str], old: Mapping[str, str]) -> tuple[str, ...]:
    """Names of fields in ``new`` whose digest differs from ``old`` (or that ``old`` lacks)."""
    return tuple(name for name, digest in new.items() if old.get(name) != digest)
