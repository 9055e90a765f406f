"""The hook the tests of hooks/ call: on the test connection, its retry waits recorded, never slept."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


@pytest.fixture
def hook(connection: Callable[..., None], waits: list[float]) -> MeetStreamHook:
    """A hook on the default connection at ``BASE`` with ``API_KEY``; its waits go to ``waits``."""
    connection()
    return MeetStreamHook()
