"""Credentials, OAuth renewal, scopes, settings and check()."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from crmsync.sdk import AuthError, Rate, ReadRequest
from crmsync_connectors.hubspot import HubSpotSettings
from crmsync_connectors.hubspot.emulator import ACCESS_TOKEN_LIFETIME, HubSpotEmulator, OAuthApp

from .helpers import OAUTH, TOKEN, contacts, read, rig

TOKENS = "POST /oauth/v1/token"
EMAIL = frozenset({"email"})


def test_an_oauth_token_is_fetched_once_and_renewed_before_it_expires() -> None:
    hub = rig(oauth=True)
    hub.emulator.seed("contacts", contacts(2))
    source = hub.object("contacts")

    read(source, ReadRequest(fields=EMAIL))
    read(source, ReadRequest(fields=EMAIL))
    assert hub.emulator.count(TOKENS) == 1

    hub.clock.advance(ACCESS_TOKEN_LIFETIME - 30)  # inside the renewal margin
    read(source, ReadRequest(fields=EMAIL))

    assert hub.emulator.count(TOKENS) == 2
    assert hub.emulator.statuses[401] == 0, "the token was renewed before HubSpot refused it"


def test_a_401_renews_the_token_once_and_resends() -> None:
    hub = rig(oauth=True)
    hub.emulator.seed("contacts", contacts(2))
    read(hub.object("contacts"), ReadRequest(fields=EMAIL))
    hub.emulator.inject(401)

    pages = read(hub.object("contacts"), ReadRequest(fields=EMAIL))

    assert len(pages[0].records) == 2
    assert hub.emulator.count(TOKENS) == 2


def test_renewed_tokens_are_masked_in_logs_and_errors() -> None:
    hub = rig(oauth=True)
    read(hub.object("contacts"), ReadRequest(fields=EMAIL))

    (token,) = hub.emulator.access_tokens

    assert token not in hub.redactor.redact(f"Authorization: Bearer {token}")
    assert OAUTH.refresh_token not in hub.redactor.redact(OAUTH.refresh_token)


def test_a_refused_refresh_token_is_an_auth_error_that_names_the_settings() -> None:
    emulator_app = OAuthApp(OAUTH.client_id, OAUTH.client_secret, "another-refresh-token")
    hub = rig(oauth=True, emulator=HubSpotEmulator(oauth=emulator_app))

    with pytest.raises(AuthError, match="missing or unknown refresh token") as raised:
        read(hub.object("contacts"), ReadRequest(fields=EMAIL))

    assert "oauth.refresh_token" in (raised.value.hint or "")
    assert OAUTH.refresh_token not in str(raised.value)


def test_check_proves_the_token_can_read_every_object_type() -> None:
    hub = rig()

    hub.connector.check()

    assert hub.emulator.calls == {
        "GET /crm/v3/objects/contacts": 1,
        "GET /crm/v3/objects/companies": 1,
        "GET /crm/v3/objects/deals": 1,
    }


def test_check_names_a_scope_the_app_lacks() -> None:
    scopes = ["crm.objects.contacts.read", "crm.objects.companies.read"]
    hub = rig(scopes=scopes)

    with pytest.raises(AuthError, match="403") as raised:
        hub.connector.check()

    assert "crm.objects.deals.read" in (raised.value.hint or "")


def test_check_refuses_a_wrong_private_app_token() -> None:
    hub = rig(emulator=HubSpotEmulator(token="pat-na1-another-token"))

    with pytest.raises(AuthError, match="401") as raised:
        hub.connector.check()

    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {
            "access_token": TOKEN,
            "oauth": {"client_id": "c", "client_secret": "s", "refresh_token": "r"},
        },
    ],
)
def test_settings_need_exactly_one_kind_of_credential(credentials: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of access_token"):
        HubSpotSettings.model_validate(credentials)


def test_settings_refuse_unknown_keys_and_read_rates() -> None:
    settings = HubSpotSettings.model_validate({"access_token": TOKEN, "rate_limit": "190/10s"})

    assert settings.rate_limit == Rate.parse("190/10s")
    assert settings.search_rate_limit == Rate.parse("4/s")
    assert settings.base_url == "https://api.hubapi.com"
    with pytest.raises(ValidationError, match="extra"):
        HubSpotSettings.model_validate({"access_token": TOKEN, "acess_token": TOKEN})
    with pytest.raises(ValidationError, match="less than or equal to 200"):
        HubSpotSettings.model_validate({"access_token": TOKEN, "search_page_size": 500})
