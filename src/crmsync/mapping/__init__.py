"""Field maps: how a source record becomes a target record.

Load a map with :func:`load_field_map`, check it against the schemas with
:func:`check_map`, then :func:`compile_map` it once and call ``Mapper.accepts`` and
``Mapper.map`` per record. The file format is documented in docs/mappings.md.
"""

from crmsync.mapping.check import Finding, Severity, check_map
from crmsync.mapping.mapper import MappedRecord, Mapper, compile_map
from crmsync.mapping.model import (
    Condition,
    FieldMap,
    FieldRule,
    MatchRule,
    ValueType,
    load_field_map,
    parse_field_map,
)
from crmsync.mapping.transforms import TRANSFORMS

__all__ = [
    "TRANSFORMS",
    "Condition",
    "FieldMap",
    "FieldRule",
    "Finding",
    "MappedRecord",
    "Mapper",
    "MatchRule",
    "Severity",
    "ValueType",
    "check_map",
    "compile_map",
    "load_field_map",
    "parse_field_map",
]
