"""The properties of the emulated object types, and how HubSpot checks values for them.

Every value is text. HubSpot refuses a value that does not fit its property's type
(``number``, ``bool``, ``date``, ``datetime``, an ``enumeration``'s options), a read-only
property, a property that does not exist, and a contact email that is not an address;
it normalises emails to lower case and times to ISO 8601.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crmsync_connectors.hubspot.emulator.bodies import from_ms, property_time, to_ms

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LIFECYCLE = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)


@dataclass(frozen=True, slots=True)
class PropertyDef:
    """One property, as the Properties API describes it."""

    name: str
    type: str = "string"
    field_type: str = "text"
    label: str = ""
    options: tuple[str, ...] = ()
    read_only: bool = False
    calculated: bool = False
    unique: bool = False
    hubspot_defined: bool = True
    group: str = "contactinformation"
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``Property`` of ``GET /crm/v3/properties/{type}``."""
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group,
            "options": [
                {"label": o, "value": o, "displayOrder": n, "hidden": False}
                for n, o in enumerate(self.options)
            ],
            "displayOrder": -1,
            "calculated": self.calculated,
            "externalOptions": False,
            "hasUniqueValue": self.unique,
            "hidden": False,
            "hubspotDefined": self.hubspot_defined,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
            "formField": not self.read_only,
            "createdAt": "2020-01-01T00:00:00.000Z",
            "updatedAt": "2020-01-01T00:00:00.000Z",
            "archived": False,
        }


@dataclass(frozen=True, slots=True)
class ObjectDef:
    """What differs between contacts, companies and deals."""

    name: str
    singular: str  # for messages: "Contact already exists"
    modified: tuple[str, ...]  # the modified-date properties (contacts carry two)
    defaults: tuple[str, ...]  # returned when a request names no properties
    searchable: tuple[str, ...]  # what a search ``query`` looks in
    properties: dict[str, PropertyDef] = field(default_factory=dict)


def _system(*modified: str) -> list[PropertyDef]:
    stamps = [PropertyDef(n, "datetime", "date", read_only=True) for n in ("createdate", *modified)]
    return [*stamps, PropertyDef("hs_object_id", "number", "number", read_only=True)]


def _text(*names: str) -> list[PropertyDef]:
    return [PropertyDef(n) for n in names]


def default_objects() -> dict[str, ObjectDef]:
    """Fresh definitions of the three object types with HubSpot's usual properties."""
    contacts = [
        PropertyDef("email", label="Email"),
        *_text("firstname", "lastname", "company", "website", "jobtitle", "city", "country"),
        PropertyDef("phone", field_type="phonenumber"),
        PropertyDef("lifecyclestage", "enumeration", "radio", options=_LIFECYCLE),
        *_system("lastmodifieddate", "hs_lastmodifieddate"),
    ]
    companies = [
        *_text("name", "domain", "phone", "city", "country", "industry"),
        PropertyDef("numberofemployees", "number", "number"),
        PropertyDef("annualrevenue", "number", "number"),
        PropertyDef("lifecyclestage", "enumeration", "radio", options=_LIFECYCLE),
        *_system("hs_lastmodifieddate"),
    ]
    deals = [
        PropertyDef("dealname"),
        PropertyDef("amount", "number", "number"),
        PropertyDef("closedate", "datetime", "date"),
        PropertyDef("pipeline", "enumeration", "select", options=("default",)),
        PropertyDef("dealstage", "enumeration", "select", options=_STAGES),
        PropertyDef(
            "dealtype", "enumeration", "radio", options=("newbusiness", "existingbusiness")
        ),
        *_system("hs_lastmodifieddate"),
    ]
    return {
        "contacts": ObjectDef(
            "contacts",
            "Contact",
            ("lastmodifieddate", "hs_lastmodifieddate"),
            ("firstname", "lastname", "email", "lastmodifieddate", "hs_object_id", "createdate"),
            ("email", "firstname", "lastname", "phone", "company"),
            {p.name: p for p in contacts},
        ),
        "companies": ObjectDef(
            "companies",
            "Company",
            ("hs_lastmodifieddate",),
            ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
            ("name", "domain", "phone"),
            {p.name: p for p in companies},
        ),
        "deals": ObjectDef(
            "deals",
            "Deal",
            ("hs_lastmodifieddate",),
            (
                "dealname",
                "amount",
                "closedate",
                "pipeline",
                "dealstage",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ),
            ("dealname",),
            {p.name: p for p in deals},
        ),
    }


class ValueProblem(ValueError):
    """A property value HubSpot would refuse; ``problem`` is its entry in the message."""

    def __init__(self, name: str, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = {
            "isValid": False,
            "message": message,
            "error": code,
            "name": name,
            "localizedErrorMessage": message,
        }


def normalise(obj: ObjectDef, name: str, value: Any) -> str:
    """``value`` as HubSpot stores it for property ``name`` of ``obj``.

    Raises:
        ValueProblem: HubSpot would refuse it.
    """
    prop = obj.properties.get(name)
    if prop is None:
        raise ValueProblem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
    if prop.read_only:
        raise ValueProblem(name, "READ_ONLY_VALUE", f'"{name}" is a read only property')
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    if text == "":
        return ""
    if obj.name == "contacts" and name == "email":
        return _email(text)
    checks: dict[str, Callable[[str, str], str]] = {
        "number": _number,
        "bool": _bool,
        "date": _date,
        "datetime": _datetime,
        "enumeration": lambda t, n: _options(t, n, prop.options),
    }
    check = checks.get(prop.type)
    return text if check is None else check(text, name)


def _email(text: str) -> str:
    folded = text.strip().lower()
    if not _EMAIL.fullmatch(folded):
        raise ValueProblem("email", "INVALID_EMAIL", f"Email address {text} is invalid")
    return folded


def _number(text: str, name: str) -> str:
    try:
        Decimal(text)
    except InvalidOperation:
        raise ValueProblem(name, "INVALID_DECIMAL", f"{text} was not a valid number.") from None
    return text


def _bool(text: str, name: str) -> str:
    if text.lower() not in ("true", "false"):
        raise ValueProblem(name, "INVALID_BOOLEAN", f"{text} was not a valid boolean.")
    return text.lower()


def _date(text: str, name: str) -> str:
    try:
        day = from_ms(int(text)).date() if text.isdigit() else date.fromisoformat(text[:10])
    except (ValueError, OverflowError):
        raise ValueProblem(name, "INVALID_DATE", f"{text} is not a valid date.") from None
    return day.isoformat()


def _datetime(text: str, name: str) -> str:
    return property_time(time_ms(text, name))


def time_ms(text: str, name: str) -> int:
    """Epoch milliseconds of a datetime written as epoch ms or ISO 8601 (naive is UTC)."""
    try:
        if text.lstrip("-").isdigit():
            return int(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueProblem(name, "INVALID_DATETIME", f"{text} is not a valid datetime.") from None
    return to_ms(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _options(text: str, name: str, options: tuple[str, ...]) -> str:
    chosen = text.split(";")
    wrong = [c for c in chosen if c not in options]
    if wrong:
        allowed = ", ".join(options)
        message = f"{wrong[0]} was not one of the allowed options: [{allowed}]"
        raise ValueProblem(name, "INVALID_OPTION", message)
    return text
