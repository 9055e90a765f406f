"""
The schedules' model: which bot each tenant keeps on each event or occurrence, by MeetStream's rules.

A schedule (``sched_`` and a UUID), one per (tenant, event, occurrence or none), points at the tenant's bot
for its deduplication key and occurrence. The same key again updates it in place (same ids, new config);
another key re-points it to that key's bot, cancelling the waiting one (the override rule); ``conflict_mode``
``409`` makes both a 409. A key's schedules on other events share its bot, which follows the one applied last;
a bot no schedule points at is cancelled unless it has joined. Events and bots belong to other models.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from meetstream_emulator.bot import Bot
from meetstream_emulator.bots import Bots
from meetstream_emulator.calendar import CalendarEvent, format_instant, iso_or_none, meeting_platform
from meetstream_emulator.clock import Clock
from meetstream_emulator.events import ENDED_MESSAGE, Events
from meetstream_emulator.inputs import (
    ApiError,
    ScheduleRequest,
    checked_settings,
    instant,
    one_of,
    optional_bool,
    optional_field,
    parse_schedule_request,
    whole_number,
)

CONFLICT_MODES = ("update", "409")
#: ``/_emulator/config``'s scheduling settings: ``conflict_mode`` (``update``: a repeat schedule updates in
#: place; ``409``: it is refused) and ``join_lead_minutes`` (how long before the start bots join).
SCHEDULING_SETTINGS: dict[str, Any] = {"conflict_mode": "update", "join_lead_minutes": 3}
_CHECKS = {
    # The integer 409 is accepted too.
    "conflict_mode": lambda value, name: one_of(CONFLICT_MODES)(str(value), name),
    "join_lead_minutes": whole_number(0),
}

ScheduleKey = tuple[str, str, datetime | None]


@dataclass
class Schedule:
    """A schedule: one per (tenant, event, occurrence or none), pointing at one bot."""

    schedule_id: str
    tenant: str
    event_id: str
    occurrence: datetime | None
    start: datetime
    end: datetime
    bot_id: str
    scheduled_time: datetime
    schedule_group: str
    recurring_event: bool


class Schedules:
    """
    Every tenant's schedules, with the index that finds one by (tenant, event, occurrence).

    :param clock: The emulator's clock.
    :param events: The calendar, which says what can be scheduled and when it ends.
    :param bots: The bots the schedules point at.
    :param settings: The scheduling settings at startup, restored at every reset.
    """

    def __init__(self, clock: Clock, events: Events, bots: Bots, settings: dict[str, Any]) -> None:
        self._clock = clock
        self._events = events
        self._bots = bots
        self.settings = dict(SCHEDULING_SETTINGS)
        self._initial = self.checked_settings(settings)
        self.settings = dict(self._initial)
        self._schedules: dict[str, Schedule] = {}
        self._index: dict[ScheduleKey, str] = {}

    def reset(self) -> None:
        """No schedules, the settings of startup."""
        self.settings = dict(self._initial)
        self._schedules.clear()
        self._index.clear()

    def checked_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """
        The settings with ``changes`` applied and checked, not yet in force.

        :param changes: ``conflict_mode`` and ``join_lead_minutes``; None leaves one as it is.
        """
        return checked_settings(self.settings, changes, _CHECKS)

    def bots_of(self, tenant: str, event_id: str) -> list[dict[str, Any]]:
        """
        The tenant's bots of an event as ``GET /calendar/events`` lists them.

        :param tenant: The caller's API key.
        :param event_id: The event's id.
        """
        mine = (s for s in self._schedules.values() if s.tenant == tenant and s.event_id == event_id)
        return [
            {
                "bot_id": s.bot_id,
                "start_time": format_instant(s.scheduled_time),
                "deduplication_key": self.bot_of(s).deduplication_key,
                "meeting_url": self.bot_of(s).meeting_url,
                "occurrence_date": iso_or_none(s.occurrence),
            }
            for s in sorted(mine, key=lambda s: (s.scheduled_time, s.schedule_id))
        ]

    def bot_of(self, schedule: Schedule) -> Bot:
        """The bot a schedule points at."""
        return self._bots.get(schedule.tenant, schedule.bot_id, include_cancelled=True)

    def all(self) -> list[Schedule]:
        """Every schedule, by scheduled time."""
        return sorted(self._schedules.values(), key=lambda s: (s.scheduled_time, s.schedule_id))

    def retime(self, bot_id: str, join: datetime) -> None:
        """
        Give the schedules of a bot that moved its new join time.

        :param bot_id: The bot.
        :param join: Its join time now.
        """
        for schedule in self._schedules.values():
            if schedule.bot_id == bot_id:
                schedule.scheduled_time = join

    def drop(self, which: Callable[[Schedule], bool], now: datetime) -> int:
        """
        Drop schedules, and cancel the bots left without one that have not joined.

        :param which: Picks the schedules to drop.
        :param now: The emulator's now.
        :return: How many bots were cancelled.
        """
        targets = [s for s in self._schedules.values() if which(s)]
        for schedule in targets:
            del self._schedules[schedule.schedule_id]
            del self._index[(schedule.tenant, schedule.event_id, schedule.occurrence)]
        return sum(1 for bot_id in sorted({s.bot_id for s in targets}) if self.release(bot_id, now))

    def release(self, bot_id: str, now: datetime) -> bool:
        """
        Cancel a bot that no schedule points at any more, unless it has joined; True when it did.

        :param bot_id: The bot.
        :param now: The emulator's now.
        """
        if any(schedule.bot_id == bot_id for schedule in self._schedules.values()):
            return False
        return self._bots.cancel_unjoined(bot_id, now)

    # -- POST /calendar/schedule/{event_id} -------------------------------------------------------

    def schedule(self, tenant: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """
        Schedule a bot for an event, one occurrence, or a whole series, unless it has ended (a 400).

        The bot joins at ``bot_config.join_at`` (before the end; if past, at once) or ``join_lead_minutes``
        before the start, at ``bot_config.meeting_url`` or the event's; ``recurring_event`` is only recorded.
        ``existing_schedules`` is the caller's count on the event before; ``schedule_all_occurrences`` makes
        one per occurrence not ended, up to ``occurrence_limit``, listing failures (all failed: a 409).

        :param tenant: The caller's API key.
        :param event_id: The event's id.
        :param body: The decoded JSON body.
        """
        request = parse_schedule_request(body)
        now = self._clock.now()
        event = self._events.live(event_id)
        existing = sum(1 for s in self._schedules.values() if s.tenant == tenant and s.event_id == event_id)
        if request.schedule_all_occurrences:
            return self._schedule_series(tenant, event, request, now, existing)
        occurrence = self._events.resolve_occurrence(event, request.occurrence_date, now)
        end = (occurrence or event.start) + event.duration
        if end <= now:
            raise ApiError(400, ENDED_MESSAGE)
        if request.join_at is not None and request.join_at >= end:
            raise ApiError(
                400, f"bot_config.join_at must be before the meeting ends ({format_instant(end)})."
            )
        schedule, bot, updated = self._apply(tenant, event, occurrence, request, now)
        response = self._answer(event, schedule, bot, request, updated, existing)
        response["message"] = "Bot schedule updated." if updated else "Bot scheduled successfully."
        return response

    def _apply(
        self,
        tenant: str,
        event: CalendarEvent,
        occurrence: datetime | None,
        request: ScheduleRequest,
        now: datetime,
    ) -> tuple[Schedule, Bot, bool]:
        start = occurrence or event.start
        end = start + event.duration
        url = request.bot_config.get("meeting_url") or event.meeting_url
        group = meeting_platform(url) or "default"
        join = request.join_at or start - timedelta(minutes=self.settings["join_lead_minutes"])
        schedule_id = self._index.get((tenant, event.id, occurrence))
        existing = self._schedules[schedule_id] if schedule_id else None
        if existing is not None and self.settings["conflict_mode"] == "409":
            raise ApiError(
                409,
                f"Event {event.id!r} already has a scheduled bot.",
                bot_id=existing.bot_id,
                schedule_id=existing.schedule_id,
            )
        bot = self._bots.keyed(tenant, request.deduplication_key, occurrence, now)
        config = {**request.bot_config, "deduplication_key": request.deduplication_key}
        if bot is None:
            bot = self._bots.add_keyed(
                Bot(
                    bot_id=str(uuid.uuid4()),
                    tenant=tenant,
                    deduplication_key=request.deduplication_key,
                    occurrence=occurrence,
                    config=config,
                    event_id=event.id,
                    join_time=join,
                    end_time=end,
                    schedule_group=group,
                    meeting_url=url,
                    created_at=now,
                )
            )
        else:
            bot.config, bot.event_id, bot.join_time, bot.end_time = config, event.id, join, end
            bot.schedule_group, bot.meeting_url = group, url
        if existing is not None:
            previous_bot = existing.bot_id
            existing.bot_id, existing.scheduled_time, existing.schedule_group = bot.bot_id, join, group
            if request.recurring_event is not None:
                # Sent true or false, the flag is what the caller wants now; left out, it stays.
                existing.recurring_event = request.recurring_event
            if previous_bot != bot.bot_id:
                self.release(previous_bot, now)
            return existing, bot, True
        schedule = Schedule(
            schedule_id=f"sched_{uuid.uuid4()}",
            tenant=tenant,
            event_id=event.id,
            occurrence=occurrence,
            start=start,
            end=end,
            bot_id=bot.bot_id,
            scheduled_time=join,
            schedule_group=group,
            recurring_event=bool(request.recurring_event),
        )
        self._schedules[schedule.schedule_id] = schedule
        self._index[(tenant, event.id, occurrence)] = schedule.schedule_id
        return schedule, bot, False

    @staticmethod
    def _answer(
        event: CalendarEvent,
        schedule: Schedule,
        bot: Bot,
        request: ScheduleRequest,
        updated: bool,
        existing: int,
    ) -> dict[str, Any]:
        response: dict[str, Any] = {
            "scheduled": True,
            "schedule_id": schedule.schedule_id,
            "bot_id": bot.bot_id,
            "schedule_group": schedule.schedule_group,
            "event_id": event.id,
            "scheduled_time": format_instant(schedule.scheduled_time),
            "bot_config": dict(bot.config),
            "message": "",
            "updated_existing": updated,
            "existing_schedules": existing,
            "occurrence_date": iso_or_none(schedule.occurrence),
            "is_recurring_occurrence": schedule.occurrence is not None,
        }
        if request.recurring_event is not None:
            response["recurring_event"] = request.recurring_event
        return response

    def _schedule_series(
        self, tenant: str, event: CalendarEvent, request: ScheduleRequest, now: datetime, existing: int
    ) -> dict[str, Any]:
        if event.recurrence is None:
            raise ApiError(400, f"schedule_all_occurrences needs a recurring event; {event.id!r} is not one.")
        occurrences = self._events.upcoming(event, now, request.occurrence_limit)
        if not occurrences:
            raise ApiError(400, ENDED_MESSAGE)
        created: list[tuple[Schedule, Bot, bool]] = []
        failed: list[dict[str, Any]] = []
        conflict: ApiError | None = None
        for occurrence in occurrences:
            try:
                created.append(self._apply(tenant, event, occurrence, request, now))
            except ApiError as exc:
                conflict = conflict or exc
                failed.append({"occurrence_date": format_instant(occurrence), "error": exc.message})
        if not created and conflict is not None:
            raise conflict
        first_schedule, first_bot, _ = created[0]
        response = self._answer(event, first_schedule, first_bot, request, False, existing)
        response.update(
            message=f"Scheduled {len(created)} of {len(occurrences)} occurrences.",
            updated_existing=any(updated for _, _, updated in created),
            master_event_id=event.id,
            occurrences_scheduled=len(created),
            occurrences_failed=len(failed),
            total_occurrences=len(occurrences),
            schedules_created=[
                {
                    "occurrence_date": iso_or_none(schedule.occurrence),
                    "schedule_id": schedule.schedule_id,
                    "bot_id": bot.bot_id,
                    "scheduled_time": format_instant(schedule.scheduled_time),
                }
                for schedule, bot, _ in created
            ],
            failed_occurrences=failed,
        )
        return response

    # -- DELETE /calendar/schedule/{event_id} -----------------------------------------------------

    def unschedule(self, tenant: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """
        Cancel schedules of an event; bots left without a schedule are cancelled unless they have joined.

        Only schedules whose event or occurrence has not ended count (MeetStream drops past ones); one in
        progress is cancelled, but its bot stays in the meeting. Without flags: the event's schedule that is
        not per-occurrence, or else the next occurrence's; ``cancel_all_occurrences``: all; ``from_date``:
        those starting at or after it. A flag adds ``occurrences_affected``; none matched is a 404.

        :param tenant: The caller's API key.
        :param event_id: The event's id.
        :param body: The decoded JSON body ({} when absent).
        """
        cancel_all = bool(optional_bool(body, "cancel_all_occurrences"))
        raw_from = optional_field(body, "from_date")
        from_date = None if raw_from is None else instant(raw_from, "from_date")
        now = self._clock.now()
        event = self._events.get(event_id)
        mine = sorted(
            (s for s in self._schedules.values() if s.tenant == tenant and s.event_id == event_id),
            key=lambda s: (s.start, s.schedule_id),
        )
        if event is None and not mine:
            raise ApiError(404, f"Calendar event {event_id!r} not found.")
        live = [s for s in mine if s.end > now]
        if from_date is not None:
            targets = [s for s in live if s.start >= from_date]
        elif cancel_all:
            targets = live
        else:
            targets = [s for s in live if s.occurrence is None] or live[:1]
        if not targets:
            raise ApiError(404, f"No bot is scheduled for event {event_id!r}.")
        chosen = {s.schedule_id for s in targets}
        deleted = self.drop(lambda s: s.schedule_id in chosen, now)
        recurring = (event is not None and event.recurrence is not None) or any(
            s.occurrence is not None for s in targets
        )
        response: dict[str, Any] = {
            "unscheduled": True,
            "message": f"Cancelled {len(targets)} schedule(s).",
            "event_id": event_id,
            "cancelled_schedules": [s.schedule_id for s in targets],
            "schedules_cancelled": len(targets),
            "bots_deleted": deleted,
            "cancel_all_occurrences": cancel_all,
            "from_date": iso_or_none(from_date),
            "is_recurring_series": recurring,
        }
        if cancel_all or from_date is not None:
            response.update(master_event_id=event_id, occurrences_affected=len(targets))
        return response
