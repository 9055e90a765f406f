"""Shared by the trigger tests: the async client replaced at its one public path, where the loop reads it."""

from __future__ import annotations

from unittest.mock import AsyncMock, MagicMock

import pytest

from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


@pytest.fixture
def client_class(monkeypatch: pytest.MonkeyPatch) -> MagicMock:
    """
    ``MeetStreamAsyncClient`` replaced by a factory of one ``AsyncMock(spec=...)``, its ``return_value``.

    The only patch target for a trigger's client: the loop in ``triggers.polling`` reads the class
    from ``hooks.async_client`` each time it runs. The mock's ``api_key`` is None (no connection
    read) until a test sets the key it expects scrubbed.
    """
    client = AsyncMock(spec=MeetStreamAsyncClient)
    client.__aenter__.return_value = client
    client.api_key = None
    factory = MagicMock(return_value=client)
    monkeypatch.setattr("airflow_provider_meetstream.hooks.async_client.MeetStreamAsyncClient", factory)
    return factory
