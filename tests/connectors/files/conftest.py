from __future__ import annotations

from collections.abc import Iterator

import pytest

from .helpers import close_connectors


@pytest.fixture(autouse=True)
def _close_connectors() -> Iterator[None]:
    yield
    close_connectors()
