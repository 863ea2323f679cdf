"""The emulator against HubSpot's contract, with plain HTTP requests (no connector)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from hubspot.crm.objects import ApiClient, Configuration  # type: ignore[import-untyped]

from crmsync.testing import FakeClock, serve_wsgi, wsgi_session
from crmsync_connectors.hubspot.emulator import (
    ACCESS_TOKEN_LIFETIME,
    DEMO_TOKEN,
    HubSpotEmulator,
    Limits,
    demo_emulator,
)

from .helpers import OAUTH, T0, TOKEN, contacts, minutes

BASE = "https://api.hubapi.com"
CONTACTS = f"{BASE}/crm/v3/objects/contacts"


class Api:
    """Plain requests to an emulator, with the private-app token."""

    def __init__(self, emulator: HubSpotEmulator, token: str = TOKEN) -> None:
        self.session = wsgi_session(emulator)
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{BASE}{path}", params=params)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(f"{BASE}{path}", json=body)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> HubSpotEmulator:
    return HubSpotEmulator(clock, token=TOKEN)


@pytest.fixture
def api(emulator: HubSpotEmulator) -> Api:
    return Api(emulator)


def upserts(*emails: str) -> dict[str, Any]:
    return {
        "inputs": [{"idProperty": "email", "id": e, "properties": {"email": e}} for e in emails]
    }


# -- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_requests_without_a_valid_bearer_token_get_hubspots_401(
    emulator: HubSpotEmulator, header: str | None
) -> None:
    session = wsgi_session(emulator)
    headers = {} if header is None else {"Authorization": header}

    response = session.get(CONTACTS, headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found")
    assert body["correlationId"]


def test_the_token_endpoint_issues_30_minute_tokens_from_a_refresh_token(clock: FakeClock) -> None:
    emulator = HubSpotEmulator(clock, oauth=OAUTH)
    form = {
        "grant_type": "refresh_token",
        "client_id": OAUTH.client_id,
        "client_secret": OAUTH.client_secret,
        "refresh_token": OAUTH.refresh_token,
    }
    session = wsgi_session(emulator)

    granted = session.post(f"{BASE}/oauth/v1/token", data=form).json()
    refused = session.post(f"{BASE}/oauth/v1/token", data={**form, "refresh_token": "nope"})

    assert granted["expires_in"] == ACCESS_TOKEN_LIFETIME == 1800
    assert granted["token_type"] == "bearer"
    assert refused.status_code == 400
    assert refused.json()["status"] == "BAD_REFRESH_TOKEN"
    api = Api(emulator, granted["access_token"])
    assert api.get("/crm/v3/objects/contacts").status_code == 200
    clock.advance(ACCESS_TOKEN_LIFETIME)
    expired = api.get("/crm/v3/objects/contacts")
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"


def test_a_token_without_a_scope_gets_a_403_naming_it(clock: FakeClock) -> None:
    emulator = HubSpotEmulator(clock, token=TOKEN, scopes=["crm.objects.contacts.read"])
    api = Api(emulator)

    assert api.get("/crm/v3/objects/contacts").status_code == 200
    refused = api.post("/crm/v3/objects/contacts/batch/upsert", upserts("a@example.com"))

    assert refused.status_code == 403
    assert refused.json()["category"] == "MISSING_SCOPES"
    assert "crm.objects.contacts.write" in json.dumps(refused.json()["errors"])


# -- listing and reading ---------------------------------------------------------------------


def test_listing_pages_with_after_and_the_last_page_has_no_paging(
    emulator: HubSpotEmulator, api: Api
) -> None:
    emulator.seed("contacts", contacts(5))

    first = api.get("/crm/v3/objects/contacts", limit=2).json()
    rest = api.get("/crm/v3/objects/contacts", limit=10, after=first["paging"]["next"]["after"])

    assert [r["id"] for r in first["results"]] == ["1", "2"]
    assert first["paging"]["next"]["link"].endswith("after=3")
    assert [r["id"] for r in rest.json()["results"]] == ["3", "4", "5"]
    assert "paging" not in rest.json()
    assert len(api.get("/crm/v3/objects/contacts", limit=500).json()["results"]) == 5  # at most 100


def test_both_path_styles_serve_the_same_objects(emulator: HubSpotEmulator, api: Api) -> None:
    emulator.seed("contacts", contacts(2))

    classic = api.get("/crm/v3/objects/contacts").json()
    dated = api.get("/crm/objects/2026-03/contacts").json()

    assert classic == dated


def test_objects_carry_text_properties_and_iso_times_with_and_without_a_fraction(
    emulator: HubSpotEmulator, api: Api
) -> None:
    emulator.seed("contacts", contacts(1), modified=T0)
    emulator.seed("contacts", contacts(1, prefix="b"), modified=T0 + timedelta(milliseconds=120))

    whole, fraction = api.get("/crm/v3/objects/contacts").json()["results"]

    assert whole["properties"]["lastmodifieddate"] == "2025-03-01T09:00:00Z"
    assert fraction["properties"]["lastmodifieddate"] == "2025-03-01T09:00:00.120Z"
    assert whole["updatedAt"] == "2025-03-01T09:00:00.000Z"
    assert whole["properties"]["hs_object_id"] == "1"
    assert set(whole["properties"]) == {
        "firstname",
        "lastname",
        "email",
        "lastmodifieddate",
        "hs_object_id",
        "createdate",
    }


def test_a_record_is_found_by_a_unique_property(emulator: HubSpotEmulator, api: Api) -> None:
    emulator.seed("contacts", contacts(1))

    found = api.get("/crm/v3/objects/contacts/person0@example.com", idProperty="email")
    missing = api.get("/crm/v3/objects/contacts/999")

    assert found.json()["id"] == "1"
    assert missing.status_code == 404
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_an_unknown_object_type_is_refused(api: Api) -> None:
    response = api.get("/crm/v3/objects/widgets")

    assert response.status_code == 400
    assert response.json()["message"] == "Unable to infer object type from: widgets"


# -- search ----------------------------------------------------------------------------------


def search(api: Api, *filters: dict[str, Any], **body: Any) -> requests.Response:
    groups = [{"filters": list(filters)}] if filters else []
    return api.post("/crm/v3/objects/contacts/search", {"filterGroups": groups, **body})


def test_search_filters_on_epoch_milliseconds_and_sorts(
    emulator: HubSpotEmulator, api: Api
) -> None:
    seeded = emulator.seed("contacts", contacts(6), modified=minutes(T0, 6))
    since = str(int((T0.timestamp() + 180) * 1000))

    answer = search(
        api,
        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": since},
        sorts=[{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
        limit=2,
    ).json()

    assert answer["total"] == 3
    assert [r["id"] for r in answer["results"]] == [seeded[5], seeded[4]]
    assert answer["paging"]["next"]["after"] == "2"


def test_search_never_finds_archived_records_and_sends_no_rate_limit_headers(
    emulator: HubSpotEmulator, api: Api
) -> None:
    seeded = emulator.seed("contacts", contacts(3))
    emulator.archive("contacts", seeded[:1])

    response = search(api, {"propertyName": "email", "operator": "HAS_PROPERTY"})

    assert response.json()["total"] == 2
    assert not [h for h in response.headers if h.lower().startswith("x-hubspot-ratelimit")]
    listed = api.get("/crm/v3/objects/contacts")
    assert listed.headers["X-HubSpot-RateLimit-Max"] == "100"
    assert listed.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert "X-HubSpot-RateLimit-Daily-Remaining" in listed.headers


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"after": "10000", "limit": 100}, "limited to 10000"),
        ({"limit": 201}, "limit must be between 1 and 200"),
        ({"filterGroups": [{"filters": []}] * 6}, "Too many filter groups"),
        (
            {
                "filterGroups": [
                    {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 11}
                ]
            },
            "Too many filters in a group",
        ),
        (
            {
                "filterGroups": [
                    {"filters": [{"propertyName": "nope", "operator": "EQ", "value": "1"}]}
                ]
            },
            "property nope does not exist",
        ),
    ],
)
def test_search_refuses_what_hubspot_refuses(api: Api, body: dict[str, Any], problem: str) -> None:
    response = api.post("/crm/v3/objects/contacts/search", body)

    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"
    assert problem in response.json()["message"]


# -- batch endpoints ---------------------------------------------------------------------------


def test_upsert_reports_new_records_and_207s_for_invalid_inputs(api: Api) -> None:
    first = api.post("/crm/v3/objects/contacts/batch/upsert", upserts("a@example.com"))
    mixed = api.post(
        "/crm/v3/objects/contacts/batch/upsert", upserts("a@example.com", "not-an-email")
    )

    assert first.status_code == 200
    assert first.json()["results"][0]["new"] is True
    assert mixed.status_code == 207
    body = mixed.json()
    assert [r["new"] for r in body["results"]] == [False]
    (error,) = body["errors"]
    assert error["category"] == "VALIDATION_ERROR"
    assert error["context"]["ids"] == ["not-an-email"]
    assert "INVALID_EMAIL" in error["message"]
    assert body["numErrors"] == 1


def test_batch_answers_fit_the_sdks_response_models(api: Api) -> None:
    """Deserialised with the SDK's client-side validation on, as a strict client would."""
    configuration = Configuration()
    configuration.client_side_validation = True
    client = ApiClient(configuration)
    answer = api.post("/crm/v3/objects/contacts/batch/upsert", upserts("a@example.com", "bad"))

    class Raw:
        data = answer.text

    parsed = client.deserialize(Raw(), "BatchResponseSimplePublicUpsertObjectWithErrors")

    assert parsed.num_errors == 1
    assert parsed.errors[0].context == {"ids": ["bad"]}


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        ("upsert", {"inputs": [{"id": "x@example.com", "idProperty": "email"}]}, "properties"),
        ("upsert", {"inputs": [], "extra": 1}, 'Unrecognized field "extra"'),
        ("update", {"inputs": [{"id": 1, "properties": {"email": ["a"]}}]}, "expected text"),
        ("create", {"inputs": [{"properties": {}}] * 101}, "at most 100"),
        ("upsert", upserts("a@example.com", "A@example.com"), "Duplicate IDs"),
        (
            "upsert",
            {"inputs": [{"idProperty": "firstname", "id": "Ada", "properties": {}}]},
            "non-unique property firstname",
        ),
    ],
)
def test_malformed_batches_are_refused_whole(api: Api, path: str, body: Any, problem: str) -> None:
    response = api.post(f"/crm/v3/objects/contacts/batch/{path}", body)

    assert response.status_code == 400
    assert problem in response.json()["message"]


