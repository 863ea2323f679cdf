"""The CRM object types the connector offers, and what differs between them."""

from __future__ import annotations

from dataclasses import dataclass

RECORD_ID = "hs_object_id"
"""Every object's id, as a property: searchable and sortable as a number."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One CRM object type.

    Attributes:
        name: the API's object type and crmsync's object name.
        singular: for messages.
        modified: the modified-date property that incremental reads search on (contacts
            also carry ``hs_lastmodifieddate``; one property per object, never mixed).
        unique: properties HubSpot treats as unique without saying so in the Properties
            API (a contact's email).
        associates: the object types a field map may associate records with.
    """

    name: str
    singular: str
    modified: str
    unique: frozenset[str] = frozenset()
    associates: tuple[str, ...] = ()


CONTACTS = Kind(
    "contacts", "contact", "lastmodifieddate", frozenset({"email"}), associates=("companies",)
)
COMPANIES = Kind("companies", "company", "hs_lastmodifieddate")
DEALS = Kind("deals", "deal", "hs_lastmodifieddate", associates=("contacts", "companies"))

KINDS: dict[str, Kind] = {kind.name: kind for kind in (CONTACTS, COMPANIES, DEALS)}
