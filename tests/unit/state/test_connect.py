"""Opening the store: SQLite set-up, and errors that never show a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmsync.sdk.errors import StateError
from crmsync.state import StateStore
from crmsync.state.database import open_engine


def test_sqlite_creates_the_folder_and_sets_its_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.db"
    StateStore.connect(f"sqlite:///{path}").close()
    assert path.is_file()
    engine = open_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 30_000,
    }


def test_an_unreachable_database_is_named_without_its_password() -> None:
    with pytest.raises(StateError) as raised:
        StateStore.connect("postgresql+psycopg://crm:hunter2-secret@127.0.0.1:1/state")
    message = str(raised.value)
    assert "cannot open the state store at postgresql+psycopg://crm:***@127.0.0.1:1/state" in (
        message
    )
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("crm:hunter2-secret@db.example.com", "not a database URL"),
        ("mysql://crm:hunter2-secret@db.example.com/state", "unsupported"),
        ("postgresql+nosuchdriver://crm:hunter2-secret@db.example.com/state", "cannot open"),
    ],
)
def test_a_bad_url_is_refused_without_its_password(url: str, problem: str) -> None:
    with pytest.raises(StateError, match=problem) as raised:
        StateStore.connect(url)
    assert "hunter2" not in str(raised.value)


def test_a_schema_is_refused_for_sqlite(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="only be set for PostgreSQL"):
        StateStore.connect(f"sqlite:///{tmp_path / 'state.db'}", schema="crmsync")


def test_a_schema_name_that_would_need_quoting_is_refused() -> None:
    with pytest.raises(StateError, match="invalid state store schema"):
        StateStore.connect("postgresql+psycopg://crm@127.0.0.1:1/state", schema='x"; drop')
