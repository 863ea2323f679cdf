"""The seam between hubspot-api-client's generated APIs and crmsync's HTTP pipeline.

Each generated package of the SDK (``crm.objects``, ``crm.properties``,
``crm.associations.v4``, ``oauth``) builds requests with its own ``ApiClient``: the path,
the query parameters and a body serialised from the SDK's typed request models. The
client hands the finished request to its ``rest_client``, which normally sends it with
urllib3 (with urllib3's own retries). :class:`PipelineRest` takes the rest client's place
and sends every request through a crmsync :class:`~crmsync.sdk.HttpClient` instead, so
the rate limiter, the retry policy, the request counter and redaction apply to every SDK
call and urllib3 never sends anything (its retries cannot multiply ours).

Crmsync's client raises typed crmsync errors for every status >= 400, so the SDK's own
exceptions never surface; 2xx responses come back in the shape the generated code reads.

This is the only module that imports hubspot-api-client, which ships without type hints.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import hubspot.crm.associations.v4 as associations_sdk  # type: ignore[import-untyped]
import hubspot.crm.objects as objects_sdk  # type: ignore[import-untyped]
import hubspot.crm.properties as properties_sdk  # type: ignore[import-untyped]
import hubspot.oauth as oauth_sdk  # type: ignore[import-untyped]
import requests

from crmsync.sdk import HttpClient

__all__ = [
    "PipelineRest",
    "SdkResponse",
    "associations_sdk",
    "generated_api",
    "oauth_sdk",
    "objects_sdk",
    "properties_sdk",
]

USER_AGENT = "crmsync (hubspot-api-client 12)"

# POSTs that HubSpot documents as reads or as idempotent writes, so a retry after a 5xx
# cannot duplicate anything. Creates are the exception: a batch/create that timed out may
# have created its records.
_NOT_IDEMPOTENT_SUFFIXES = ("/batch/create",)


class SdkResponse:
    """A ``requests`` response in the shape the generated ``ApiClient`` reads."""

    def __init__(self, response: requests.Response) -> None:
        self.status = response.status_code
        self.reason = response.reason
        self.data: bytes | str = response.content
        self._headers = response.headers

    def getheaders(self) -> Any:
        return self._headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self._headers.get(name, default)


class PipelineRest:
    """Stands in for a generated package's urllib3 ``RESTClientObject``.

    Args:
        http: the crmsync client every request goes through; its base URL is the
            generated client's host, so the absolute URLs the SDK builds are accepted.
    """

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def request(
        self,
        method: str,
        url: str,
        *,
        query_params: Any = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _preload_content: bool = True,
        _request_timeout: Any = None,
    ) -> SdkResponse:
        """Send one request the generated code built; the timeout is the client's own."""
        response = self._http.request(
            method,
            url,
            params=query_params or None,
            json=body,
            data=post_params or None,
            headers=headers,
            idempotent=_idempotent(method, url),
        )
        return SdkResponse(response)

    # The generated ApiClient calls the rest client by method name.
    def GET(self, url: str, **options: Any) -> SdkResponse:
        return self.request("GET", url, **options)

    def POST(self, url: str, **options: Any) -> SdkResponse:
        return self.request("POST", url, **options)

    def PUT(self, url: str, **options: Any) -> SdkResponse:
        return self.request("PUT", url, **options)

    def PATCH(self, url: str, **options: Any) -> SdkResponse:
        return self.request("PATCH", url, **options)

    def DELETE(self, url: str, **options: Any) -> SdkResponse:
        return self.request("DELETE", url, **options)


def generated_api(package: ModuleType, api_name: str, http: HttpClient) -> Any:
    """An SDK API class (e.g. ``objects_sdk``'s ``BatchApi``) that sends through ``http``.

    The SDK's default of no client-side validation is kept: its response models mark
    fields required that real HubSpot answers sometimes leave out.
    """
    configuration = package.Configuration(host=http.base_url)
    client = package.ApiClient(configuration=configuration)
    client.rest_client = PipelineRest(http)
    client.user_agent = USER_AGENT
    return getattr(package, api_name)(api_client=client)


def _idempotent(method: str, url: str) -> bool | None:
    if method.upper() != "POST":
        return None
    return not urlsplit(url).path.endswith(_NOT_IDEMPOTENT_SUFFIXES)
