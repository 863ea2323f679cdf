"""The settings model: defaults from the contract, and clear refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from crmsync.sdk import Rate
from crmsync_connectors.rewardful import RewardfulSettings

from .helpers import SECRET


def settings(**values: Any) -> RewardfulSettings:
    return RewardfulSettings.model_validate({"api_secret": SECRET, **values})


def test_defaults_are_the_published_api() -> None:
    chosen = settings()

    assert chosen.base_url == "https://api.getrewardful.com/v1"
    assert chosen.rate_limit == Rate(45, timedelta(seconds=30))
    assert chosen.page_size == 100
    assert chosen.commission_states == []
    assert chosen.link_token_prefix == ""
    assert SECRET not in repr(chosen)


def test_a_rate_limit_is_written_as_text() -> None:
    chosen = settings(rate_limit="30/30s")

    assert chosen.rate_limit == Rate(30, timedelta(seconds=30))
    assert chosen.model_dump(mode="json")["rate_limit"] == "30/30s"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"api_secret": "  "}, "the API secret is empty"),
        ({"page_size": 101}, "less than or equal to 100"),
        ({"page_size": 0}, "greater than or equal to 1"),
        ({"base_url": "api.getrewardful.com"}, "should match pattern"),
        ({"commission_states": ["owed"]}, "'pending', 'due', 'paid' or 'voided'"),
        ({"link_token_prefix": "ref_"}, "should match pattern"),
        ({"api_secrte": SECRET}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        settings(**values)

    assert message in str(raised.value)
    assert next(iter(values)) in str(raised.value)
