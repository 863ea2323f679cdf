"""Reading: full reads by listing, incremental reads by search windows, deletions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crmsync.sdk import Cursor, Page, ReadRequest
from crmsync_connectors.hubspot.emulator import search
from crmsync_connectors.hubspot.kinds import CONTACTS
from crmsync_connectors.hubspot.read import _records

from .helpers import T0, Rig, contacts, ids, minutes, once, read, records, rig

EMAIL = frozenset({"email"})
SEARCHES = "POST /crm/v3/objects/contacts/search"


def small(**settings: int) -> Rig:
    """Pages of 7 (listing and search), and ids that cross from two digits to three."""
    return rig(settings={"page_size": 7, "search_page_size": 7, **settings}, first_id=90)


def test_a_full_read_lists_every_record_and_checkpoints_its_newest_on_the_last_page() -> None:
    hub = small()
    seeded = hub.emulator.seed("contacts", contacts(20), modified=minutes(T0, 20)[::-1])

    pages = read(hub.object("contacts"), ReadRequest(fields=EMAIL))

    once(ids(pages), seeded)
    assert [p.checkpoint for p in pages[:-1]] == [None, None]
    assert pages[-1].checkpoint == Cursor(T0 + timedelta(minutes=19), seeded[0])
    assert hub.emulator.calls == {"GET /crm/v3/objects/contacts": 3}


def test_records_carry_the_properties_asked_for_as_text_with_their_modified_time() -> None:
    hub = small()
    (record_id,) = hub.emulator.seed("contacts", contacts(1), modified=T0)

    (page,) = read(hub.object("contacts"), ReadRequest(fields=frozenset({"firstname"})))

    (record,) = page.records
    assert record.id == record_id
    assert record.updated_at == T0
    assert record.fields["firstname"] == "First0"
    assert "lastname" not in record.fields  # only what the map uses is fetched
    assert record.fields["lastmodifieddate"] == "2025-03-01T09:00:00Z"


def test_a_read_without_fields_asks_for_every_property() -> None:
    hub = small()
    hub.emulator.add_property("contacts", "affiliate_id")
    hub.emulator.seed("contacts", [{"email": "a@example.com", "affiliate_id": "aff_1"}])

    (page,) = read(hub.object("contacts"))

    assert page.records[0].fields["affiliate_id"] == "aff_1"
    assert hub.emulator.count("GET /crm/v3/properties/contacts") == 1


def test_an_incremental_read_returns_each_change_once_with_true_checkpoints() -> None:
    hub = small()
    seeded = hub.emulator.seed("contacts", contacts(40), modified=minutes(T0, 40, step=0.5))
    since = Cursor(T0 + timedelta(minutes=3))

    pages = read(hub.object("contacts"), ReadRequest(since=since, fields=EMAIL))

    got = ids(pages)
    once(got, [i for n, i in enumerate(seeded) if n * 0.5 >= 3])  # Cursor(t) precedes t's records
    _assert_checkpoints_are_true(pages)
    assert pages[-1].checkpoint == Cursor(T0 + timedelta(minutes=19.5), seeded[-1])
    assert hub.emulator.calls == {SEARCHES: 6}


def test_a_timestamp_shared_by_more_records_than_a_page_is_read_by_id() -> None:
    hub = small()
    tie = T0 + timedelta(hours=1)
    stamps = [*minutes(T0, 5), *[tie] * 30, *minutes(tie + timedelta(minutes=1), 5)]
    seeded = hub.emulator.seed("contacts", contacts(40), modified=stamps)

    pages = read(hub.object("contacts"), ReadRequest(since=Cursor(T0, seeded[0]), fields=EMAIL))

    once(ids(pages), seeded[1:])
    _assert_checkpoints_are_true(pages)
    inside_tie = [p for p in pages if p.records and {r.updated_at for r in p.records} == {tie}]
    assert inside_tie, "the tie should be read on pages of its own"
    assert all(p.checkpoint is None for p in inside_tie[:-1])
    assert inside_tie[-1].checkpoint == max(r.cursor for r in records(inside_tie) if r.cursor)


@pytest.mark.parametrize("position", [0, 9, 10, 17, 29])
def test_a_read_resumed_inside_a_tie_returns_what_follows_in_cursor_order(position: int) -> None:
    hub = small()
    tie = T0 + timedelta(hours=1)
    later = minutes(tie + timedelta(minutes=1), 5)
    seeded = hub.emulator.seed("contacts", contacts(35), modified=[*[tie] * 30, *later])
    cursors = sorted(Cursor(tie, i) for i in seeded[:30])  # text order: "100" < "90"
    since = cursors[position]

    pages = read(hub.object("contacts"), ReadRequest(since=since, fields=EMAIL))

    expected = [c.id for c in cursors if c > since] + seeded[30:]
    once(ids(pages), expected)


def test_resuming_from_any_checkpoint_of_an_incremental_read_loses_and_repeats_nothing() -> None:
    hub = small()
    tie = T0 + timedelta(hours=1)
    stamps = [*minutes(T0, 12, step=0.25), *[tie] * 16, *minutes(tie, 9, step=0.1)]
    seeded = hub.emulator.seed("contacts", contacts(len(stamps)), modified=stamps)
    source = hub.object("contacts")
    since = Cursor(T0 - timedelta(minutes=1))

    seen: list[str] = []
    for page in read(source, ReadRequest(since=since, fields=EMAIL)):
        seen += [r.id for r in page.records]
        if page.checkpoint is not None:
            rest = ids(read(source, ReadRequest(since=page.checkpoint, fields=EMAIL)))
            assert not set(rest) & set(seen), f"resuming from {page.checkpoint} repeats"
            once(seen + rest, seeded)


def test_no_query_reaches_the_search_result_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the cap lowered to 20, a window of 150 changes is read whole: no query ever
    pages past the cap (HubSpot's is 10,000; the 25,000-record test runs at full size)."""
    monkeypatch.setattr(search, "MAX_RESULTS", 20)
    hub = small()
    seeded = hub.emulator.seed("contacts", contacts(150), modified=minutes(T0, 150, step=0.01))

    pages = read(hub.object("contacts"), ReadRequest(since=Cursor(T0), fields=EMAIL))

    once(ids(pages), seeded)


