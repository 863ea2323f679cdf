"""Object schemas from HubSpot's Properties API, custom properties included.

A field map is checked against these before a sync runs: an unknown property, a
read-only one (HubSpot computes it) or an option an enumeration does not have is
reported by name. Each schema also lists the association pseudo-fields
(:mod:`~crmsync_connectors.hubspot.associations`) its object type accepts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from crmsync.sdk import FieldSchema, FieldType, ObjectSchema
from crmsync_connectors.hubspot.api import HubSpotApi, PropertyInfo
from crmsync_connectors.hubspot.associations import AssociationField
from crmsync_connectors.hubspot.kinds import KINDS, RECORD_ID, Kind

_TYPES = {
    "string": FieldType.STRING,
    "number": FieldType.DECIMAL,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "enumeration": FieldType.ENUM,
    "bool": FieldType.BOOLEAN,
}


class Catalog:
    """The properties of each object type, fetched once per connection (thread-safe)."""

    def __init__(self, api: HubSpotApi) -> None:
        self._api = api
        self._properties: dict[str, list[PropertyInfo]] = {}
        self._lock = threading.Lock()

    def properties(self, object_type: str) -> list[PropertyInfo]:
        """``object_type``'s properties; one Properties API call the first time."""
        with self._lock:
            if object_type not in self._properties:
                self._properties[object_type] = self._api.properties(object_type)
            return self._properties[object_type]

    def names(self, object_type: str) -> list[str]:
        return [p.name for p in self.properties(object_type)]

    def schema(self, kind: Kind) -> ObjectSchema:
        """The fields of ``kind``: its properties, then its association pseudo-fields."""
        fields = [field_schema(p, kind) for p in self.properties(kind.name)]
        return ObjectSchema.of([*fields, *self._association_fields(kind)])

    def _association_fields(self, kind: Kind) -> Iterator[FieldSchema]:
        for to_type in kind.associates:
            other = KINDS[to_type]
            unique = [
                p.name
                for p in self.properties(to_type)
                if _unique(p, other) and p.name != RECORD_ID
            ]
            for by in ("id", *unique):
                field = AssociationField(to_type, by)
                yield FieldSchema(
                    field.name,
                    label=f"Associated {other.singular} ({by})",
                    description=f"associates the {kind.singular} with the {other.singular} "
                    + ("with this record id" if by == "id" else f"whose {by} is this value"),
                )


def field_schema(info: PropertyInfo, kind: Kind) -> FieldSchema:
    """One property as crmsync describes fields."""
    kind_of = _TYPES.get(info.type, FieldType.STRING)
    if info.field_type == "booleancheckbox":
        kind_of = FieldType.BOOLEAN
    return FieldSchema(
        info.name,
        kind_of,
        label=info.label,
        read_only=info.read_only or info.name == RECORD_ID,
        unique=_unique(info, kind),
        options=info.options if kind_of is FieldType.ENUM else (),
        description=info.description or None,
    )


def _unique(info: PropertyInfo, kind: Kind) -> bool:
    return info.unique or info.name in kind.unique
