"""Pytest fixtures that run the MeetStream emulator on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_meetstream.emulator.server import EmulatorServer

#: The session emulator's API keys: the first is ``api_key``; the second is another tenant.
EMULATOR_API_KEYS = ("emulator-key", "emulator-other-key")


@pytest.fixture(scope="session")
def meetstream_emulator_session() -> Iterator[EmulatorServer]:
    """One emulator for the whole session, with the demo calendar and two tenants' keys."""
    # Imported here: this plugin loads in every pytest run and must stay cheap.
    from airflow_provider_meetstream.emulator.server import EmulatorServer

    with EmulatorServer(api_keys=EMULATOR_API_KEYS) as server:
        yield server


@pytest.fixture
def meetstream_emulator(meetstream_emulator_session: EmulatorServer) -> EmulatorServer:
    """
    The session emulator, reset: demo calendar, real-time clock, default config, no bots or faults.

    Use ``.api_url``, ``.api_key``, ``.api_keys``, ``.admin`` and ``.airflow_conn_json()``.
    """
    meetstream_emulator_session.admin.reset()
    return meetstream_emulator_session


@pytest.fixture
def meetstream_conn_env(
    meetstream_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> EmulatorServer:
    """The reset emulator, with ``AIRFLOW_CONN_MEETSTREAM_DEFAULT`` pointing at it for this test."""
    monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", meetstream_emulator.airflow_conn_json())
    return meetstream_emulator
