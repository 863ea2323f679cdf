"""Writing one :class:`BatchCommit`: a few multi-row statements on the caller's transaction.

This is the engine's hot path: a batch carries up to a thousand links and as many audit
entries. Those two go to the driver's own ``executemany`` with values already in the form
the driver takes, because SQLAlchemy's per-row parameter handling costs more than SQLite
takes to store the row. The rarer failures and the cursor take the ordinary route.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Table, delete, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from crmsync.sdk.redact import REDACTOR
from crmsync.state.database import dialect_insert
from crmsync.state.schema import audit, cursors, failures, links
from crmsync.state.values import AuditEntry, BatchCommit, FailureWrite, LinkWrite

Row = dict[str, Any]
Upsert = sqlite.Insert | postgresql.Insert


def write_batch(
    connection: Connection,
    batch: BatchCommit,
    *,
    sync_id: int,
    run_id: int,
    now: datetime,
    max_attempts: int,
) -> None:
    """Store everything in ``batch`` for the sync with ``sync_id``; the caller commits."""
    dialect = connection.dialect
    if batch.links:
        rows = _link_rows(batch.links, sync_id, now, dialect)
        _execute_many(connection, _replacing(dialect, links), _LINK_COLUMNS, rows)
    if batch.resolved:
        connection.execute(
            delete(failures).where(
                failures.c.sync_id == sync_id, failures.c.source_id.in_(batch.resolved)
            )
        )
    if batch.failures:
        connection.execute(
            _counting_failures(dialect, max_attempts),
            _failure_rows(batch.failures, sync_id, run_id, now, parked=max_attempts <= 1),
        )
    if batch.audit:
        rows = _audit_rows(batch.audit, sync_id, run_id, now, dialect)
        _execute_many(connection, insert(audit).inline(), _AUDIT_COLUMNS, rows)
    if batch.cursor is not None:
        cursor = {
            "sync_id": sync_id,
            "updated_at": batch.cursor.updated_at,
            "record_id": batch.cursor.id,
        }
        connection.execute(_replacing(dialect, cursors), [cursor])


# The order of the values in the rows below: the tables' own, which is also the order of
# the parameters in the INSERT that SQLAlchemy compiles for these columns.
_LINK_COLUMNS = tuple(column.name for column in links.columns)
_AUDIT_COLUMNS = tuple(column.name for column in audit.columns if column.name != "id")


def _link_rows(
    written: Sequence[LinkWrite], sync_id: int, now: datetime, dialect: Dialect
) -> list[tuple[Any, ...]]:
    stamp = _for_driver(links.c.updated_at, dialect)(now)
    encode = _for_driver(links.c.field_hashes, dialect)
    return [
        (
            sync_id,
            link.source_id,
            link.target_id,
            link.fingerprint,
            encode(dict(link.field_hashes)),
            link.status.value,
            stamp,
        )
        for link in written
    ]


def _audit_rows(
    entries: Sequence[AuditEntry], sync_id: int, run_id: int, now: datetime, dialect: Dialect
) -> list[tuple[Any, ...]]:
    stamp = _for_driver(audit.c.at, dialect)(now)
    encode = _for_driver(audit.c.fields, dialect)
    encoded: dict[tuple[str, ...], Any] = {}  # a batch's entries mostly name the same fields
    rows = []
    for entry in entries:
        fields = encoded.get(entry.fields)
        if fields is None:
            fields = encoded[entry.fields] = encode(entry.fields)
        rows.append(
            (
                run_id,
                sync_id,
                stamp,
                entry.source_id,
                entry.target_id,
                entry.action.value,
                fields,
            )
        )
    return rows


def _failure_rows(
    failed: Sequence[FailureWrite], sync_id: int, run_id: int, now: datetime, *, parked: bool
) -> list[Row]:
    return [
        {
            "sync_id": sync_id,
            "source_id": failure.source_id,
            "reason": REDACTOR.redact(failure.reason),
            "code": failure.code,
            "attempts": 1,
            "first_seen": now,
            "last_seen": now,
            "last_run_id": run_id,
            "parked": parked,
            "record": None if failure.record is None else dict(failure.record),
        }
        for failure in failed
    ]


def _for_driver(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What ``column``'s type does to a value before handing it to the driver."""
    return column.type.bind_processor(dialect) or _unchanged


def _unchanged(value: Any) -> Any:
    return value


def _execute_many(
    connection: Connection,
    statement: Insert,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Run ``statement`` once per row of ``columns``' values, passed to the driver as they are."""
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(columns))
    if compiled.positional:
        connection.exec_driver_sql(compiled.string, rows)
    else:
        named = [dict(zip(columns, row, strict=True)) for row in rows]
        connection.exec_driver_sql(compiled.string, named)


def _replacing(dialect: Dialect, table: Table) -> Upsert:
    """An insert that overwrites the other columns of a row whose key is taken."""
    statement = dialect_insert(dialect, table)
    keys = [column.name for column in table.primary_key]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={
            column.name: statement.excluded[column.name]
            for column in table.columns
            if column.name not in keys
        },
    )


def _counting_failures(dialect: Dialect, max_attempts: int) -> Upsert:
    """An insert of failures that counts a repeat as one more attempt, parking at the limit."""
    statement = dialect_insert(dialect, failures)
    new = statement.excluded
    attempts = failures.c.attempts + 1
    return statement.on_conflict_do_update(
        index_elements=[failures.c.sync_id, failures.c.source_id],
        set_={
            "reason": new.reason,
            "code": new.code,
            "attempts": attempts,
            "last_seen": new.last_seen,
            "last_run_id": new.last_run_id,
            "parked": attempts >= max_attempts,
            "record": func.coalesce(new.record, failures.c.record),
        },
    )
