"""The emulator behaves as the contract describes Rewardful, whatever the connector does."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from crmsync.testing import FakeClock, serve_wsgi, wsgi_session
from crmsync_connectors.rewardful.emulator import RewardfulEmulator, add_examples

from .helpers import BASE_URL, SECRET, T0, minutes


def call(
    emulator: RewardfulEmulator,
    method: str,
    path: str,
    *,
    auth: tuple[str, str] | None = (SECRET, ""),
    **options: Any,
) -> requests.Response:
    return wsgi_session(emulator).request(method, f"{BASE_URL}{path}", auth=auth, **options)


def seed_affiliates(emulator: RewardfulEmulator, count: int) -> list[str]:
    with emulator.data() as account:
        return [
            account.add_affiliate(
                f"a{n}@example.com", f"A{n}", "Doe", created_at=T0 + minutes(n)
            ).id
            for n in range(count)
        ]


@pytest.mark.parametrize(
    "auth",
    [None, ("sk_wrong_secret", ""), (SECRET, "a-password")],
    ids=["none", "wrong", "password"],
)
def test_only_the_secret_with_an_empty_password_is_let_in(
    emulator: RewardfulEmulator, auth: tuple[str, str] | None
) -> None:
    refused = call(emulator, "GET", "/campaigns", auth=auth)

    assert refused.status_code == 401
    assert refused.json() == {"error": "Invalid API secret"}
    assert "RateLimit-Remaining" not in refused.headers
    assert call(emulator, "GET", "/campaigns").status_code == 200


def test_unknown_paths_and_records_are_404s(emulator: RewardfulEmulator) -> None:
    assert call(emulator, "GET", "/payouts/1").json() == {"error": "Not found"}
    missing = call(emulator, "GET", "/affiliates/nope")
    assert (missing.status_code, missing.json()) == (404, {"error": "Affiliate not found"})
    assert call(emulator, "DELETE", "/affiliates/nope").status_code == 404


def test_lists_are_paged_newest_first_with_the_pagination_object(
    emulator: RewardfulEmulator,
) -> None:
    made = seed_affiliates(emulator, 30)

    first = call(emulator, "GET", "/affiliates").json()
    last = call(emulator, "GET", "/affiliates", params={"page": 3, "limit": 12}).json()

    assert [a["id"] for a in first["data"]] == made[::-1][:25]  # default limit 25
    assert first["pagination"] == {
        "previous_page": None,
        "current_page": 1,
        "next_page": 2,
        "count": 25,
        "limit": 25,
        "total_pages": 2,
        "total_count": 30,
    }
    assert [a["id"] for a in last["data"]] == made[5::-1]
    assert (last["pagination"]["previous_page"], last["pagination"]["next_page"]) == (2, None)


@pytest.mark.parametrize(("name", "value"), [("limit", "101"), ("limit", "0"), ("page", "x")])
def test_paging_out_of_bounds_is_a_422(emulator: RewardfulEmulator, name: str, value: str) -> None:
    refused = call(emulator, "GET", "/referrals", params={name: value})

    assert refused.status_code == 422
    assert refused.json()["details"] == [
        f"{name} must be a whole number {'from 1 to 100' if name == 'limit' else '1 or more'}, "
        f"not {value!r}"
    ]


def test_expand_and_expand_brackets_both_expand(emulator: RewardfulEmulator) -> None:
    seed_affiliates(emulator, 1)

    plain = call(emulator, "GET", "/affiliates").json()["data"][0]
    single = call(emulator, "GET", "/affiliates", params={"expand": "campaign"}).json()["data"][0]
    several = call(
        emulator, "GET", "/affiliates", params={"expand[]": ["campaign", "commission_stats"]}
    ).json()["data"][0]

    assert set(plain["campaign"]) == {"id"}
    assert "commission_stats" not in plain
    assert single["campaign"]["name"] == "Default campaign"
    assert several["campaign"]["name"] == "Default campaign"
    assert several["commission_stats"] == {"currencies": {}}


@pytest.fixture
def programme(emulator: RewardfulEmulator) -> RewardfulEmulator:
    with emulator.data() as account:
        add_examples(account)
    return emulator


@pytest.mark.parametrize(
    ("params", "states"),
    [
        ({"state": "due"}, {"due"}),
        ({"state[]": ["due", "paid"]}, {"due", "paid"}),
        ({}, {"pending", "due", "paid", "voided"}),
    ],
)
def test_commission_states_filter_with_arrays(
    programme: RewardfulEmulator, params: dict[str, Any], states: set[str]
) -> None:
    listed = call(programme, "GET", "/commissions", params={**params, "limit": 100}).json()

    assert {c["state"] for c in listed["data"]} == states


def test_referral_updated_bounds_are_exclusive(emulator: RewardfulEmulator) -> None:
    with emulator.data() as account:
        affiliate = account.add_affiliate("ada@example.com", "Ada", "Lovelace")
        made = [account.add_referral(affiliate.id, updated_at=T0 + minutes(n)).id for n in range(4)]
    window = {"updated_since": "2025-06-01T12:00:00.000Z", "updated_until": "2025-06-01T12:03:00Z"}

    listed = call(emulator, "GET", "/referrals", params=window).json()["data"]

    assert sorted(r["id"] for r in listed) == sorted(made[1:3])
    bad = call(emulator, "GET", "/referrals", params={"updated_since": "monday"})
    assert bad.status_code == 422


def test_writes_are_read_from_the_form_only(emulator: RewardfulEmulator) -> None:
    body = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}

    as_json = call(emulator, "POST", "/affiliates", json=body)
    as_form = call(emulator, "POST", "/affiliates", data=body)

    assert as_json.status_code == 422
    assert as_json.json() == {
        "error": "Validation failed",
        "details": [
            "First name can't be blank",
            "Last name can't be blank",
            "Email can't be blank",
        ],
    }
    assert as_form.status_code == 200
    assert as_form.json()["email"] == "ada@example.com"


def test_emails_and_tokens_are_unique(emulator: RewardfulEmulator) -> None:
    first = {"email": "ada@example.com", "first_name": "Ada", "last_name": "L", "token": "ada"}
    affiliate = call(emulator, "POST", "/affiliates", data=first).json()

    again = call(emulator, "POST", "/affiliates", data=first | {"email": "ADA@example.com"})
    link = call(
        emulator, "POST", "/affiliate_links", data={"affiliate_id": affiliate["id"], "token": "ADA"}
    )
    odd = call(
        emulator, "POST", "/affiliate_links", data={"affiliate_id": affiliate["id"], "token": "a b"}
    )

    assert again.json()["details"] == [
        "Email has already been taken",
        "Token has already been taken",
    ]
    assert link.json()["details"] == ["Token has already been taken"]
    assert odd.json()["details"] == ["Token is invalid (use letters, numbers and dashes only)"]


def test_a_put_without_state_makes_the_affiliate_active(emulator: RewardfulEmulator) -> None:
    with emulator.data() as account:
        affiliate = account.add_affiliate("ada@example.com", "Ada", "L", state="disabled")

    updated = call(emulator, "PUT", f"/affiliates/{affiliate.id}", data={"last_name": "Lovelace"})

    assert updated.json()["state"] == "active"
    assert updated.json()["last_name"] == "Lovelace"


def test_every_answer_carries_the_budget_and_the_46th_in_a_window_is_refused(
    emulator: RewardfulEmulator, clock: FakeClock
) -> None:
    answers = [call(emulator, "GET", "/campaigns") for _ in range(46)]

    assert answers[0].headers["RateLimit-Limit"] == "45, 45;w=30"
    assert [a.headers["RateLimit-Remaining"] for a in answers[:2]] == ["44", "43"]
    assert [a.status_code for a in answers] == [200] * 45 + [429]
    clock.advance(29)
    assert call(emulator, "GET", "/campaigns").headers["RateLimit-Reset"] == "1"
    clock.advance(1)
    assert call(emulator, "GET", "/campaigns").status_code == 200


def test_requests_are_counted_by_endpoint(emulator: RewardfulEmulator) -> None:
    call(emulator, "GET", "/affiliates/1")
    call(emulator, "GET", "/affiliates/2", auth=None)
    call(emulator, "PUT", "/affiliates/2", data={})
    call(emulator, "GET", "/nowhere")

    assert emulator.calls() == {
        "GET /v1/affiliates/<record_id>": 2,
        "PUT /v1/affiliates/<record_id>": 1,
        "GET /v1/nowhere": 1,
    }


def statuses(emulator: RewardfulEmulator, count: int) -> list[int]:
    return [call(emulator, "GET", "/campaigns").status_code for _ in range(count)]


def test_flaky_faults_are_a_reproducible_share(clock: FakeClock) -> None:
    emulators = [RewardfulEmulator(SECRET, clock=clock, seed=3) for _ in range(2)]
    for emulator in emulators:
        emulator.flaky(throttled=0.2, failing=0.2)

    runs = [statuses(emulator, 40) for emulator in emulators]

    assert runs[0] == runs[1]
    shares = Counter("ok" if s == 200 else "429" if s == 429 else "5xx" for s in runs[0])
    assert min(shares["429"], shares["5xx"]) > 2
    assert shares["ok"] > 15


def test_a_lost_write_is_applied_before_the_error(emulator: RewardfulEmulator) -> None:
    emulator.inject(503, {}, 1, writes="after")
    body = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}

    listed = call(emulator, "GET", "/affiliates")  # reads are not affected
    lost = call(emulator, "POST", "/affiliates", data=body)

    assert listed.status_code == 200
    assert (lost.status_code, lost.json()) == (503, {"error": "Service unavailable"})
    assert [a["email"] for a in emulator.listed("affiliates")] == ["ada@example.com"]


def test_the_examples_hold_every_state_and_are_the_same_each_time(clock: FakeClock) -> None:
    built = []
    for _ in range(2):
        emulator = RewardfulEmulator(SECRET, clock=clock)
        with emulator.data() as account:
            add_examples(account)
        built.append(
            {
                kind: emulator.listed(kind)
                for kind in ("affiliates", "referrals", "commissions", "campaigns")
            }
        )

    example = built[0]
    assert json.dumps(example) == json.dumps(built[1])
    assert len(example["affiliates"]) == 36
    assert len(example["campaigns"]) == 2
    assert {a["state"] for a in example["affiliates"]} == {"active", "disabled", "suspicious"}
    assert {r["conversion_state"] for r in example["referrals"]} == {
        "visitor",
        "lead",
        "conversion",
    }
    assert {c["state"] for c in example["commissions"]} == {"pending", "due", "paid", "voided"}
    assert all(a["links"] for a in example["affiliates"])
    emails = [r["customer"]["email"] for r in example["referrals"] if r["customer"]]
    assert len(emails) == len(set(emails))


def test_requests_in_parallel_threads_are_all_served(clock: FakeClock) -> None:
    emulator = RewardfulEmulator(SECRET, clock=clock)

    def create(n: int) -> int:
        body = {"email": f"p{n}@example.com", "first_name": "P", "last_name": str(n)}
        return requests.post(
            f"{url}/v1/affiliates", data=body, auth=(SECRET, ""), timeout=10
        ).status_code

    with serve_wsgi(emulator) as server, ThreadPoolExecutor(4) as pool:
        url = server.url
        codes = list(pool.map(create, range(40)))

    assert codes == [200] * 40
    assert len(emulator.listed("affiliates")) == 40
    assert len({link["token"] for link in emulator.listed("links")}) == 40
    assert emulator.calls() == {"POST /v1/affiliates": 40}


def test_a_touched_record_is_modified_now_by_default(
    emulator: RewardfulEmulator, clock: FakeClock
) -> None:
    (affiliate_id,) = seed_affiliates(emulator, 1)
    clock.advance(90)

    with emulator.data() as account:
        account.touch("affiliates", affiliate_id)

    assert emulator.listed("affiliates")[0]["updated_at"] == "2026-01-01T00:01:30.000Z"
    with pytest.raises(ValueError, match="links have no updated_at"), emulator.data() as account:
        account.touch("links", "x")
