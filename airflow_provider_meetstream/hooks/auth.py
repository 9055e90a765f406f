"""How both MeetStream clients authenticate: the ``Token`` header and the provider's User-Agent."""

from __future__ import annotations

import requests

from airflow_provider_meetstream import __version__

USER_AGENT = f"airflow-provider-meetstream/{__version__}"


class MeetStreamAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Token <key>`` and the provider's User-Agent to every request."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(auth_headers(self._api_key))
        return request

    def __repr__(self) -> str:
        return "MeetStreamAuth(api_key='***')"


def auth_headers(api_key: str) -> dict[str, str]:
    """The headers that authenticate a request: the API key and the provider's User-Agent."""
    return {"Authorization": f"Token {api_key}", "User-Agent": USER_AGENT}
