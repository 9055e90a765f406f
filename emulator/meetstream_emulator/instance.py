"""One running emulator: its backend, its API keys, and what it observes and breaks on the wire."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from meetstream_emulator.backend import Backend
from meetstream_emulator.faults import FaultPlan
from meetstream_emulator.wire import ConnectionTracker, RequestLog


class Emulator:
    """
    One emulator instance, at ``app.state.emulator`` of the app that serves it.

    :param backend: The models and the clock.
    :param api_keys: Accepted API keys; each is its own tenant.
    """

    def __init__(self, backend: Backend, api_keys: Iterable[str]) -> None:
        self.backend = backend
        self.api_keys = frozenset(api_keys)
        if not self.api_keys:
            raise ValueError("The emulator needs at least one API key.")
        self.requests = RequestLog()
        self.connections = ConnectionTracker()
        self.faults: FaultPlan | None = None
        #: Counts resets: a request that arrived before one must not act on the state after it.
        self.generation = 0

    def reset(self, now: datetime | None = None) -> None:
        """
        Back to the state at startup: calendar, clock, config; no bots, schedules, log or faults, and the
        connection counters at zero.

        :param now: Freeze the clock at this aware instant and resolve the calendar against it;
            None restores the real-time clock.
        """
        self.generation += 1
        self.backend.reset(now)
        self.requests.clear()
        self.faults = None
        self.connections.reset()
