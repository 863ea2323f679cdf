"""Writing affiliates: a lookup by email before every create, state kept on update,
disable as archive, Rewardful's 422s as per-record failures, and creates that fail on
the way resent only when they did not land."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest

from crmsync.sdk import (
    ApiRequestError,
    Match,
    ObjectType,
    Outcome,
    TransientApiError,
    WriteAction,
    WriteOp,
)
from crmsync.testing import FakeClock
from crmsync_connectors.rewardful import RewardfulConnector
from crmsync_connectors.rewardful.emulator import RewardfulEmulator
from crmsync_connectors.rewardful.emulator.model import Affiliate

from .helpers import connect, op, person

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CREATE, UPSERT, UPDATE, ARCHIVE = (
    WriteAction.CREATE,
    WriteAction.UPSERT,
    WriteAction.UPDATE,
    WriteAction.ARCHIVE,
)
LIST, ONE, POST, PUT = (
    "GET /v1/affiliates",
    "GET /v1/affiliates/<record_id>",
    "POST /v1/affiliates",
    "PUT /v1/affiliates/<record_id>",
)


@pytest.fixture
def affiliates(connector: RewardfulConnector) -> ObjectType:
    return connector.object_type("affiliates")


def seeded(emulator: RewardfulEmulator, n: int, **changes: Any) -> Affiliate:
    """An affiliate holding ``person(n)``'s values, changed by ``changes``."""
    fields = person(n)
    with emulator.data() as account:
        affiliate = account.add_affiliate(fields["email"], fields["first_name"], "Doe")
        for name, value in changes.items():
            setattr(affiliate, name, value)
    return affiliate


def held(emulator: RewardfulEmulator, email: str) -> list[dict[str, Any]]:
    return [a for a in emulator.listed("affiliates") if a["email"] == email]


