"""Settings of a ``rewardful`` connection."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from crmsync.sdk import Rate, RateSpec

CommissionState = Literal["pending", "due", "paid", "voided"]

DEFAULT_BASE_URL = "https://api.getrewardful.com/v1"
PUBLISHED_RATE = Rate(45, timedelta(seconds=30))
MAX_PAGE_SIZE = 100


class RewardfulSettings(BaseModel):
    """What crmsync.yaml says about a Rewardful connection."""

    model_config = ConfigDict(extra="forbid")

    api_secret: SecretStr = Field(
        description="The account's API secret (Rewardful: Company settings > API). It "
        "grants full access to the account: write ${REWARDFUL_API_SECRET}, never the value."
    )
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        pattern=r"^https?://\S+$",
        description="The API's address, version included; tests point it at the emulator.",
    )
    rate_limit: RateSpec = Field(
        default=PUBLISHED_RATE,
        description="Requests allowed per window for this API secret, shared by every sync "
        "that uses it. Rewardful publishes about 45 per 30 s.",
    )
    page_size: int = Field(
        default=MAX_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description="Records per list request (Rewardful's limit, at most 100).",
    )
    commission_states: list[CommissionState] = Field(
        default_factory=list,
        description="Read only commissions in these states (pending, due, paid, voided); "
        "empty reads them all.",
    )
    link_token_prefix: str = Field(
        default="",
        max_length=40,
        pattern=r"^[A-Za-z0-9-]*$",
        description="Starts the token of each affiliate link crmsync creates without a "
        "mapped token (letters, digits and dashes).",
    )

    @field_validator("api_secret")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("the API secret is empty; set it to ${REWARDFUL_API_SECRET}")
        return value
