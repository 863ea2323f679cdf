"""The state store's tables. Change them only together with a new migration in migrations/.

Strings that come from outside (sync names, record ids, reasons) have no length limit, so
that a value SQLite accepts is never refused by PostgreSQL; strings crmsync makes itself
(statuses, tokens, digests) are bounded.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from crmsync.state.types import JSONText, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets the room of a bigint.
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")
_ENUM = String(16)
_TOKEN = String(64)


def _sync_id(*, primary_key: bool = False) -> Column[int]:
    return Column(
        "sync_id", Integer, ForeignKey("syncs.id"), primary_key=primary_key, nullable=False
    )


syncs = Table(
    "syncs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False, unique=True),
)

cursors = Table(
    "cursors",
    metadata,
    _sync_id(primary_key=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("record_id", String, nullable=False),
)

links = Table(
    "links",
    metadata,
    _sync_id(primary_key=True),
    Column("source_id", String, primary_key=True),
    Column("target_id", String),
    Column("fingerprint", _TOKEN, nullable=False),
    Column("field_hashes", JSONText, nullable=False),
    Column("status", _ENUM, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "sync_id", "target_id"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    _sync_id(),
    Column("kind", _ENUM, nullable=False),
    Column("outcome", _ENUM, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    *(
        Column(name, Integer, nullable=False)
        for name in (
            "read",
            "created",
            "updated",
            "unchanged",
            "archived",
            "skipped",
            "failed",
            "api_calls",
        )
    ),
    Column("duration_ms", Integer),
    Column("message", Text),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("lease_token", _TOKEN, nullable=False),
    Index(None, "sync_id", "id"),
    Index(None, "sync_id", "outcome"),
)

failures = Table(
    "failures",
    metadata,
    _sync_id(primary_key=True),
    Column("source_id", String, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("code", String),
    Column("attempts", Integer, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("last_run_id", Integer, ForeignKey("runs.id")),
    Column("parked", Boolean, nullable=False),
    Column("record", JSONText),
)

audit = Table(
    "audit",
    metadata,
    Column("id", _BIG_ID, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    _sync_id(),
    Column("at", UTCDateTime, nullable=False),
    Column("source_id", String, nullable=False),
    Column("target_id", String),
    Column("action", _ENUM, nullable=False),
    Column("fields", JSONText, nullable=False),
    Index(None, "sync_id", "source_id"),
)

locks = Table(
    "locks",
    metadata,
    _sync_id(primary_key=True),
    Column("token", _TOKEN, nullable=False),
    Column("owner", String),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

firings = Table(
    "firings",
    metadata,
    _sync_id(primary_key=True),
    Column("fire_time", UTCDateTime, primary_key=True),
    Column("outcome", _ENUM, nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("message", Text),
    Column("contenders", Integer, nullable=False),
    Index(None, "run_id"),
)

schedulers = Table(
    "schedulers",
    metadata,
    Column("id", _TOKEN, primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