def test_creating_an_existing_email_is_a_409_naming_the_first(
    emulator: HubSpotEmulator, api: Api
) -> None:
    emulator.seed("contacts", contacts(2))
    inputs = [
        {"properties": {"email": e}}
        for e in ("new@example.com", "person1@example.com", "person0@example.com")
    ]

    response = api.post("/crm/v3/objects/contacts/batch/create", {"inputs": inputs})

    assert response.status_code == 409
    assert response.json()["message"] == "Contact already exists. Existing ID: 2"
    assert len(emulator.records("contacts")) == 2  # nothing was created


def test_archive_answers_204_and_the_archived_listing_shows_the_records(
    emulator: HubSpotEmulator, api: Api
) -> None:
    seeded = emulator.seed("contacts", contacts(2))

    response = api.post("/crm/v3/objects/contacts/batch/archive", {"inputs": [{"id": seeded[0]}]})
    archived = api.get("/crm/v3/objects/contacts", archived="true").json()["results"]

    assert response.status_code == 204
    assert [r["id"] for r in archived] == [seeded[0]]
    assert archived[0]["archived"] is True
    assert archived[0]["archivedAt"]


def test_default_associations_are_created_both_ways(emulator: HubSpotEmulator, api: Api) -> None:
    (contact,) = emulator.seed("contacts", contacts(1))
    (deal,) = emulator.seed("deals", [{"dealname": "D"}])
    body = {
        "inputs": [
            {"from": {"id": deal}, "to": {"id": contact}},
            {"from": {"id": deal}, "to": {"id": "404"}},
        ]
    }

    answer = api.post("/crm/v4/associations/deals/contacts/batch/associate/default", body)

    assert answer.status_code == 200
    assert answer.json()["numErrors"] == 1
    assert answer.json()["results"][0]["associationSpec"]["associationTypeId"] == 3
    assert emulator.associations("contacts", contact, "deals") == [deal]
    listed = api.get(f"/crm/v4/objects/deals/{deal}/associations/contacts").json()
    assert listed["results"][0]["toObjectId"] == int(contact)


