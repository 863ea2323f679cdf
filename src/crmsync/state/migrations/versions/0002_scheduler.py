"""The scheduler's tables: one row per claimed firing, one per running scheduler process.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "firings",
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("fire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("contenders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sync_id", "fire_time", name="pk_firings"),
        sa.ForeignKeyConstraint(["sync_id"], ["syncs.id"], name="fk_firings_sync_id_syncs"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_firings_run_id_runs"),
    )
    op.create_index("ix_firings_run_id", "firings", ["run_id"])
    op.create_table(
        "schedulers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedulers"),
    )


def downgrade() -> None:
    op.drop_table("schedulers")
    op.drop_index("ix_firings_run_id", table_name="firings")
    op.drop_table("firings")
