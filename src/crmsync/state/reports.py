"""Reading the store for people and for retries: failures, runs, audit and each sync's status.

A handful of grouped queries each, never one query per sync or per row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Row, Select, Table, func, select

from crmsync.sdk.records import Cursor
from crmsync.state import firings
from crmsync.state.locks import lock_holders
from crmsync.state.schema import audit as audit_table
from crmsync.state.schema import cursors, links, syncs
from crmsync.state.schema import failures as failure_table
from crmsync.state.schema import runs as run_table
from crmsync.state.values import (
    COMPLETED,
    AuditAction,
    AuditRow,
    Failure,
    LinkStatus,
    RunCounts,
    RunOutcome,
    RunRow,
    SyncStatus,
)

_COUNTS = tuple(field.name for field in fields(RunCounts))


def failures(connection: Connection, sync_id: int | None, *, include_parked: bool) -> list[Failure]:
    """Failing records of one sync (or of all when ``sync_id`` is None), by sync and id."""
    query = (
        select(syncs.c.name.label("sync"), *_without(failure_table, "sync_id", "last_run_id"))
        .join_from(failure_table, syncs)
        .order_by(syncs.c.name, failure_table.c.source_id)
    )
    if sync_id is not None:
        query = query.where(failure_table.c.sync_id == sync_id)
    if not include_parked:
        query = query.where(failure_table.c.parked.is_(False))
    return [Failure(**row._mapping) for row in connection.execute(query)]


def runs(connection: Connection, sync_id: int | None, *, limit: int) -> list[RunRow]:
    """The newest ``limit`` runs of one sync (or of all), newest first."""
    query = _runs_query().order_by(run_table.c.id.desc()).limit(limit)
    if sync_id is not None:
        query = query.where(run_table.c.sync_id == sync_id)
    return [_run(row) for row in connection.execute(query)]


def audit(
    connection: Connection, sync_id: int, *, source_id: str | None, limit: int
) -> list[AuditRow]:
    """The newest ``limit`` audit entries of a sync (or of one of its records), newest first."""
    query = (
        select(syncs.c.name.label("sync"), audit_table)
        .join_from(audit_table, syncs)
        .where(audit_table.c.sync_id == sync_id)
        .order_by(audit_table.c.id.desc())
        .limit(limit)
    )
    if source_id is not None:
        query = query.where(audit_table.c.source_id == source_id)
    return [
        AuditRow(
            id=row.id,
            run_id=row.run_id,
            sync=row.sync,
            at=row.at,
            source_id=row.source_id,
            target_id=row.target_id,
            action=AuditAction(row.action),
            fields=tuple(row.fields),
        )
        for row in connection.execute(query)
    ]


def status(connection: Connection) -> list[SyncStatus]:
    """Where every sync the store knows stands, by name."""
    stored_cursors = _cursors(connection)
    linked = _count_by_sync(connection, links, links.c.status == LinkStatus.LINKED.value)
    failing = _count_by_sync(connection, failure_table, failure_table.c.parked.is_(False))
    parked = _count_by_sync(connection, failure_table, failure_table.c.parked.is_(True))
    last_runs = _last_runs(connection)
    completed = _last_completed(connection)
    holders = lock_holders(connection)
    fired = firings.latest(connection)
    return [
        SyncStatus(
            sync=name,
            cursor=stored_cursors.get(sync_id),
            links=linked[sync_id],
            failures=failing[sync_id],
            parked=parked[sync_id],
            last_run=last_runs.get(sync_id),
            last_completed=completed.get(sync_id),
            lock=holders.get(sync_id),
            last_firing=fired.get(sync_id),
        )
        for sync_id, name in connection.execute(
            select(syncs.c.id, syncs.c.name).order_by(syncs.c.name)
        )
    ]


def _runs_query() -> Select[Any]:
    return select(
        syncs.c.name.label("sync"),
        *_without(run_table, "lease_token"),
        firings.fire_time_of_run(),
    ).join_from(run_table, syncs)


def _run(row: Row[*tuple[Any, ...]]) -> RunRow:
    values = dict(row._mapping)
    del values["sync_id"]
    counts = RunCounts(**{name: values.pop(name) for name in _COUNTS})
    return RunRow(**values | {"outcome": RunOutcome(row.outcome), "counts": counts})


def _cursors(connection: Connection) -> dict[int, Cursor]:
    return {
        row.sync_id: Cursor(row.updated_at, row.record_id)
        for row in connection.execute(select(cursors))
    }


def _count_by_sync(
    connection: Connection, table: Table, condition: ColumnElement[bool]
) -> Counter[int]:
    query = select(table.c.sync_id, func.count()).where(condition).group_by(table.c.sync_id)
    return Counter(dict(connection.execute(query).all()))


def _last_runs(connection: Connection) -> dict[int, RunRow]:
    latest = select(func.max(run_table.c.id)).group_by(run_table.c.sync_id)
    query = _runs_query().where(run_table.c.id.in_(latest))
    return {row.sync_id: _run(row) for row in connection.execute(query)}


def _last_completed(connection: Connection) -> dict[int, datetime]:
    query = (
        select(run_table.c.sync_id, func.max(run_table.c.finished_at))
        .where(run_table.c.outcome.in_([outcome.value for outcome in COMPLETED]))
        .group_by(run_table.c.sync_id)
    )
    return dict(connection.execute(query).all())


def _without(table: Table, *names: str) -> list[Column[Any]]:
    return [column for column in table.columns if column.name not in names]