def test_the_properties_api_lists_custom_and_unique_properties(
    emulator: HubSpotEmulator, api: Api
) -> None:
    emulator.add_property("deals", "crmsync_external_id", unique=True)

    properties = {p["name"]: p for p in api.get("/crm/v3/properties/deals").json()["results"]}

    assert properties["crmsync_external_id"]["hasUniqueValue"] is True
    assert properties["hs_lastmodifieddate"]["modificationMetadata"]["readOnlyValue"] is True
    assert [o["value"] for o in properties["dealstage"]["options"]][-1] == "closedlost"


# -- limits, failures, counting --------------------------------------------------------------


def test_the_rolling_ten_second_window_answers_hubspots_429(clock: FakeClock) -> None:
    emulator = HubSpotEmulator(clock, token=TOKEN, limits=Limits(ten_secondly=3))
    api = Api(emulator)

    statuses = [api.get("/crm/v3/objects/contacts").status_code for _ in range(4)]
    refused = api.get("/crm/v3/objects/contacts")
    clock.advance(10)
    again = api.get("/crm/v3/objects/contacts")

    assert statuses == [200, 200, 200, 429]
    body = refused.json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert again.status_code == 200


def test_search_has_its_own_per_second_window(clock: FakeClock) -> None:
    emulator = HubSpotEmulator(clock, token=TOKEN)
    api = Api(emulator)

    statuses = [search(api).status_code for _ in range(5)]
    listed = api.get("/crm/v3/objects/contacts")

    assert statuses == [200] * 4 + [429]
    assert search(api).json().get("policyName") == "SECONDLY"
    assert listed.status_code == 200


