"""The per-sync lock: one row per sync holding a lease and the token that fences writes.

Whoever holds an unexpired lease runs the sync. A holder that dies stops renewing, so its
lease runs out and the next run takes the lock over; on the holder's own host the next run
need not wait for that, because it can see that the holder's process is gone. Each write
under the lock re-checks the token, so a holder that was taken over (say, it stalled past
its lease) cannot write any more.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from crmsync.sdk.errors import SyncLockedError
from crmsync.state.database import dialect_insert
from crmsync.state.schema import locks
from crmsync.state.values import LockHolder


def this_host() -> str:
    """The name a lock records for this machine."""
    return socket.gethostname()


def take(connection: Connection, sync: str, row: dict[str, Any]) -> None:
    """Insert the lock ``row``, or put it in place of an abandoned holder's row.

    Raises:
        SyncLockedError: a live holder has the lock.
    """
    sync_id, now = row["sync_id"], row["acquired_at"]
    while not _insert(connection, row):
        current = holder(connection, sync_id, for_update=True)
        if current is None:
            continue  # released between the insert and the select: insert again
        if not abandoned(current, now):
            raise locked_error(sync, current)
        connection.execute(update(locks).where(locks.c.sync_id == sync_id).values(row))
        return


def holder(connection: Connection, sync_id: int, *, for_update: bool = False) -> LockHolder | None:
    """Who holds the lock of the sync with ``sync_id``; None when nobody does."""
    query = _HOLDERS.where(locks.c.sync_id == sync_id)
    row = connection.execute(query.with_for_update() if for_update else query).one_or_none()
    return None if row is None else _holder(row)


def lock_holders(connection: Connection) -> dict[int, LockHolder]:
    """Who holds each held lock, by sync id."""
    return {row.sync_id: _holder(row) for row in connection.execute(_HOLDERS)}


def extend(connection: Connection, sync_id: int, token: str, expires_at: datetime) -> bool:
    """Move the lease of ``token`` to ``expires_at``; False when ``token`` lost the lock."""
    result = connection.execute(
        update(locks)
        .where(locks.c.sync_id == sync_id, locks.c.token == token)
        .values(expires_at=expires_at)
    )
    return result.rowcount == 1


def release(connection: Connection, sync_id: int, token: str) -> None:
    """Give up the lock, if ``token`` still holds it."""
    connection.execute(delete(locks).where(locks.c.sync_id == sync_id, locks.c.token == token))


def abandoned(current: LockHolder, now: datetime) -> bool:
    """Whether the lock may be taken over: its lease ran out, or its process is gone."""
    if current.expires_at <= now:
        return True
    return current.host == this_host() and not _alive(current.pid)


def locked_error(sync: str, current: LockHolder) -> SyncLockedError:
    """The error telling who holds the lock of ``sync``."""
    who = f"pid {current.pid} on host {current.host}, since {_iso(current.acquired_at)}"
    if current.owner:
        who = f"{current.owner}: {who}"
    return SyncLockedError(
        f"sync {sync!r} is already running ({who})",
        hint=f"wait for it to finish; if it has stopped, its lock expires at "
        f"{_iso(current.expires_at)}",
    )


_HOLDERS = select(
    locks.c.sync_id,
    locks.c.owner,
    locks.c.host,
    locks.c.pid,
    locks.c.acquired_at,
    locks.c.expires_at,
)


def _holder(row: Row[*tuple[Any, ...]]) -> LockHolder:
    return LockHolder(row.owner, row.host, row.pid, row.acquired_at, row.expires_at)


def _insert(connection: Connection, row: dict[str, Any]) -> bool:
    statement = dialect_insert(connection.dialect, locks).values(row).on_conflict_do_nothing()
    result = connection.execute(statement, execution_options={"preserve_rowcount": True})
    return result.rowcount == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _iso(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"
