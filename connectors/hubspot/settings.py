"""Settings of a ``hubspot`` connection: credentials, host, rate limits and page sizes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from crmsync.sdk import Rate, RateSpec

HUBSPOT_API = "https://api.hubapi.com"


class OAuthSettings(BaseModel):
    """A public app's credentials: the access token is obtained, and renewed, from these."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, description="The app's client id.")
    client_secret: SecretStr = Field(description="The app's client secret.")
    refresh_token: SecretStr = Field(
        description="The refresh token HubSpot issued when the portal installed the app."
    )


class HubSpotSettings(BaseModel):
    """What crmsync.yaml says about a HubSpot connection.

    Give exactly one of ``access_token`` (a private app) and ``oauth`` (a public app).
    """

    model_config = ConfigDict(extra="forbid")

    access_token: SecretStr | None = Field(
        default=None, description="A private app's access token (pat-...)."
    )
    oauth: OAuthSettings | None = Field(
        default=None, description="A public app's client id, client secret and refresh token."
    )
    base_url: str = Field(
        default=HUBSPOT_API,
        description="The API host; tests and `crmsync demo` point it at the emulator.",
    )
    rate_limit: RateSpec = Field(
        default=Rate.parse("100/10s"),
        description="The app's burst limit (HubSpot's rolling ten-second window). "
        "100/10s is Free and Starter; Professional and Enterprise allow 190/10s.",
    )
    daily_limit: RateSpec = Field(
        default=Rate.parse("250000/d"),
        description="The account's daily budget, shared by every app of the portal.",
    )
    search_rate_limit: RateSpec = Field(
        default=Rate.parse("4/s"),
        description="The search endpoints' own limit per token.",
    )
    page_size: int = Field(
        default=100, ge=1, le=100, description="Records per page of a full (list) read."
    )
    search_page_size: int = Field(
        default=100,
        ge=1,
        le=200,
        description="Records per search request of an incremental read (HubSpot allows 200).",
    )

    @model_validator(mode="after")
    def _one_credential(self) -> HubSpotSettings:
        if (self.access_token is None) == (self.oauth is None):
            raise ValueError(
                "give exactly one of access_token (a private app) "
                "and oauth (client_id, client_secret, refresh_token of a public app)"
            )
        return self
