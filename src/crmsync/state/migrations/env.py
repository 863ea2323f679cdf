"""Alembic's entry point for the state store; run by :func:`crmsync.state.migrate.upgrade`.

It migrates on the connection that ``upgrade`` passes in ``config.attributes``, inside
the transaction (and, on PostgreSQL, under the advisory lock) that ``upgrade`` holds.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from crmsync.state.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


_run(context.config.attributes["connection"])
