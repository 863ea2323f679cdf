"""25,000 contacts, 12,000 of them stamped with one modified time by a bulk update.

After every contact is touched, an incremental run must see each exactly once, although
the window holds more changes than search's 10,000-result cap and the one timestamp
alone exceeds it: the emulator refuses any search that pages past the cap.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from crmsync.engine.runner import run_sync
from crmsync.sdk import ObjectSchema, ObjectType, Page, ReadRequest
from crmsync.state import RunOutcome

from .helpers import T0, contacts, files_object, job, rig, state

TOTAL = 25_000
BULK = 12_000
FIRST_NAMES = """\
version: 1
match: {source: email, target: email}
fields:
  first: firstname
"""


class Recorded(ObjectType):
    """A source that remembers the id of every record it yields."""

    def __init__(self, inner: ObjectType) -> None:
        self.inner = inner
        self.name, self.key, self.cursor_field = inner.name, inner.key, inner.cursor_field
        self.capabilities, self.default_lookback = inner.capabilities, inner.default_lookback
        self.seen: list[str] = []

    def describe(self) -> ObjectSchema:
        return self.inner.describe()

    def read(self, request: ReadRequest) -> Iterator[Page]:
        for page in self.inner.read(request):
            self.seen += [record.id for record in page.records]
            yield page


def test_an_incremental_run_sees_25000_touched_contacts_once_12000_sharing_one_ms(
    tmp_path: Path,
) -> None:
    hub = rig()
    seeded = hub.emulator.seed(
        "contacts", contacts(TOTAL), modified=[T0 + timedelta(seconds=n) for n in range(TOTAL)]
    )
    source = Recorded(hub.object("contacts"))
    target = files_object(tmp_path, "people", path="people.jsonl", key="email")
    sync, store = job("contacts-out", source, target, FIRST_NAMES), state(tmp_path, hub.clock)
    first = run_sync(sync, store, counter=hub.counter, clock=hub.clock)
    assert first.outcome is RunOutcome.SUCCEEDED, first.message
    bulk_at = T0 + timedelta(days=1)
    hub.emulator.touch("contacts", seeded[:BULK], bulk_at)  # one bulk update, one timestamp
    for n, record_id in enumerate(seeded[BULK:]):  # then edits, three to a millisecond
        hub.emulator.touch("contacts", [record_id], bulk_at + timedelta(milliseconds=1 + n // 3))
    hub.emulator.reset_counts()
    source.seen.clear()

    second = run_sync(sync, store, counter=hub.counter, clock=hub.clock)

    assert second.outcome is RunOutcome.SUCCEEDED, second.message
    assert len(source.seen) == TOTAL
    assert set(source.seen) == set(seeded)
    assert second.counts.read == second.counts.unchanged == TOTAL
    searches = hub.emulator.count("POST /crm/v3/objects/contacts/search")
    assert hub.emulator.calls == {"POST /crm/v3/objects/contacts/search": searches}
    assert searches <= TOTAL // 100 + 10, f"{searches} searches for {TOTAL} records"
