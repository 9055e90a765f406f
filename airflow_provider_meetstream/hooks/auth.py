"""How the sync hook authenticates requests: the ``Token`` header and the provider's User-Agent."""

from __future__ import annotations

import requests

# Re-exported: the headers live where the async client can import them without requests.
from airflow_provider_meetstream.hooks.headers import USER_AGENT as USER_AGENT
from airflow_provider_meetstream.hooks.headers import auth_headers as auth_headers


class MeetStreamAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Token <key>`` and the provider's User-Agent to every request."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(auth_headers(self._api_key))
        return request

    def __repr__(self) -> str:
        return "MeetStreamAuth(api_key='***')"