def test_until_bounds_the_read_on_the_modified_time() -> None:
    hub = small()
    seeded = hub.emulator.seed("contacts", contacts(20), modified=minutes(T0, 20))
    until = T0 + timedelta(minutes=12)

    listed = ids(read(hub.object("contacts"), ReadRequest(until=until, fields=EMAIL)))
    searched = ids(
        read(hub.object("contacts"), ReadRequest(since=Cursor(T0), until=until, fields=EMAIL))
    )

    once(listed, seeded[:13])
    once(searched, seeded[:13])


def test_an_empty_window_costs_one_search_and_yields_nothing() -> None:
    hub = small()
    hub.emulator.seed("contacts", contacts(5), modified=T0)

    later = Cursor(T0 + timedelta(hours=1))
    pages = read(hub.object("contacts"), ReadRequest(since=later, fields=EMAIL))

    assert ids(pages) == []
    assert hub.emulator.calls == {SEARCHES: 1}


def test_a_change_that_search_shows_late_is_found_by_the_next_read_with_the_lookback() -> None:
    hub = small(search_page_size=100)
    hub.emulator.search_lag = 30.0  # seconds before search sees a change
    early, late = hub.emulator.seed("contacts", contacts(2), modified=T0)
    hub.emulator.touch("contacts", [late], T0 + timedelta(minutes=3))
    hub.clock.advance(31)
    hub.emulator.touch("contacts", [early], T0 + timedelta(minutes=2))  # stamped earlier,
    source = hub.object("contacts")  # but searchable later than the other change

    first = read(source, ReadRequest(since=Cursor(T0 + timedelta(minutes=1)), fields=EMAIL))
    hub.clock.advance(31)
    checkpoint = first[-1].checkpoint
    assert checkpoint is not None
    exact = read(source, ReadRequest(since=checkpoint, fields=EMAIL))
    rewound = read(
        source, ReadRequest(since=checkpoint.rewind(source.default_lookback), fields=EMAIL)
    )

    assert ids(first) == [late]
    assert ids(exact) == [], "without the lookback the late change is lost"
    assert early in ids(rewound)


def test_deletions_are_read_from_the_archived_listing_only_when_asked() -> None:
    hub = small(search_page_size=100)
    seeded = hub.emulator.seed("contacts", contacts(10), modified=minutes(T0, 10))
    hub.clock.advance(3600)
    archived_at = hub.clock.now()
    hub.emulator.archive("contacts", seeded[:3])
    source = hub.object("contacts")

    without = read(source, ReadRequest(since=Cursor(T0), fields=EMAIL))
    calls = hub.emulator.count()
    pages = read(source, ReadRequest(since=Cursor(T0), fields=EMAIL, deletions=True))

    assert not [r for r in records(without) if r.deleted]
    assert hub.emulator.count() - calls == 2  # the archived listing, then the search
    first, *rest = pages
    assert first.checkpoint is None, "archived records come first, before any checkpoint"
    assert sorted(r.id for r in first.records) == sorted(seeded[:3])
    assert all(r.deleted and r.updated_at == archived_at for r in first.records)
    once(ids(rest), seeded[3:])


def test_deletions_before_the_window_are_left_out() -> None:
    hub = small()
    seeded = hub.emulator.seed("contacts", contacts(4), modified=T0)
    hub.emulator.archive("contacts", seeded[:1], at=T0 + timedelta(minutes=1))
    hub.emulator.archive("contacts", seeded[1:2], at=T0 + timedelta(minutes=5))

    pages = read(
        hub.object("contacts"),
        ReadRequest(since=Cursor(T0 + timedelta(minutes=2)), fields=EMAIL, deletions=True),
    )

    assert [r.id for r in records(pages) if r.deleted] == [seeded[1]]


def test_a_record_with_an_unreadable_modified_time_is_rejected_alone() -> None:
    items = [
        {"id": "1", "properties": {"lastmodifieddate": "yesterday", "email": "a@example.com"}},
        {"id": "2", "properties": {"lastmodifieddate": "1740819600000"}},
        {"id": "3", "properties": {"lastmodifieddate": "2025-03-01T09:00:00.250Z"}},
    ]

    found, rejected = _records(items, CONTACTS, None)

    assert [r.id for r in rejected] == ["1"]
    assert "lastmodifieddate" in rejected[0].reason
    assert "yesterday" in rejected[0].reason
    assert [(r.id, r.updated_at) for r in found] == [
        ("2", T0),  # legacy epoch milliseconds
        ("3", T0 + timedelta(milliseconds=250)),
    ]


def _assert_checkpoints_are_true(pages: list[Page]) -> None:
    """A checkpoint promises that every record at or before it was yielded by then."""
    everything = records(pages)
    yielded: set[str] = set()
    for page in pages:
        yielded |= {r.id for r in page.records}
        if page.checkpoint is None:
            continue
        behind = {r.id for r in everything if r.cursor is not None and r.cursor <= page.checkpoint}
        assert behind <= yielded, f"checkpoint {page.checkpoint} is ahead of {behind - yielded}"
