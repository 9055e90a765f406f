"""
Pytest fixtures that run the MeetStream emulator on a free port, on real time or at a frozen instant.

The distribution registers this module as a ``pytest11`` plugin named after it, so the fixtures exist in
every session without an import. A checkout that runs its tests without installing the emulator can name
it in its root ``conftest.py`` (``pytest_plugins = ["meetstream_emulator.pytest_plugin"]``); installed
too, it is still one plugin, loaded once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from meetstream_emulator.server import EmulatorServer

#: The session emulator's API keys: the first is ``api_key``; the second is another tenant.
EMULATOR_API_KEYS = ("emulator-key", "emulator-other-key")

#: Where ``meetstream_frozen_now`` puts both clocks unless told otherwise: a Wednesday morning
#: (05:00 in New York, 11:00 in Berlin), two weeks after New Year and eight weeks before the next
#: DST change on either side of the Atlantic, so that the demo calendar's "tomorrow", "next Monday"
#: and "in two weeks" are all ordinary days, while its 40-week stand-up still crosses DST changes.
DEFAULT_FROZEN_NOW = datetime(2027, 1, 13, 10, 0, tzinfo=timezone.utc)

_MARKER = "meetstream_now"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``meetstream_now`` marker, so that ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(when, *, tick=True): the instant (an aware datetime or an ISO 8601 string with "
        "an offset) at which meetstream_frozen_now sets the emulator's clock and the test's own; "
        "tick=False stops the test's clock too.",
    )


@dataclass(frozen=True)
class FrozenNow:
    """
    What ``meetstream_frozen_now`` gives a test.

    :param now: The instant both clocks were set to, aware UTC.
    :param emulator: The emulator, reset at ``now``, which ``AIRFLOW_CONN_MEETSTREAM_DEFAULT`` points at.
    """

    now: datetime
    emulator: EmulatorServer

    def reset(self) -> None:
        """Reset the emulator again at ``now``: calendar resolved against it, clock frozen there."""
        self.emulator.admin.reset(now=self.now)


def _aware_instant(value: Any) -> datetime:
    instant = value
    if isinstance(value, str):
        try:
            # Python 3.10's fromisoformat does not know the "Z" suffix.
            instant = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
        except ValueError:
            instant = None
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise pytest.UsageError(
            "meetstream_frozen_now needs an aware datetime or an ISO 8601 string with an offset, "
            f"got {value!r}."
        )
    return instant.astimezone(timezone.utc)


@pytest.fixture(scope="session")
def meetstream_emulator_session() -> Iterator[EmulatorServer]:
    """One emulator for the whole session, with the demo calendar and two tenants' keys."""
    # Imported here: this plugin loads in every pytest run and must stay cheap.
    from meetstream_emulator.server import EmulatorServer

    with EmulatorServer(api_keys=EMULATOR_API_KEYS) as server:
        yield server


@pytest.fixture
def meetstream_emulator(meetstream_emulator_session: EmulatorServer) -> EmulatorServer:
    """
    The session emulator, reset: demo calendar, real-time clock, default config, no bots or faults.

    The demo calendar's dates are relative to today here; a test whose expectation depends on them
    should use ``meetstream_frozen_now`` instead.

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


@pytest.fixture
def meetstream_frozen_now(
    request: pytest.FixtureRequest, meetstream_conn_env: EmulatorServer
) -> Iterator[FrozenNow]:
    """
    ``meetstream_conn_env``, with the emulator and the test process agreeing that now is one instant.

    The emulator is reset at that instant (its clock frozen there, the demo calendar resolved
    against it), and the test's own clock (``datetime.now``, ``time.time``, pendulum, Airflow's
    ``timezone.utcnow``) travels there with ``time-machine``, so that the provider's default
    "now" (a recurring series' window, a batch DAG's next 24 hours) is the emulator's. The instant
    is ``DEFAULT_FROZEN_NOW`` unless the test says otherwise with
    ``@pytest.mark.meetstream_now("2027-03-13T20:00:00Z")`` or indirect parametrization
    (``@pytest.mark.parametrize("meetstream_frozen_now", [...], indirect=True)``).

    The test's clock keeps ticking from there (``tick=True``): ``dag.test()``, sensors and
    timeouts need time to pass. The emulator's clock stays frozen until the test moves it, so it
    trails the test's by the seconds the test has run; pass ``tick=False`` to the marker to stop
    both, for a test that needs them equal to the microsecond and runs no DAG. Only the test process's
    clock travels: an emulator run in another process follows ``reset(now=...)``, a child process neither.
    """
    # Imported here: this plugin loads in every pytest run and must stay cheap.
    import time_machine

    marker = request.node.get_closest_marker(_MARKER)
    if getattr(request, "param", None) is not None:
        when = request.param
    elif marker is not None and marker.args:
        when = marker.args[0]
    else:
        when = DEFAULT_FROZEN_NOW
    tick = bool(marker.kwargs.get("tick", True)) if marker is not None else True
    frozen = FrozenNow(now=_aware_instant(when), emulator=meetstream_conn_env)
    frozen.reset()
    with time_machine.travel(frozen.now, tick=tick):
        yield frozen
