"""The headers that authenticate a MeetStream request; no HTTP library, so both clients share them."""

from __future__ import annotations

from airflow_provider_meetstream import __version__

USER_AGENT = f"airflow-provider-meetstream/{__version__}"


def auth_headers(api_key: str) -> dict[str, str]:
    """The headers that authenticate a request: the API key and the provider's User-Agent."""
    return {"Authorization": f"Token {api_key}", "User-Agent": USER_AGENT}
