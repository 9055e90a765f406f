"""Fixtures for the unit tests of every layer: the MeetStream connection, the retry waits, httpx answers."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from meetstream_fakes import API_KEY, BASE, FakeTime

#: Where the retry policy sleeps and reads the time: the clients and the operators go through these.
POLICY = "airflow_provider_meetstream.hooks.policy"


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """
    Set the default MeetStream connection in the environment, where Airflow reads it.

    ``connection()`` points it at ``BASE`` with ``API_KEY``; keyword arguments replace those fields
    or add others: ``connection(password="K")``, ``connection(extra=json.dumps({...}))``.
    """

    def set_connection(**fields: object) -> None:
        conn = {"conn_type": "meetstream", "host": BASE, "password": API_KEY, **fields}
        monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps(conn))

    return set_connection


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the retry waits, sync and async, instead of sleeping."""
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(f"{POLICY}.sleep", recorded.append)
    monkeypatch.setattr(f"{POLICY}.asleep", record)
    return recorded


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
