"""The state store's first tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_syncs"),
        sa.UniqueConstraint("name", name="uq_syncs_name"),
    )
    op.create_table(
        "cursors",
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("sync_id", name="pk_cursors"),
        sa.ForeignKeyConstraint(["sync_id"], ["syncs.id"], name="fk_cursors_sync_id_syncs"),
    )
    op.create_table(
        "links",
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("field_hashes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sync_id", "source_id", name="pk_links"),
        sa.ForeignKeyConstraint(["sync_id"], ["syncs.id"], name="fk_links_sync_id_syncs"),
    )
    op.create_index("ix_links_sync_id_target_id", "links", ["sync_id", "target_id"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("lease_token", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(["sync_id"], ["syncs.id"], name="fk_runs_sync_id_syncs"),
    )
    op.create_index("ix_runs_sync_id_id", "runs", ["sync_id", "id"])
    op.create_index("ix_runs_sync_id_outcome", "runs", ["sync_id", "outcome"])
    op.create_table(
        "failures",
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("code", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("parked", sa.Boolean(), nullable=False),
        sa.Column("record", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("sync_id", "source_id", name="pk_failures"),
        sa.ForeignKeyConstraint(["sync_id"], ["syncs.id"], name="fk_failures_sync_id_syncs"),
        sa.ForeignKeyConstraint(["last_run_id"], ["runs.id"], name="fk_failures_last_run_id_runs"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_audit_run_id_runs"),
        sa.ForeignKeyConstraint(["sync_id"], ["syncs.id"], name="fk_audit_sync_id_syncs"),
    )
    op.create_index("ix_audit_sync_id_source_id", "audit", ["sync_id", "source_id"])
    op.create_table(
        "locks",
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sync_id", name="pk_locks"),
        sa.ForeignKeyConstraint(["sync_id"], ["syncs.id"], name="fk_locks_sync_id_syncs"),
    )


def downgrade() -> None:
    for table in ("locks", "audit", "failures", "runs", "links", "cursors", "syncs"):
        op.drop_table(table)
