"""Column types (their round trips through both databases are tested with the store)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy.dialects import sqlite

from crmsync.state.types import JSONText, LazyJSON, UTCDateTime


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), sqlite.dialect())


def test_equal_json_values_are_stored_as_equal_compact_text() -> None:
    codec = JSONText()

    first = codec.process_bind_param({"b": "é", "a": [1, 2]}, sqlite.dialect())
    second = codec.process_bind_param({"a": [1, 2], "b": "é"}, sqlite.dialect())

    assert first == second == '{"a":[1,2],"b":"é"}'
    assert codec.process_result_value(first, sqlite.dialect()) == {"a": [1, 2], "b": "é"}


def test_lazy_json_parses_only_when_read_and_equals_the_dict() -> None:
    unread = LazyJSON("{not json")  # never looked at: never parsed, so no error
    hashes = LazyJSON('{"email": "a1", "name": "b2"}')

    assert unread is not None
    assert hashes == {"email": "a1", "name": "b2"}
    assert {"email": "a1", "name": "b2"} == hashes  # noqa: SIM300 (a dict on the left)
    assert hashes.get("email") == "a1"
    with pytest.raises(json.JSONDecodeError):
        dict(unread)
