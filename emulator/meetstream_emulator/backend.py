"""
The backend: the models of one emulator, their clock and the lock they are used under.

The models (:mod:`~meetstream_emulator.events`, :mod:`~meetstream_emulator.schedules`,
:mod:`~meetstream_emulator.bots`, :mod:`~meetstream_emulator.transcripts`,
:mod:`~meetstream_emulator.recordings`, and the views :mod:`~meetstream_emulator.scheduled_bots` and
:mod:`~meetstream_emulator.bot_listing`) take no lock: whoever
uses them holds :attr:`Backend.lock`, once per request. What spans models (a reset, the
configuration, a calendar change that drops schedules, the state dump) is here.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timezone
from typing import Any, Protocol

from meetstream_emulator.bot_listing import BotListing
from meetstream_emulator.bots import Bots
from meetstream_emulator.calendar import format_instant, iso_or_none
from meetstream_emulator.clock import Clock
from meetstream_emulator.events import Events, read_calendar
from meetstream_emulator.inputs import ApiError
from meetstream_emulator.recordings import Recordings
from meetstream_emulator.scheduled_bots import ScheduledBots
from meetstream_emulator.schedules import Schedules
from meetstream_emulator.transcripts import Transcripts


def mask_tenant(api_key: str) -> str:
    """
    Name a tenant without revealing its API key.

    :param api_key: The tenant's API key.
    :return: ``tenant_`` and the first 8 hex digits of the key's SHA-256.
    """
    return "tenant_" + hashlib.sha256(api_key.encode()).hexdigest()[:8]


class _Configurable(Protocol):
    # A model with settings of its own in /_emulator/config.
    settings: dict[str, Any]

    def checked_settings(self, changes: dict[str, Any]) -> dict[str, Any]: ...


class Backend:
    """
    Everything one emulator remembers. Each API key is its own tenant; calendar events are shared.

    :param calendar: Calendar JSON (relative dates unresolved), read again at every reset.
    :param join_lead_minutes: How long before the start a bot joins, unless ``join_at`` is given.
    :param conflict_mode: ``update`` (repeat schedules update in place) or ``409``.
    :param clock: The clock; a new real-time one by default.
    :raises ApiError: 400 for a bad calendar or setting.
    """

    def __init__(
        self,
        *,
        calendar: Any = None,
        join_lead_minutes: int = 3,
        conflict_mode: str = "update",
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self._calendar = calendar if calendar is not None else []
        self.recordings = Recordings()
        self.transcripts = Transcripts(self.recordings)
        self.bots = Bots(self.clock, self.transcripts)
        self.bot_listing = BotListing(self.clock, self.bots)
        self.events = Events(self.clock)
        self.schedules = Schedules(
            self.clock,
            self.events,
            self.bots,
            {"conflict_mode": conflict_mode, "join_lead_minutes": join_lead_minutes},
        )
        self.scheduled_bots = ScheduledBots(self.clock, self.events, self.bots, self.schedules)
        self.reset()

    def reset(self, now: datetime | None = None) -> None:
        """
        No schedules or bots, the settings of startup, and the calendar read again.

        :param now: An aware instant to freeze the clock at and resolve the calendar's relative
            dates against, so that the demo calendar is the same whatever today is; None runs the
            clock in real time and resolves against it.
        """
        # What the clock reads once reset; the calendar is read before taking the lock.
        base = datetime.now(timezone.utc) if now is None else now.astimezone(timezone.utc)
        events = read_calendar(self._calendar, base)
        with self.lock:
            self.clock.reset(frozen_at=None if now is None else base)
            self.recordings.reset()
            self.transcripts.reset()
            self.bots.reset()
            self.schedules.reset()
            self.events.load(events, replace=True)

    def load_events(self, data: Any, *, replace: bool = True) -> dict[str, Any]:
        """
        Load calendar events; schedules and bots are left as they are.

        :param data: A list of events or ``{"events": [...]}``; relative dates resolve against the clock.
        :param replace: Replace the whole calendar (True) or add/overwrite by id (False).
        :raises ApiError: 400 naming a bad event or a rule that cannot be expanded; the calendar is kept.
        """
        events = read_calendar(data, self.clock.now())
        with self.lock:
            total = self.events.load(events, replace=replace)
        return {"loaded": len(events), "total": total, "replace": replace}

    def cancel_occurrence(
        self, event_id: str, occurrence: datetime, *, drop_schedules: bool
    ) -> dict[str, Any]:
        """
        Cancel one occurrence of a series.

        :param event_id: The series master.
        :param occurrence: The original start of the occurrence.
        :param drop_schedules: Drop the occurrence's schedules and cancel bots left without one, as
            MeetStream does for a cancelled meeting; False leaves them, as before MeetStream catches up.
        """
        with self.lock:
            instance = self.events.cancel(event_id, occurrence)
            if drop_schedules:
                self.schedules.drop(
                    lambda s: s.event_id == event_id and s.occurrence == occurrence, self.clock.now()
                )
            return instance.to_api([])

    def delete_event(self, event_id: str, *, drop_schedules: bool) -> dict[str, Any]:
        """
        Delete an event: it stays listed with ``is_deleted: true``, as MeetStream lists deleted events.

        :param event_id: The event (a master deletes the whole series).
        :param drop_schedules: Drop its schedules and cancel bots left without one, as MeetStream
            does for deleted events; False leaves them, as before MeetStream catches up.
        """
        with self.lock:
            event = self.events.delete(event_id)
            if drop_schedules:
                self.schedules.drop(lambda s: s.event_id == event_id, self.clock.now())
            return event.to_api([])

    def config(self) -> dict[str, Any]:
        """The runtime configuration: scheduling, then bots, then transcripts, then meeting data."""
        with self.lock:
            return {
                **self.schedules.settings,
                **self.bots.settings,
                **self.transcripts.settings,
                **self.recordings.settings,
            }

    def set_config(self, **changes: Any) -> dict[str, Any]:
        """
        Change the runtime configuration until the next reset; None leaves a setting as it is.

        Every setting is checked before any changes: a bad one changes nothing.

        :param changes: Settings by name (see :meth:`config`); ``default_outcome=None`` clears it.
        :raises ApiError: 400 naming an unknown or bad setting.
        """
        models: tuple[_Configurable, ...] = (self.schedules, self.bots, self.transcripts, self.recordings)
        unknown = sorted(set(changes) - {name for model in models for name in model.settings})
        if unknown:
            raise ApiError(400, f"Unknown settings: {unknown}.")
        with self.lock:
            checked = [
                model.checked_settings({k: v for k, v in changes.items() if k in model.settings})
                for model in models
            ]
            for model, settings in zip(models, checked, strict=True):
                model.settings = settings
        return self.config()

    def dump(self) -> dict[str, Any]:
        """
        Every schedule and bot, for the demo's table and for tests; tenants are masked.

        ``{now, config, events, schedules, bots}``: ``config`` is the scheduling settings, ``events`` how many
        are loaded, and schedules and bots come by join time.
        """
        with self.lock:
            now = self.clock.now()
            return {
                "now": format_instant(now),
                "config": dict(self.schedules.settings),
                "events": len(self.events),
                "schedules": [
                    {
                        "schedule_id": s.schedule_id,
                        "tenant": mask_tenant(s.tenant),
                        "event_id": s.event_id,
                        "occurrence_date": iso_or_none(s.occurrence),
                        "bot_id": s.bot_id,
                        "scheduled_time": format_instant(s.scheduled_time),
                        "schedule_group": s.schedule_group,
                        "deduplication_key": self.schedules.bot_of(s).deduplication_key,
                        "status": self.schedules.bot_of(s).status(now),
                        "recurring_event": s.recurring_event,
                    }
                    for s in self.schedules.all()
                ],
                "bots": [
                    {
                        "bot_id": bot.bot_id,
                        "tenant": mask_tenant(bot.tenant),
                        "deduplication_key": bot.deduplication_key,
                        "event_id": bot.event_id,
                        "occurrence_date": iso_or_none(bot.occurrence),
                        "scheduled_join_time": format_instant(bot.join_time),
                        "created_at": format_instant(bot.created_at),
                        "status": bot.status(now),
                        "schedule_group": bot.schedule_group,
                        "source": bot.source,
                        "meeting_url": bot.meeting_url,
                        "transcript_id": bot.transcript_id,
                        "transcript_status": self.transcripts.state(bot, now),
                    }
                    for bot in self.bots.all()
                ],
            }
