"""Private-app tokens, and OAuth access tokens renewed from a refresh token.

HubSpot's OAuth access tokens live 30 minutes, and HubSpot warns that a 401 is not a
reliable sign that one expired: :class:`~crmsync.sdk.RefreshingToken` renews the token
ahead of ``expires_in`` (and once after a 401), one renewal at a time, and keeps it in
memory only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from crmsync.sdk import (
    Auth,
    AuthError,
    BearerToken,
    ConnectorContext,
    CrmsyncError,
    HttpClient,
    RefreshingToken,
    TokenGrant,
)
from crmsync_connectors.hubspot.bridge import generated_api, oauth_sdk
from crmsync_connectors.hubspot.errors import ErrorBody
from crmsync_connectors.hubspot.settings import HubSpotSettings, OAuthSettings


class Credentials:
    """A connection's :class:`~crmsync.sdk.Auth`, and the token client it may own.

    Attributes:
        auth: what the API clients authenticate with.
        key: what identifies the credential for rate limiting (the private-app token,
            or the OAuth app and refresh token: one installed portal).
    """

    def __init__(self, settings: HubSpotSettings, context: ConnectorContext) -> None:
        self._token_http: HttpClient | None = None
        self.auth: Auth
        if settings.oauth is None:
            assert settings.access_token is not None  # the settings require one of the two
            self.auth = BearerToken(settings.access_token, context.redactor)
            self.key = settings.access_token.get_secret_value()
            return
        oauth = settings.oauth
        context.redactor.add(
            oauth.client_secret.get_secret_value(), oauth.refresh_token.get_secret_value()
        )
        # No auth and no limiter: the token endpoint is not part of the API budget.
        self._token_http = context.http(settings.base_url, classify=_token_errors)
        tokens = generated_api(oauth_sdk, "TokensApi", self._token_http)
        self.auth = RefreshingToken(_fetcher(tokens, oauth), context.clock, context.redactor)
        self.key = f"{oauth.client_id}:{oauth.refresh_token.get_secret_value()}"

    def close(self) -> None:
        if self._token_http is not None:
            self._token_http.close()


def _fetcher(tokens: Any, oauth: OAuthSettings) -> Callable[[], TokenGrant]:
    def fetch() -> TokenGrant:
        """One ``POST /oauth/v1/token`` with the refresh token."""
        answer = tokens.create(
            grant_type="refresh_token",
            client_id=oauth.client_id,
            client_secret=oauth.client_secret.get_secret_value(),
            refresh_token=oauth.refresh_token.get_secret_value(),
        )
        return TokenGrant(str(answer.access_token), float(answer.expires_in), answer.refresh_token)

    return fetch


def _token_errors(response: requests.Response) -> CrmsyncError | None:
    """HubSpot refuses a bad client or refresh token with a 400: an auth problem."""
    if response.status_code not in (400, 401, 403):
        return None
    body = ErrorBody.of(response)
    reason = f" ({body.message})" if body else ""  # not "token: ...", which reads as a secret
    return AuthError(
        f"HubSpot refused the OAuth client or refresh token{reason}",
        hint="check oauth.client_id, oauth.client_secret and oauth.refresh_token; "
        "a refresh token stops working when the app is uninstalled",
    )