def test_a_create_looks_the_email_up_first(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    (result,) = affiliates.write([op(CREATE, "c1", person(1))])

    assert result.outcome is Outcome.CREATED
    (created,) = held(emulator, "person1@example.com")
    assert result.target_id == created["id"]
    assert (created["first_name"], created["state"]) == ("First1", "active")
    assert emulator.calls() == {LIST: 1, POST: 1}


def test_creating_an_existing_email_writes_nothing_and_reports_it_unchanged(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1, email="Person1@Example.com")

    (result,) = affiliates.write([op(CREATE, "c1", person(1, first_name="Other"))])

    assert (result.outcome, result.target_id) == (Outcome.UNCHANGED, existing.id)
    assert existing.first_name == "First1"
    assert emulator.calls() == {LIST: 1}


def test_an_upsert_updates_the_affiliate_found_and_keeps_its_state(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1, state="disabled")

    (result,) = affiliates.write([op(UPSERT, "u1", person(1, first_name="Renamed"))])

    assert (result.outcome, result.target_id) == (Outcome.UPDATED, existing.id)
    assert (existing.first_name, existing.state) == ("Renamed", "disabled")
    assert emulator.calls() == {LIST: 1, PUT: 1}


def test_an_upsert_of_the_values_held_writes_nothing(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1)

    (result,) = affiliates.write([op(UPSERT, "u1", person(1))])

    assert (result.outcome, result.target_id) == (Outcome.UNCHANGED, existing.id)
    assert emulator.calls() == {LIST: 1}


def test_an_upsert_creates_what_it_does_not_find(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    (first,) = affiliates.write([op(UPSERT, "u1", person(1))])
    (second,) = affiliates.write([op(UPSERT, "u1", person(1))])

    assert first.outcome is Outcome.CREATED
    assert (second.outcome, second.target_id) == (Outcome.UNCHANGED, first.target_id)
    assert len(held(emulator, "person1@example.com")) == 1
    assert emulator.calls() == {LIST: 2, POST: 1}


def test_an_update_by_id_reads_the_state_first_and_sends_it_back(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1, state="suspicious")

    (result,) = affiliates.write([WriteOp(UPDATE, "u1", {"last_name": "Roe"}, existing.id)])

    assert (result.outcome, result.target_id) == (Outcome.UPDATED, existing.id)
    assert (existing.last_name, existing.state) == ("Roe", "suspicious")
    assert emulator.calls() == {ONE: 1, PUT: 1}


def test_an_update_to_the_values_held_writes_nothing(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1)

    (result,) = affiliates.write([WriteOp(UPDATE, "u1", {"last_name": "Doe"}, existing.id)])

    assert (result.outcome, result.target_id) == (Outcome.UNCHANGED, existing.id)
    assert emulator.calls() == {ONE: 1}


def test_an_update_that_sets_the_state_is_one_call(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1, state="disabled")
    fields = {"state": "active", "first_name": "Back"}

    (result,) = affiliates.write([WriteOp(UPDATE, "u1", fields, existing.id)])

    assert result.outcome is Outcome.UPDATED
    assert (existing.first_name, existing.state) == ("Back", "active")
    assert emulator.calls() == {PUT: 1}


def test_an_update_by_match_looks_the_affiliate_up(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1)
    update = WriteOp(
        UPDATE, "u1", {"last_name": "Roe"}, match=Match("email", "person1@example.com")
    )

    (result,) = affiliates.write([update])

    assert (result.outcome, result.target_id) == (Outcome.UPDATED, existing.id)
    assert emulator.calls() == {LIST: 1, PUT: 1}


@pytest.mark.parametrize(
    "fields", [{"last_name": "Roe"}, {"state": "active"}], ids=["read-first", "state-given"]
)
def test_updating_an_affiliate_rewardful_does_not_have_is_not_found(
    affiliates: ObjectType, fields: dict[str, Any]
) -> None:
    (result,) = affiliates.write([WriteOp(UPDATE, "u1", fields, "no-such-affiliate")])

    assert (result.outcome, result.target_id) == (Outcome.NOT_FOUND, "no-such-affiliate")


def test_archiving_disables_the_affiliate(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1)

    archived, missing = affiliates.write(
        [WriteOp(ARCHIVE, "a1", target_id=existing.id), WriteOp(ARCHIVE, "a2", target_id="gone")]
    )

    assert (archived.outcome, archived.target_id) == (Outcome.ARCHIVED, existing.id)
    assert existing.state == "disabled"
    assert missing.outcome is Outcome.NOT_FOUND
    assert emulator.calls() == {PUT: 2}


def test_a_rejected_affiliate_fails_alone_with_rewardfuls_own_words(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    ops = [
        op(CREATE, "good-1", person(1)),
        op(CREATE, "bad-email", person(2, email="not-an-email")),
        op(CREATE, "no-name", person(3, last_name="")),
        op(UPSERT, "good-2", person(4)),
    ]

    results = {r.ref: r for r in affiliates.write(ops)}

    assert results["bad-email"].reason == "Validation failed: Email is invalid"
    assert results["no-name"].reason == "Validation failed: Last name can't be blank"
    assert {results[r].code for r in ("bad-email", "no-name")} == {"VALIDATION_ERROR"}
    assert {results[r].outcome for r in ("good-1", "good-2")} == {Outcome.CREATED}
    assert {a["email"] for a in emulator.listed("affiliates")} == {
        "person1@example.com",
        "person4@example.com",
    }


def test_a_blank_email_is_not_looked_up(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    (result,) = affiliates.write([op(CREATE, "c1", person(1, email=""))])

    assert result.outcome is Outcome.FAILED
    assert result.reason == "Validation failed: Email can't be blank"
    assert emulator.calls() == {POST: 1}


def test_a_create_whose_answer_was_lost_is_found_instead_of_sent_again(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    emulator.inject(503, {}, 1, writes="after")

    (result,) = affiliates.write([op(CREATE, "c1", person(1))])

    (created,) = held(emulator, "person1@example.com")
    assert (result.outcome, result.target_id) == (Outcome.CREATED, created["id"])
    assert emulator.calls() == {LIST: 2, POST: 1}


def test_a_create_that_failed_before_landing_is_sent_again(
    emulator: RewardfulEmulator, affiliates: ObjectType, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.inject(502, {}, 2, writes="before")

    (result,) = affiliates.write([op(CREATE, "c1", person(1))])

    assert result.outcome is Outcome.CREATED
    assert len(held(emulator, "person1@example.com")) == 1
    assert emulator.calls() == {LIST: 3, POST: 3}
    assert caplog.messages[-1] == (
        'POST /v1/affiliates returned 502: {"error": "Bad gateway"}; the affiliate is not in '
        "Rewardful, so it is sent again (attempt 3 of 3)"
    )
    assert "person1" not in caplog.text


def test_a_create_that_keeps_failing_fails_the_call(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    emulator.inject(503, {}, 3, writes="before")

    with pytest.raises(TransientApiError, match="POST /v1/affiliates returned 503"):
        affiliates.write([op(CREATE, "c1", person(1))])

    assert emulator.calls() == {LIST: 3, POST: 3}


class CreatesMeanwhile:
    """Another writer creates the affiliate between crmsync's lookup and its POST."""

    def __init__(self, emulator: RewardfulEmulator, email: str) -> None:
        self.emulator, self.email = emulator, email
        self.created: Affiliate | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST" and self.created is None:
            with self.emulator.data() as account:
                self.created = account.add_affiliate(self.email, "Quick", "Writer")
        return self.emulator(environ, start_response)


@pytest.mark.parametrize(
    ("action", "outcome", "first_name"),
    [(CREATE, Outcome.UNCHANGED, "Quick"), (UPSERT, Outcome.UPDATED, "First1")],
)
def test_a_create_refused_because_another_writer_won_finds_that_affiliate(
    emulator: RewardfulEmulator,
    clock: FakeClock,
    action: WriteAction,
    outcome: Outcome,
    first_name: str,
) -> None:
    race = CreatesMeanwhile(emulator, "person1@example.com")
    affiliates = connect(race, clock).object_type("affiliates")

    (result,) = affiliates.write([op(action, "c1", person(1))])

    assert race.created is not None
    assert (result.outcome, result.target_id) == (outcome, race.created.id)
    assert race.created.first_name == first_name
    assert len(held(emulator, "person1@example.com")) == 1


def test_a_stripe_customer_id_match_is_looked_up_by_it(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    existing = seeded(emulator, 1, stripe_customer_id="cus_123")
    upsert = WriteOp(
        UPSERT,
        "u1",
        person(9, stripe_customer_id="cus_123"),
        match=Match("stripe_customer_id", "cus_123"),
    )

    (result,) = affiliates.write([upsert])

    assert (result.outcome, result.target_id) == (Outcome.UPDATED, existing.id)
    assert existing.email == "person9@example.com"


def test_a_match_rewardful_cannot_look_up_fails_without_a_call(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    create = WriteOp(CREATE, "c1", person(1), match=Match("last_name", "Doe"))

    (result,) = affiliates.write([create])

    assert (result.outcome, result.code) == (Outcome.FAILED, "UNSUPPORTED_MATCH")
    assert "only by email or stripe_customer_id, not by 'last_name'" in (result.reason or "")
    assert emulator.calls() == {}


def test_a_value_that_cannot_be_a_form_field_fails_without_a_call(
    emulator: RewardfulEmulator, affiliates: ObjectType
) -> None:
    (result,) = affiliates.write([op(CREATE, "c1", person(1, paypal_email={"a": 1}))])

    assert (result.outcome, result.code) == (Outcome.FAILED, "INVALID_VALUE")
    assert result.reason == "paypal_email: a dict value cannot be sent as a form field"
    assert emulator.calls() == {}


def test_values_are_sent_as_form_text(emulator: RewardfulEmulator, affiliates: ObjectType) -> None:
    with emulator.data() as account:
        campaign = account.add_campaign("Creators", commission_percent="25.0")
    fields = person(
        1,
        receive_new_commission_notifications=False,
        paypal_email=None,
        campaign_id=campaign.id,
        state="suspicious",
    )

    (result,) = affiliates.write([op(CREATE, "c1", fields)])

    affiliate = emulator.account.affiliates[result.target_id or ""]
    assert affiliate.receive_new_commission_notifications is False
    assert (affiliate.campaign_id, affiliate.state, affiliate.paypal_email) == (
        campaign.id,
        "suspicious",
        None,
    )


def test_a_batch_over_twenty_is_refused(affiliates: ObjectType) -> None:
    ops = [op(CREATE, f"c{n}", person(n)) for n in range(21)]

    with pytest.raises(ApiRequestError, match="a batch of 21 ops exceeds max_batch_size 20"):
        affiliates.write(ops)


def test_write_calls_count_lookups_and_reads(affiliates: ObjectType) -> None:
    ops = [
        op(CREATE, "c", person(1)),
        op(UPSERT, "u", person(2)),
        WriteOp(UPDATE, "read-first", {"last_name": "Roe"}, "id-1"),
        WriteOp(UPDATE, "state-given", {"state": "active"}, "id-2"),
        WriteOp(UPDATE, "by-match", {"last_name": "Roe"}, match=Match("email", "a@b.co")),
        WriteOp(ARCHIVE, "a", target_id="id-3"),
    ]

    assert affiliates.write_calls(ops) == 2 + 2 + 2 + 1 + 2 + 1
