"""The operators' tests' own fixture: a second connection, for a templated ``meetstream_conn_id``."""

from __future__ import annotations

import json

import pytest
from meetstream_fakes import OTHER_BASE


@pytest.fixture
def other_connection(monkeypatch: pytest.MonkeyPatch) -> str:
    """A MeetStream connection besides the default one, at ``OTHER_BASE``: its id."""
    conn = {"conn_type": "meetstream", "host": OTHER_BASE, "password": "ms_other_key_8d21f0"}
    monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_OTHER", json.dumps(conn))
    return "meetstream_other"
