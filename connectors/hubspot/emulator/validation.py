"""Request bodies checked against the request models that ship in hubspot-api-client.

The SDK's models are generated from HubSpot's OpenAPI specs: their ``openapi_types``
and ``attribute_map`` give each field's JSON name and type, and their setters, with
client-side validation on, refuse missing required fields and values outside an enum.
A body with an unknown field, a field of the wrong JSON type or a missing required
field is refused as HubSpot's JSON binding refuses it: a 400 ``VALIDATION_ERROR``.
Like that binding, text fields accept numbers and booleans as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import hubspot.crm.associations.v4 as associations_sdk  # type: ignore[import-untyped]
import hubspot.crm.objects as objects_sdk  # type: ignore[import-untyped]

_LIST = re.compile(r"list\[(.+)\]")
_DICT = re.compile(r"dict\[str, (.+)\]")
_SCALARS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "bool": (bool,),
    "float": (int, float),
    "datetime": (str,),
    "date": (str,),
}


class BodyError(ValueError):
    """The body does not fit the model; the text is HubSpot's kind of message."""


class Schema:
    """Checks bodies against the models of one generated SDK package."""

    def __init__(self, package: ModuleType) -> None:
        self._models = package.models
        self._strict = package.Configuration()
        self._strict.client_side_validation = True

    def check(self, model: str, data: Any, *, loose: frozenset[str] = frozenset()) -> None:
        """Raise BodyError unless ``data`` fits ``model``.

        Args:
            model: the model's class name, e.g. ``PublicObjectSearchRequest``.
            data: the decoded JSON body.
            loose: top-level fields whose values are taken as they are (HubSpot accepts
                more than the spec types, e.g. sort objects where the spec says text).
        """
        self._model(model, data, "", loose)

    def _model(self, name: str, data: Any, where: str, loose: frozenset[str] = frozenset()) -> Any:
        cls = getattr(self._models, name)
        if not isinstance(data, Mapping):
            raise BodyError(_message(where, f"expected an object for {name}"))
        fields = {json_name: attr for attr, json_name in cls.attribute_map.items()}
        unknown = sorted(set(data) - fields.keys())
        if unknown:
            raise BodyError(_message(where, f'Unrecognized field "{unknown[0]}" in {name}'))
        values: dict[str, Any] = {}
        for json_name, value in data.items():
            attr = fields[json_name]
            inner = f"{where}.{json_name}" if where else json_name
            if json_name in loose or value is None:
                values[attr] = value
            else:
                values[attr] = self._value(cls.openapi_types[attr], value, inner)
        try:
            return cls(**values, local_vars_configuration=self._strict)
        except ValueError as error:
            raise BodyError(_message(where, f"{name}: {error}")) from None

    def _value(self, kind: str, value: Any, where: str) -> Any:
        if (inner := _LIST.fullmatch(kind)) is not None:
            if not isinstance(value, list):
                raise BodyError(_message(where, "expected an array"))
            return [self._value(inner.group(1), v, f"{where}[{n}]") for n, v in enumerate(value)]
        if (inner := _DICT.fullmatch(kind)) is not None:
            if not isinstance(value, Mapping):
                raise BodyError(_message(where, "expected an object"))
            return {k: self._value(inner.group(1), v, f"{where}.{k}") for k, v in value.items()}
        if kind == "str":
            return _text(value, where)
        if kind == "object":
            return value
        if kind in _SCALARS:
            if not isinstance(value, _SCALARS[kind]) or (kind == "int" and isinstance(value, bool)):
                raise BodyError(_message(where, f"expected {kind}, got {value!r}"))
            return value
        return self._model(kind, value, where)


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise BodyError(_message(where, f"expected text, got {type(value).__name__}"))


def _message(where: str, problem: str) -> str:
    at = f" at {where}" if where else ""
    return f"Invalid input JSON{at}: {problem}"


OBJECTS = Schema(objects_sdk)
ASSOCIATIONS = Schema(associations_sdk)
