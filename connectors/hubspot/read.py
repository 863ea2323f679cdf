"""Reading records: a full read through the listing, changes through search.

**Full reads** (no ``since``) page through ``GET /crm/v3/objects/{type}``, which has no
result cap. Its pages come in id order, not in cursor order, so only the last page
carries a checkpoint: the newest ``(modified time, id)`` read.

**Incremental reads** search on the object's modified-date property, sorted ascending,
and never page with ``after``. Each request asks afresh for the records from the last
timestamp seen onwards (``GTE``), skipping the ones already yielded at that timestamp:

- every query is a first page, so none gets near the 10,000-result cap, however many
  records changed in the window;
- records that change meanwhile cannot shift later pages under the reader (``after``
  is an offset);
- a page that holds records with several timestamps holds every record of all but
  its last timestamp, so those timestamps are complete and the page can checkpoint the
  newest record among them.

When one timestamp fills a whole page (a bulk update stamps thousands of records with
one time), that timestamp is read on its own by record id: ``modified`` from ``t`` to
``t`` and ``hs_object_id GT <last id>``, sorted by ``hs_object_id``, until a page comes
back short.
Cursor ids compare as text while HubSpot orders ids as numbers, so such a run of pages
checkpoints only once the whole timestamp is read. A read that resumes inside a
timestamp (``since`` carries an id) reads that timestamp the same way and keeps what
lies after ``since``.

**Deletions** come from ``GET ...?archived=true`` (search never returns archived
records, and archiving does not change the modified date), only when the request asks
for them. The archived listing has no time filter, so it is read whole on every such
run, before the changes and without checkpoints; each archived record's time is its
``archivedAt``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from crmsync.sdk import Cursor, Page, ReadRequest, Record, Rejected, follow_cursor
from crmsync_connectors.hubspot.api import Filter, HubSpotApi
from crmsync_connectors.hubspot.associations import PREFIX
from crmsync_connectors.hubspot.kinds import RECORD_ID, Kind
from crmsync_connectors.hubspot.schema import Catalog
from crmsync_connectors.hubspot.values import epoch_ms, parse_time

T = TypeVar("T")


class Reader:
    """Reads one object type.

    Args:
        api: the vendor calls.
        kind: the object type.
        catalog: its properties, for reads that ask for every field.
        page_size: records per listing page (at most 100).
        search_page_size: records per search request (at most 200).
    """

    def __init__(
        self,
        api: HubSpotApi,
        kind: Kind,
        catalog: Catalog,
        *,
        page_size: int,
        search_page_size: int,
    ) -> None:
        self._api = api
        self._kind = kind
        self._catalog = catalog
        self._page_size = page_size
        self._search_page_size = search_page_size

    def read(self, request: ReadRequest) -> Iterator[Page]:
        """The pages of ``request``; see the module docstring for how."""
        properties = self._properties(request.fields)
        if request.deletions:
            yield from self._archived(properties, request)
        if request.since is None:
            yield from self._listing(properties, request)
        else:
            search = _Search(self._api, self._kind, properties, self._search_page_size)
            yield from _Changes(search, request).pages()

    def _properties(self, fields: frozenset[str] | None) -> list[str]:
        """What to fetch: the fields asked for, plus the id and the modified date."""
        wanted = self._catalog.names(self._kind.name) if fields is None else fields
        named = {f for f in wanted if not f.startswith(PREFIX)}
        return sorted(named | {RECORD_ID, self._kind.modified})

    def _listing(self, properties: list[str], request: ReadRequest) -> Iterator[Page]:
        newest: Cursor | None = None
        for items, last in _with_last(follow_cursor(self._lister(properties, archived=False))):
            records, rejected = _records(items, self._kind, request)
            newest = max([newest, *(r.cursor for r in records)], key=_cursor_order)
            yield Page(records, newest if last else None, rejected)

    def _archived(self, properties: list[str], request: ReadRequest) -> Iterator[Page]:
        for items in follow_cursor(self._lister(properties, archived=True)):
            records, rejected = _records(items, self._kind, request, deleted=True)
            yield Page(records, None, rejected)

    def _lister(self, properties: list[str], *, archived: bool) -> Any:
        def fetch(after: str | None) -> tuple[list[dict[str, Any]], str | None]:
            page = self._api.list_page(
                self._kind.name, properties, after, limit=self._page_size, archived=archived
            )
            return page.results, page.after

        return fetch


@dataclass(frozen=True, slots=True)
class _Found:
    """A search result as the change reader needs it."""

    record: Record
    ms: int

    @property
    def cursor(self) -> Cursor:
        assert self.record.cursor is not None
        return self.record.cursor


@dataclass
class _Search:
    """Searches of one object type, each a first page sorted ascending."""

    api: HubSpotApi
    kind: Kind
    properties: list[str]
    limit: int

    def by_time(self, filters: Sequence[Filter]) -> list[dict[str, Any]]:
        return self.api.search(
            self.kind.name,
            filters,
            sort=self.kind.modified,
            properties=self.properties,
            limit=self.limit,
        )

    def by_id(self, ms: int, after_id: str | None) -> list[dict[str, Any]]:
        # The range filters the time windows use, narrowed to one millisecond.
        at = str(ms)
        filters = [Filter(self.kind.modified, "GTE", at), Filter(self.kind.modified, "LTE", at)]
        if after_id is not None:
            filters.append(Filter(RECORD_ID, "GT", after_id))
        return self.api.search(
            self.kind.name, filters, sort=RECORD_ID, properties=self.properties, limit=self.limit
        )


@dataclass
class _Changes:
    """One incremental read: the search walk of the module docstring."""

    search: _Search
    request: ReadRequest
    newest: Cursor | None = None  # the newest record of the timestamps read whole
    told: Cursor | None = None  # the last checkpoint yielded
    upper: list[Filter] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.request.until is not None:
            until = str(epoch_ms(self.request.until))
            self.upper = [Filter(self.search.kind.modified, "LTE", until)]

    def pages(self) -> Iterator[Page]:
        assert self.request.since is not None
        low = epoch_ms(self.request.since.updated_at)
        if self.request.since.id:
            yield from self._one_timestamp(low)
            low += 1
        while True:
            time_filters = [Filter(self.search.kind.modified, "GTE", str(low)), *self.upper]
            found, rejected = self._found(self.search.by_time(time_filters))
            full = len(found) + len(rejected) == self.search.limit
            found = [f for f in found if f.ms >= low]  # never trust a stray older record
            top = max((f.ms for f in found), default=low)
            if full and all(f.ms == top for f in found):
                yield from self._one_timestamp(top)
                low = top + 1
                continue
            # A full page's last timestamp may go on past it: the next search starts there.
            complete = [f for f in found if f.ms < top or not full]
            self._advance(f.cursor for f in complete)
            yield from self._page([f.record for f in complete], self.newest, rejected)
            if not full:
                return
            low = top

    def _one_timestamp(self, ms: int) -> Iterator[Page]:
        """Every record modified at ``ms``, by id; a checkpoint once all are read."""
        group: list[Cursor] = []
        after_id: str | None = None
        while True:
            found, rejected = self._found(self.search.by_id(ms, after_id))
            group += [f.cursor for f in found]
            records = [f.record for f in found]
            if len(found) + len(rejected) < self.search.limit:
                self._advance(group)
                yield from self._page(records, self.newest, rejected)
                return
            yield from self._page(records, None, rejected)
            after_id = str(max(int(f.record.id) for f in found))

    def _found(self, items: list[dict[str, Any]]) -> tuple[list[_Found], list[Rejected]]:
        records, rejected = _records(items, self.search.kind, None)
        found = [_Found(r, epoch_ms(r.updated_at)) for r in records if r.updated_at is not None]
        return found, rejected

    def _advance(self, cursors: Iterable[Cursor]) -> None:
        self.newest = max([self.newest, *cursors], key=_cursor_order)

    def _page(
        self, records: list[Record], checkpoint: Cursor | None, rejected: list[Rejected]
    ) -> Iterator[Page]:
        """The page of ``records`` the request wants, unless it would say nothing new."""
        wanted = sorted((r for r in records if self.request.wants(r)), key=_record_order)
        news = checkpoint is not None and checkpoint != self.told
        if wanted or rejected or news:
            self.told = checkpoint or self.told
            yield Page(wanted, checkpoint, rejected)


def _records(
    items: Sequence[Mapping[str, Any]],
    kind: Kind,
    request: ReadRequest | None,
    *,
    deleted: bool = False,
) -> tuple[list[Record], list[Rejected]]:
    """HubSpot objects as records (their properties as fields), or as rejected rows."""
    records: list[Record] = []
    rejected: list[Rejected] = []
    for item in items:
        properties: dict[str, Any] = dict(item.get("properties") or {})
        record_id = str(item.get("id") or properties.get(RECORD_ID) or "")
        stamp = item.get("archivedAt") if deleted else properties.get(kind.modified)
        try:
            updated = parse_time(stamp)
        except ValueError:
            name = "archivedAt" if deleted else kind.modified
            reason = f"{name} is {stamp!r}, expected an ISO 8601 time or epoch milliseconds"
            rejected.append(Rejected(record_id, reason, properties))
            continue
        record = Record(record_id, properties, updated, deleted)
        if request is None or request.wants(record):
            records.append(record)
    return records, rejected


def _with_last(items: Iterator[T]) -> Iterator[tuple[T, bool]]:
    """Each item, and whether it is the last one (one item of look-ahead)."""
    previous = next(items, None)
    for item in items:
        assert previous is not None
        yield previous, False
        previous = item
    if previous is not None:
        yield previous, True


def _cursor_order(cursor: Cursor | None) -> tuple[bool, Cursor | None]:
    return (cursor is not None, cursor)


def _record_order(record: Record) -> tuple[bool, Cursor | None]:
    return _cursor_order(record.cursor)
