"""Which scheduler processes are running: each reports a heartbeat that expires unless renewed."""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import Connection, delete, select

from crmsync.state.database import dialect_insert
from crmsync.state.locks import this_host
from crmsync.state.schema import schedulers
from crmsync.state.values import SchedulerProcess


def beat(connection: Connection, scheduler_id: str, now: datetime, expires_at: datetime) -> None:
    """Report ``scheduler_id`` alive until ``expires_at``; forget schedulers already expired."""
    row = {
        "id": scheduler_id,
        "host": this_host(),
        "pid": os.getpid(),
        "started_at": now,
        "heartbeat_at": now,
        "expires_at": expires_at,
    }
    insert = dialect_insert(connection.dialect, schedulers).values(row)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=[schedulers.c.id],
            set_={"heartbeat_at": now, "expires_at": expires_at},
        )
    )
    connection.execute(delete(schedulers).where(schedulers.c.expires_at <= now))


def forget(connection: Connection, scheduler_id: str) -> None:
    """Remove a scheduler that stopped cleanly."""
    connection.execute(delete(schedulers).where(schedulers.c.id == scheduler_id))


def alive(connection: Connection, now: datetime) -> list[SchedulerProcess]:
    """The schedulers whose heartbeat has not expired, oldest first."""
    query = (
        select(schedulers)
        .where(schedulers.c.expires_at > now)
        .order_by(schedulers.c.started_at, schedulers.c.id)
    )
    return [SchedulerProcess(**row._mapping) for row in connection.execute(query)]
