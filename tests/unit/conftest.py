"""
Fixtures for the unit tests of every layer: a clock, httpx answers, the async client a trigger opens.

The default connection (``connection``, ``default_connection``) and the retry waits (``waits``)
come from tests/conftest.py: the other suites use them too.
"""

from __future__ import annotations

from collections.abc import Callable
from unittest.mock import AsyncMock, MagicMock

import httpx
import pytest
from meetstream_fakes import API_KEY, POLICY, FakeTime

from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> FakeTime:
    """A clock that moves by each retry wait, sync or async; the waits are recorded in ``waits`` too."""
    fake = FakeTime(waits)
    monkeypatch.setattr(f"{POLICY}.sleep", fake.sleep)
    monkeypatch.setattr(f"{POLICY}.clock", fake.clock)
    monkeypatch.setattr(f"{POLICY}.asleep", fake.asleep)
    return fake


@pytest.fixture
def answer_async_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[Callable[[httpx.Request], httpx.Response]], None]:
    """Answer every request of the ``httpx.AsyncClient``s made from now on with a handler, over no socket."""
    real = httpx.AsyncClient

    def answer_with(handler: Callable[[httpx.Request], httpx.Response]) -> None:
        monkeypatch.setattr(
            httpx, "AsyncClient", lambda **kw: real(transport=httpx.MockTransport(handler), **kw)
        )

    return answer_with


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


@pytest.fixture
def client(client_class: MagicMock) -> AsyncMock:
    """The async client a trigger opens, holding ``API_KEY``: the key its events must not carry."""
    opened: AsyncMock = client_class.return_value
    opened.api_key = API_KEY
    return opened
