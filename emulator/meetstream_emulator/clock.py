"""The emulator's clock: real time plus an offset, or frozen; tests move it to make bots join and leave."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from meetstream_emulator.calendar import format_instant

UTC = timezone.utc


class Clock:
    """The emulator's notion of now: real time plus an offset, or frozen at an instant."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current emulator time, aware UTC."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def set(self, instant: datetime) -> None:
        """
        Freeze the clock at an instant.

        :param instant: An aware datetime.
        """
        with self._lock:
            self._frozen = instant.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        """
        Move the clock forward (or back, when negative), frozen or running.

        :param seconds: How far to move it.
        """
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def run(self) -> None:
        """Let the clock run in real time again, from where it stands now."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - datetime.now(UTC)
                self._frozen = None

    def reset(self, frozen_at: datetime | None = None) -> None:
        """
        Back to real time with no offset, or frozen at an instant.

        :param frozen_at: An aware datetime to freeze the clock at; None runs it in real time.
        """
        with self._lock:
            self._offset = timedelta(0)
            self._frozen = None if frozen_at is None else frozen_at.astimezone(UTC)

    def snapshot(self) -> dict[str, Any]:
        """The clock as the ``/_emulator/clock`` control shows it."""
        now = self.now()
        with self._lock:
            return {
                "now": format_instant(now),
                "frozen": self._frozen is not None,
                # Adding 0.0 turns a rounded -0.0 into 0.0.
                "offset_seconds": round((now - datetime.now(UTC)).total_seconds(), 3) + 0.0,
            }