def test_requests_are_counted_by_endpoint(emulator: HubSpotEmulator, api: Api) -> None:
    (record_id,) = emulator.seed("contacts", contacts(1))

    api.get(f"/crm/v3/objects/contacts/{record_id}")
    search(api)
    search(api)

    assert emulator.calls == {
        "GET /crm/v3/objects/contacts/{id}": 1,
        "POST /crm/v3/objects/contacts/search": 2,
    }
    assert emulator.count("POST ") == 2


def test_injected_failures_carry_hubspots_bodies(emulator: HubSpotEmulator, api: Api) -> None:
    emulator.inject(429, {"Retry-After": "7"})
    emulator.inject(503)

    limited, unavailable, fine = (api.get("/crm/v3/objects/contacts") for _ in range(3))

    assert (limited.status_code, unavailable.status_code, fine.status_code) == (429, 503, 200)
    assert limited.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert limited.headers["Retry-After"] == "7"


def test_concurrent_upserts_over_sockets_are_all_applied_once(clock: FakeClock) -> None:
    emulator = HubSpotEmulator(clock, token=TOKEN, limits=Limits(ten_secondly=10_000))

    def work(url: str, worker: int) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            for n in range(10):
                body = upserts(f"w{worker}-{n}@example.com", "shared@example.com")
                response = session.post(f"{url}/crm/v3/objects/contacts/batch/upsert", json=body)
                assert response.status_code == 200

    with serve_wsgi(emulator) as server:
        threads = [threading.Thread(target=work, args=(server.url, w)) for w in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    held = emulator.records("contacts")
    assert len(held) == 61
    assert len({r["hs_object_id"] for r in held}) == 61
    assert emulator.statuses == {200: 60}


def test_the_demo_portal_has_example_data_and_accepts_the_demo_token() -> None:
    emulator = demo_emulator(FakeClock())
    api = Api(emulator, DEMO_TOKEN)

    listed = api.get("/crm/v3/objects/contacts", limit=100, properties="referral_status").json()

    assert len(listed["results"]) == 30
    assert len(emulator.records("deals")) == 10
    deal = emulator.records("deals")[0]["hs_object_id"]
    assert emulator.associations("deals", deal, "contacts")
    names = {p["name"] for p in api.get("/crm/v3/properties/contacts").json()["results"]}
    assert {"affiliate_id", "referral_status", "commission_rate"} <= names


def test_writing_the_values_a_record_holds_is_no_change(
    emulator: HubSpotEmulator, api: Api, clock: FakeClock
) -> None:
    (record_id,) = emulator.seed("contacts", contacts(1), modified=T0)
    body = {"inputs": [{"id": record_id, "properties": {"firstname": "First0"}}]}

    api.post("/crm/v3/objects/contacts/batch/update", body)
    same = emulator.record("contacts", record_id) or {}
    clock.advance(5)
    api.post(
        "/crm/v3/objects/contacts/batch/update",
        {"inputs": [{"id": record_id, "properties": {"firstname": "Ada"}}]},
    )
    changed = emulator.record("contacts", record_id) or {}

    assert same["lastmodifieddate"] == "2025-03-01T09:00:00Z"
    assert changed["lastmodifieddate"] == "2026-01-01T00:00:05Z"
