"""The emulator's thread-safe store and MeetStream's scheduling rules; knows nothing of HTTP."""

from __future__ import annotations

import bisect
import hashlib
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from meetstream_emulator.bots import (
    Bot,
    BotsMixin,
    checked_bot_settings,
)
from meetstream_emulator.calendar import (
    CalendarError,
    CalendarEvent,
    format_instant,
    meeting_platform,
    parse_events,
)
from meetstream_emulator.clock import Clock
from meetstream_emulator.inputs import (
    ApiError,
    Cursor,
    ScheduleRequest,
    decode_cursor,
    encode_cursor,
    instant,
    optional_bool,
    optional_field,
    parse_limit,
    parse_schedule_request,
)
from meetstream_emulator.recurrence import expand_occurrences
from meetstream_emulator.series_exceptions import (
    is_cancelled,
    make_instance,
    master_ref,
    original_start,
    series_ref,
)

CONFLICT_MODES = ("update", "409")
ENDED_MESSAGE = "Cannot schedule bot as calendar event has ended."

ScheduleKey = tuple[str, str, datetime | None]
BotKey = tuple[str, str | None, datetime | None]


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


def mask_tenant(api_key: str) -> str:
    """
    Name a tenant without revealing its API key.

    :param api_key: The tenant's API key.
    :return: ``tenant_`` and the first 8 hex digits of the key's SHA-256.
    """
    return "tenant_" + hashlib.sha256(api_key.encode()).hexdigest()[:8]


def _new_id(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4()}"


def expand(
    event: CalendarEvent, window_start: datetime, window_end: datetime | None, limit: int
) -> list[datetime]:
    """
    Occurrence starts of a recurring event, through the emulator's own series engine.

    :param event: A series master.
    :param window_start: Earliest start wanted.
    :param window_end: Latest start wanted, or None.
    :param limit: At most this many.
    """
    recurrence = event.recurrence
    if recurrence is None:
        return [event.start]
    try:
        return expand_occurrences(
            recurrence,
            event.start,
            timezone=event.timezone,
            window_start=window_start,
            window_end=window_end,
            limit=limit,
        )
    except (ValueError, OverflowError) as exc:
        raise ApiError(400, f"The recurrence of event {event.id!r} cannot be expanded: {exc}") from None


# Later than any window a request can reach in practice: a series that expands there, and from its
# start, expands for every window in between (recurrence's only window-dependent failure is a rule
# needing too many instants to reach the window, which grows with the window's start).
_FAR_WINDOW = datetime(9000, 1, 1, tzinfo=timezone.utc)


def read_calendar(data: Any, now: datetime) -> list[CalendarEvent]:
    """
    Parse calendar JSON and expand every series once, so that a bad rule is refused at load.

    Call it outside the state lock: a rule with ``COUNT`` or repeating more than daily is walked
    from its start, up to 200,000 instants, to the far window. A calendar that passes here fails
    no request with a bad rule later.

    :param data: A list of events or ``{"events": [...]}``; relative dates resolve against ``now``.
    :param now: The emulator clock's now.
    :raises ApiError: 400 naming the event and the reason.
    """
    try:
        events = parse_events(data, now)
    except CalendarError as exc:
        raise ApiError(400, str(exc)) from None
    for event in events:
        if event.recurrence is not None:
            expand(event, event.start, None, 2)
            expand(event, _FAR_WINDOW, None, 1)
    return events


class EmulatorState(BotsMixin):
    """
    Everything the emulator remembers, behind one lock: events, schedules, bots, clock and config.

    Each API key is its own tenant; calendar events are shared by all tenants.

    :param calendar: Calendar JSON (relative dates unresolved), re-resolved at every reset.
    :param join_lead_minutes: How long before the start a bot joins, unless ``join_at`` is given.
    :param conflict_mode: ``update`` (repeat schedules update in place) or ``409``.
    :param clock: The clock; a new real-time one by default.
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
        self._lock = threading.RLock()
        self._calendar_template = calendar if calendar is not None else []
        self._initial_config = self._checked_config(conflict_mode, join_lead_minutes)
        self._config = dict(self._initial_config)
        self._events: dict[str, CalendarEvent] = {}
        self._schedules: dict[str, Schedule] = {}
        self._schedule_index: dict[ScheduleKey, str] = {}
        self._bots: dict[str, Bot] = {}
        self._bot_index: dict[BotKey, str] = {}
        self._reset_bots()
        # Signs the events listing's cursors, so that a forged one is a 400 rather than a position.
        self._cursor_secret = secrets.token_bytes(32)
        self.reset()

    # -- controls ---------------------------------------------------------------------------------

    def reset(self, now: datetime | None = None) -> None:
        """
        Drop schedules and bots, restore the clock and config, and reload the calendar.

        :param now: An aware instant to freeze the clock at and resolve the calendar's relative
            dates against, so that the demo calendar is the same whatever today is; None runs the
            clock in real time and resolves against it.
        """
        # What the clock reads once reset; the calendar is read before taking the lock.
        base = datetime.now(timezone.utc) if now is None else now.astimezone(timezone.utc)
        events = read_calendar(self._calendar_template, base)
        with self._lock:
            self.clock.reset(frozen_at=None if now is None else base)
            self._config = dict(self._initial_config)
            self._schedules.clear()
            self._schedule_index.clear()
            self._bots.clear()
            self._bot_index.clear()
            self._reset_bots()
            self._events = {event.id: event for event in events}

    def load_events(self, data: Any, *, replace: bool = True) -> dict[str, Any]:
        """
        Load calendar events; schedules and bots are left as they are.

        :param data: A list of events or ``{"events": [...]}``; relative dates resolve against the clock.
        :param replace: Replace the whole calendar (True) or add/overwrite by id (False).
        """
        events = read_calendar(data, self.clock.now())
        with self._lock:
            if replace:
                self._events = {}
            self._events.update({event.id: event for event in events})
            return {"loaded": len(events), "total": len(self._events), "replace": replace}

    def move_event(
        self, event_id: str, start: datetime, end: datetime | None = None, occurrence: datetime | None = None
    ) -> dict[str, Any]:
        """
        Move a single event (same id, later ``updated_at``), or one occurrence of a series.

        An occurrence that moves gets an exception instance, as Google and Outlook list one; bots
        stay where they were, as MeetStream leaves them until a client moves them.

        :param event_id: The event, or the series master.
        :param start: The new start.
        :param end: The new end; the same duration when None.
        :param occurrence: For a series: the original start of the occurrence to move.
        """
        with self._lock:
            now = self.clock.now()
            event = self._live_event(event_id)
            if event.recurrence is None:
                if occurrence is not None:
                    raise ApiError(400, f"{event_id!r} is not a series; leave occurrence out.")
                event.end = end or start + event.duration
                event.start, event.updated_at = start, now
                return event.to_api([])
            instance = self._new_instance(event, occurrence, start=start, end=end, cancelled=False, now=now)
            return instance.to_api([])

    def cancel_occurrence(
        self, event_id: str, occurrence: datetime, *, drop_schedules: bool = True
    ) -> dict[str, Any]:
        """
        Cancel one occurrence of a series: a cancelled exception instance appears in the listing.

        :param event_id: The series master.
        :param occurrence: The original start of the occurrence.
        :param drop_schedules: Drop the occurrence's schedules and cancel bots left without one, as
            MeetStream does for a cancelled meeting; False leaves them, as before MeetStream catches up.
        """
        with self._lock:
            now = self.clock.now()
            master = self._live_event(event_id)
            instance = self._new_instance(master, occurrence, start=None, end=None, cancelled=True, now=now)
            if drop_schedules:
                self._drop_schedules(lambda s: s.event_id == master.id and s.occurrence == occurrence, now)
            return instance.to_api([])

    def delete_event(self, event_id: str, *, drop_schedules: bool = True) -> dict[str, Any]:
        """
        Delete an event: it stays listed with ``is_deleted: true``, as MeetStream lists deleted events.

        :param event_id: The event (a master deletes the whole series).
        :param drop_schedules: Drop its schedules and cancel bots left without one, as MeetStream
            does for deleted events; False leaves them, as before MeetStream catches up.
        """
        with self._lock:
            now = self.clock.now()
            event = self._live_event(event_id)
            event.is_deleted, event.updated_at = True, now
            if drop_schedules:
                self._drop_schedules(lambda s: s.event_id == event.id, now)
            return event.to_api([])

    def _new_instance(
        self,
        master: CalendarEvent,
        occurrence: datetime | None,
        *,
        start: datetime | None,
        end: datetime | None,
        cancelled: bool,
        now: datetime,
    ) -> CalendarEvent:
        if occurrence is None:
            raise ApiError(400, f"{master.id!r} is a series: give the occurrence to change.")
        previous = self._exceptions_of(master).get(occurrence)
        if previous is None and expand(master, occurrence, occurrence + timedelta(seconds=1), 1) != [
            occurrence
        ]:
            raise ApiError(400, f"{format_instant(occurrence)} is not an occurrence of {master.id!r}.")
        start = start or occurrence
        instance = make_instance(
            master,
            occurrence,
            start=start,
            end=end or start + master.duration,
            cancelled=cancelled,
            now=now,
        )
        self._events[instance.id] = instance
        return instance

    def _drop_schedules(self, which: Any, now: datetime) -> None:
        for schedule in [s for s in self._schedules.values() if which(s)]:
            del self._schedules[schedule.schedule_id]
            del self._schedule_index[(schedule.tenant, schedule.event_id, schedule.occurrence)]
            self._release_if_orphan(schedule.bot_id, now)

    @staticmethod
    def _checked_config(conflict_mode: Any, join_lead_minutes: Any) -> dict[str, Any]:
        mode = str(conflict_mode)
        if mode not in CONFLICT_MODES:
            raise ApiError(
                400, f"conflict_mode must be one of {list(CONFLICT_MODES)}, got {conflict_mode!r}."
            )
        if (
            isinstance(join_lead_minutes, bool)
            or not isinstance(join_lead_minutes, int)
            or join_lead_minutes < 0
        ):
            raise ApiError(400, "join_lead_minutes must be an integer >= 0.")
        return {"conflict_mode": mode, "join_lead_minutes": join_lead_minutes}

    def config(self) -> dict[str, Any]:
        """The runtime configuration: scheduling, then bots and transcripts."""
        with self._lock:
            return {**self._config, **self._bot_settings}

    def set_config(
        self, *, conflict_mode: Any = None, join_lead_minutes: Any = None, **bot_settings: Any
    ) -> dict[str, Any]:
        """
        Change the runtime configuration; None leaves a setting as it is.

        :param conflict_mode: ``update`` or ``409`` (the integer 409 is accepted too).
        :param join_lead_minutes: Minutes before the start that bots join.
        :param bot_settings: Bots and transcripts settings (``meetstream_emulator.bots.BOT_SETTINGS``).
        """
        with self._lock:
            # Both checked before either changes: a bad setting changes nothing.
            config = self._checked_config(
                self._config["conflict_mode"] if conflict_mode is None else conflict_mode,
                self._config["join_lead_minutes"] if join_lead_minutes is None else join_lead_minutes,
            )
            self._bot_settings = checked_bot_settings(self._bot_settings, bot_settings)
            self._config = config
            return {**self._config, **self._bot_settings}

    def dump(self) -> dict[str, Any]:
        """Every schedule and bot, for the demo's table and for tests; tenants are masked."""
        with self._lock:
            now = self.clock.now()
            schedules = sorted(self._schedules.values(), key=lambda s: (s.scheduled_time, s.schedule_id))
            bots = sorted(self._bots.values(), key=lambda b: (b.join_time, b.bot_id))
            return {
                "now": format_instant(now),
                "config": dict(self._config),
                "events": len(self._events),
                "schedules": [self._dump_schedule(schedule, now) for schedule in schedules],
                "bots": [
                    {
                        "bot_id": bot.bot_id,
                        "tenant": mask_tenant(bot.tenant),
                        "deduplication_key": bot.deduplication_key,
                        "event_id": bot.event_id,
                        "occurrence_date": _iso_or_none(bot.occurrence),
                        "scheduled_join_time": format_instant(bot.join_time),
                        "status": bot.status(now),
                        "schedule_group": bot.schedule_group,
                        "source": bot.source,
                        "meeting_url": bot.meeting_url,
                        "transcript_id": bot.transcript_id,
                        "transcript_status": self._transcript_state(bot, now),
                    }
                    for bot in bots
                ],
            }

    def _dump_schedule(self, schedule: Schedule, now: datetime) -> dict[str, Any]:
        bot = self._bots[schedule.bot_id]
        return {
            "schedule_id": schedule.schedule_id,
            "tenant": mask_tenant(schedule.tenant),
            "event_id": schedule.event_id,
            "occurrence_date": _iso_or_none(schedule.occurrence),
            "bot_id": schedule.bot_id,
            "scheduled_time": format_instant(schedule.scheduled_time),
            "schedule_group": schedule.schedule_group,
            "deduplication_key": bot.deduplication_key,
            "status": bot.status(now),
            "recurring_event": schedule.recurring_event,
        }

    def all_events(self) -> list[dict[str, Any]]:
        """Every loaded event in API shape, without bots (for the events control)."""
        with self._lock:
            return [event.to_api([]) for event in sorted(self._events.values(), key=_event_order)]

    # -- POST /calendar/schedule/{event_id} ---------------------------------------------------------

    def schedule(self, tenant: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """
        Schedule a bot for an event, one occurrence, or a whole series.

        :param tenant: The caller's API key.
        :param event_id: The decoded event id.
        :param body: The decoded JSON body.
        """
        request = parse_schedule_request(body)
        with self._lock:
            now = self.clock.now()
            event = self._live_event(event_id)
            existing = sum(
                1 for s in self._schedules.values() if s.tenant == tenant and s.event_id == event_id
            )
            if request.schedule_all_occurrences:
                return self._schedule_series(tenant, event, request, now, existing)
            occurrence = self._resolve_occurrence(event, request.occurrence_date, now)
            end = (occurrence or event.start) + event.duration
            if end <= now:
                raise ApiError(400, ENDED_MESSAGE)
            if request.join_at is not None and request.join_at >= end:
                # A join_at already past but before the end is fine: the bot joins at once.
                raise ApiError(
                    400, f"bot_config.join_at must be before the meeting ends ({format_instant(end)})."
                )
            schedule, bot, updated = self._apply(tenant, event, occurrence, request, now)
            response = self._schedule_response(event, schedule, bot, request, updated, existing)
            response["message"] = "Bot schedule updated." if updated else "Bot scheduled successfully."
            return response

    def _live_event(self, event_id: str) -> CalendarEvent:
        event = self._events.get(event_id)
        if event is None or is_cancelled(event):
            raise ApiError(404, f"Calendar event {event_id!r} not found.")
        return event

    def _resolve_occurrence(
        self, event: CalendarEvent, requested: datetime | None, now: datetime
    ) -> datetime | None:
        if event.recurrence is None:
            if requested is not None and requested != event.start:
                raise ApiError(
                    400,
                    f"occurrence_date {format_instant(requested)} does not match the start of event "
                    f"{event.id!r} ({format_instant(event.start)}), which is not recurring.",
                )
            # A single event's only occurrence is the event itself: one schedule identity, not two.
            return None
        if requested is not None:
            # The window holds exactly one instant: the requested one, if the series has it.
            if expand(event, requested, requested + timedelta(seconds=1), 1) != [requested]:
                raise ApiError(
                    400,
                    f"occurrence_date {format_instant(requested)} is not an occurrence of {event.id!r}.",
                )
            replaced = self._exceptions_of(event).get(requested)
            if replaced is not None:
                change = "cancelled" if is_cancelled(replaced) else f"moved; schedule event {replaced.id!r}"
                raise ApiError(
                    400, f"occurrence_date {format_instant(requested)} of {event.id!r} was {change}."
                )
            return requested
        upcoming = self._upcoming(event, now, 1)
        if not upcoming:
            raise ApiError(400, ENDED_MESSAGE)
        return upcoming[0]

    def _upcoming(self, event: CalendarEvent, now: datetime, limit: int) -> list[datetime]:
        # An occurrence in progress has not ended, so it is still schedulable; one that ends exactly
        # now has, so the window opens a microsecond (datetime's resolution) after that start.
        return self._series_starts(event, now - event.duration + timedelta(microseconds=1), None, limit)

    def _exceptions_of(self, master: CalendarEvent) -> dict[datetime, CalendarEvent]:
        """The master's exception instances, by the original start of the occurrence each replaces."""
        ref = series_ref(master)
        found: dict[datetime, CalendarEvent] = {}
        for event in self._events.values():
            original = original_start(event) if master_ref(event) == ref else None
            if original is not None:
                found[original] = event
        return found

    def _series_starts(
        self, event: CalendarEvent, window_start: datetime, window_end: datetime | None, limit: int
    ) -> list[datetime]:
        """The series' own occurrences: its rule, less those an exception instance moved or cancelled."""
        replaced = self._exceptions_of(event)
        starts = expand(event, window_start, window_end, limit + len(replaced))
        return [start for start in starts if start not in replaced][:limit]

    def _meeting_end(self, bot: Bot) -> datetime:
        """When a bot's meeting ends as the calendar says now: it may have moved since it was scheduled."""
        event = self._events.get(bot.event_id) if bot.event_id is not None else None
        if event is None:
            return bot.end_time
        if bot.occurrence is None:
            return event.end
        instance = self._exceptions_of(event).get(bot.occurrence)
        if instance is not None and not is_cancelled(instance):
            return instance.end
        return bot.occurrence + event.duration

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
        join = request.join_at or start - timedelta(minutes=self._config["join_lead_minutes"])
        schedule_id = self._schedule_index.get((tenant, event.id, occurrence))
        existing = self._schedules[schedule_id] if schedule_id else None
        if existing is not None and self._config["conflict_mode"] == "409":
            raise ApiError(
                409,
                f"Event {event.id!r} already has a scheduled bot.",
                bot_id=existing.bot_id,
                schedule_id=existing.schedule_id,
            )
        bot = self._reusable_bot(tenant, request.deduplication_key, occurrence, now)
        config = {**request.bot_config, "deduplication_key": request.deduplication_key}
        if bot is None:
            bot = Bot(
                bot_id=_new_id(),
                tenant=tenant,
                deduplication_key=request.deduplication_key,
                occurrence=occurrence,
                config=config,
                event_id=event.id,
                join_time=join,
                end_time=end,
                schedule_group=group,
                meeting_url=url,
                joining=self._calendar_joining(),
            )
            self._adopt(bot)
            self._bot_index[(tenant, bot.deduplication_key, occurrence)] = bot.bot_id
        else:
            # A shared bot follows the schedule applied last.
            bot.config, bot.event_id, bot.join_time, bot.end_time = config, event.id, join, end
            bot.schedule_group, bot.meeting_url = group, url
        if existing is not None:
            previous_bot = existing.bot_id
            existing.bot_id, existing.scheduled_time, existing.schedule_group = bot.bot_id, join, group
            if request.recurring_event is not None:
                # Sent true or false, the flag is what the caller wants now; left out, it stays.
                existing.recurring_event = request.recurring_event
            if previous_bot != bot.bot_id:
                self._release_if_orphan(previous_bot, now)
            return existing, bot, True
        schedule = Schedule(
            schedule_id=_new_id("sched_"),
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
        self._schedule_index[(tenant, event.id, occurrence)] = schedule.schedule_id
        return schedule, bot, False

    def _reusable_bot(self, tenant: str, key: str, occurrence: datetime | None, now: datetime) -> Bot | None:
        bot_id = self._bot_index.get((tenant, key, occurrence))
        if bot_id is None:
            return None
        bot = self._bots[bot_id]
        if bot.status(now) in ("Stopped", "Done", "Cancelled"):
            # A bot that has left its meeting is not brought back; the key gets a fresh bot.
            del self._bot_index[(tenant, key, occurrence)]
            return None
        return bot

    def _release_if_orphan(self, bot_id: str, now: datetime) -> bool:
        # Cancels a bot that no schedule references any more; True when it did.
        if any(schedule.bot_id == bot_id for schedule in self._schedules.values()):
            return False
        bot = self._bots[bot_id]
        if bot.status(now) != "Scheduled":
            # A bot in its meeting stays there, and one that has left keeps its Done.
            return False
        bot.cancelled_at = now
        if self._bot_index.get((bot.tenant, bot.deduplication_key, bot.occurrence)) == bot_id:
            del self._bot_index[(bot.tenant, bot.deduplication_key, bot.occurrence)]
        return True

    def _schedule_response(
        self,
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
            "occurrence_date": _iso_or_none(schedule.occurrence),
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
        occurrences = self._upcoming(event, now, request.occurrence_limit)
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
        response = self._schedule_response(event, first_schedule, first_bot, request, False, existing)
        response.update(
            message=f"Scheduled {len(created)} of {len(occurrences)} occurrences.",
            updated_existing=any(updated for _, _, updated in created),
            master_event_id=event.id,
            occurrences_scheduled=len(created),
            occurrences_failed=len(failed),
            total_occurrences=len(occurrences),
            schedules_created=[
                {
                    "occurrence_date": _iso_or_none(schedule.occurrence),
                    "schedule_id": schedule.schedule_id,
                    "bot_id": bot.bot_id,
                    "scheduled_time": format_instant(schedule.scheduled_time),
                }
                for schedule, bot, _ in created
            ],
            failed_occurrences=failed,
        )
        return response

    # -- DELETE /calendar/schedule/{event_id} ---------------------------------------------------------

    def unschedule(self, tenant: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """
        Cancel schedules of an event; bots left without a schedule are deleted unless they have joined.

        Only schedules whose event or occurrence has not ended count: MeetStream drops past ones.
        Without flags: the event's schedule that is not per-occurrence, or else the schedule of the
        next occurrence. ``cancel_all_occurrences``: all of them. ``from_date``: those whose
        occurrence starts at or after it.

        :param tenant: The caller's API key.
        :param event_id: The decoded event id.
        :param body: The decoded JSON body ({} when absent).
        """
        cancel_all = bool(optional_bool(body, "cancel_all_occurrences"))
        raw_from = optional_field(body, "from_date")
        from_date = None if raw_from is None else instant(raw_from, "from_date")
        with self._lock:
            now = self.clock.now()
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
            affected_bots = {s.bot_id for s in targets}
            for schedule in targets:
                del self._schedules[schedule.schedule_id]
                del self._schedule_index[(schedule.tenant, schedule.event_id, schedule.occurrence)]
            deleted = sum(1 for bot_id in sorted(affected_bots) if self._release_if_orphan(bot_id, now))
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
                "from_date": _iso_or_none(from_date),
                "is_recurring_series": recurring,
            }
            if cancel_all or from_date is not None:
                response.update(master_event_id=event_id, occurrences_affected=len(targets))
            return response

    # -- GET /calendar/scheduled ---------------------------------------------------------------------

    def list_scheduled(self, tenant: str, limit: str | None) -> dict[str, Any]:
        """
        The tenant's bots that have not joined yet, by join time, truncated at ``limit``.

        :param tenant: The caller's API key.
        :param limit: The raw ``limit`` query value.
        """
        count = parse_limit(limit, default=100)
        with self._lock:
            now = self.clock.now()
            bots = sorted(
                (b for b in self._bots.values() if b.tenant == tenant and b.status(now) == "Scheduled"),
                key=lambda b: (b.join_time, b.bot_id),
            )
            return {
                "scheduled_bots": [
                    {
                        "bot_id": bot.bot_id,
                        "platform": bot.schedule_group,
                        "status": "Scheduled",
                        "scheduled_join_time": format_instant(bot.join_time),
                        "custom_attributes": bot.custom_attributes(),
                        "bot_username": bot.username,
                        "is_scheduled": True,
                    }
                    for bot in bots[:count]
                ]
            }

    # -- /calendar/scheduled/{bot_id} and /bots/{bot_id}/status ----------------------------------------

    def _tenant_bot(self, tenant: str, bot_id: str, *, include_cancelled: bool = False) -> Bot:
        bot = self._bots.get(bot_id)
        if bot is None or (bot.cancelled_at is not None and not include_cancelled):
            raise ApiError(404, f"Bot {bot_id!r} not found.")
        if bot.tenant != tenant:
            raise ApiError(403, f"Bot {bot_id!r} belongs to another API key.")
        return bot

    def update_bot(self, tenant: str, bot_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """
        Change a scheduled bot's join time, name or custom attributes (merged).

        :param tenant: The caller's API key.
        :param bot_id: The decoded bot id.
        :param body: The decoded JSON body.
        """
        raw_join = optional_field(body, "scheduled_join_time")
        join = None if raw_join is None else instant(raw_join, "scheduled_join_time")
        username = optional_field(body, "bot_username")
        if username is not None and (not isinstance(username, str) or not username):
            raise ApiError(400, "bot_username must be a non-empty string.")
        attributes = optional_field(body, "custom_attributes")
        if attributes is not None and not isinstance(attributes, dict):
            raise ApiError(400, "custom_attributes must be an object.")
        with self._lock:
            now = self.clock.now()
            bot = self._tenant_bot(tenant, bot_id)
            status = bot.status(now)
            if status != "Scheduled":
                raise ApiError(400, f"Bot {bot_id!r} can no longer be changed (status {status}).")
            if join is not None and join <= now:
                raise ApiError(400, "scheduled_join_time must be in the future.")
            meeting_end = self._meeting_end(bot)
            if join is not None and join >= meeting_end:
                raise ApiError(400, "scheduled_join_time must be before the meeting ends.")
            updated: list[str] = []
            schedule_updated = False
            if join is not None:
                updated.append("scheduled_join_time")
                schedule_updated = join != bot.join_time
                # A bot moved with its meeting stays until the meeting's end as it is now.
                bot.join_time, bot.end_time = join, meeting_end
                for schedule in self._schedules.values():
                    if schedule.bot_id == bot.bot_id:
                        schedule.scheduled_time = join
            if username is not None:
                updated.append("bot_username")
                bot.config = {**bot.config, "bot_name": username}
            if attributes is not None:
                updated.append("custom_attributes")
                current = bot.config.get("custom_attributes")
                merged = {**(current if isinstance(current, dict) else {}), **attributes}
                bot.config = {**bot.config, "custom_attributes": merged}
            return {
                "message": "Scheduled bot updated." if updated else "Nothing to update.",
                "bot_id": bot.bot_id,
                "updated_fields": updated,
                "schedule_updated": schedule_updated,
            }

    def delete_bot(self, tenant: str, bot_id: str) -> dict[str, Any]:
        """
        Delete a bot that has not joined yet, and every schedule pointing to it.

        :param tenant: The caller's API key.
        :param bot_id: The decoded bot id.
        """
        with self._lock:
            now = self.clock.now()
            bot = self._tenant_bot(tenant, bot_id)
            status = bot.status(now)
            if status != "Scheduled":
                raise ApiError(400, f"Bot {bot_id!r} has already joined its meeting (status {status}).")
            self._drop_schedules(lambda s: s.bot_id == bot_id, now)
            self._release_if_orphan(bot_id, now)
            return {"message": "Scheduled bot deleted.", "bot_id": bot_id}

    # -- GET /calendar/events ----------------------------------------------------------------------

    def list_events(self, tenant: str, query: dict[str, str]) -> dict[str, Any]:
        """
        One page of events overlapping a window, ordered by (start_time, id).

        Cursors are keysets, not offsets: ``next`` names the last event of the page and ``previous``
        the first, so events added or removed before that point neither repeat nor skip one.

        :param tenant: The caller's API key (the ``bots`` of each event are this tenant's).
        :param query: ``time_min``, ``time_max``, ``calendar_id``, ``sync``, ``limit``, ``cursor``.
        """
        limit = parse_limit(query.get("limit"), default=50)
        sync = query.get("sync")
        if sync is not None and sync.lower() not in ("true", "false", "1", "0"):
            raise ApiError(400, "sync must be true or false.")
        cursor = decode_cursor(query["cursor"], self._cursor_secret) if query.get("cursor") else None
        with self._lock:
            now = self.clock.now()
            if cursor is not None:
                time_min, time_max, calendar_id = cursor.time_min, cursor.time_max, cursor.calendar_id
            else:
                raw_min, raw_max = query.get("time_min"), query.get("time_max")
                time_min = now - timedelta(days=1) if raw_min is None else instant(raw_min, "time_min")
                time_max = now + timedelta(days=28) if raw_max is None else instant(raw_max, "time_max")
                calendar_id = query.get("calendar_id")
            if time_max <= time_min:
                raise ApiError(400, "time_max must be after time_min.")
            matching = [
                event
                for event in sorted(self._events.values(), key=_event_order)
                if (calendar_id is None or event.calendar_id == calendar_id)
                and self._overlaps(event, time_min, time_max)
            ]
            keys = [_event_order(event) for event in matching]
            if cursor is None:
                first, last = 0, min(limit, len(matching))
            elif cursor.direction == "next":
                first = bisect.bisect_right(keys, cursor.key)
                last = min(first + limit, len(matching))
            else:
                last = bisect.bisect_left(keys, cursor.key)
                first = max(0, last - limit)

            def position(direction: str, key: tuple[datetime, str]) -> str:
                here = Cursor(time_min, time_max, calendar_id, direction, key)
                return encode_cursor(here, self._cursor_secret)

            following = position("next", keys[last - 1]) if first < last < len(matching) else None
            preceding = position("previous", keys[first]) if 0 < first < last else None
            return {
                "next": following,
                "previous": preceding,
                "has_more": following is not None,
                "results": [
                    event.to_api(self._event_bots(tenant, event.id)) for event in matching[first:last]
                ],
            }

    def _overlaps(self, event: CalendarEvent, time_min: datetime, time_max: datetime) -> bool:
        if event.recurrence is None:
            if event.start < time_max and event.end > time_min:
                return True
            # An exception instance is listed with the window of the occurrence it replaces too, so
            # that a client sees an occurrence moved out of the window, or cancelled, as such.
            original = original_start(event) if master_ref(event) else None
            return original is not None and original < time_max and original + event.duration > time_min
        starts = self._series_starts(event, time_min - event.duration, time_max, 3)
        return any(start < time_max and start + event.duration > time_min for start in starts)

    def _event_bots(self, tenant: str, event_id: str) -> list[dict[str, Any]]:
        schedules = sorted(
            (s for s in self._schedules.values() if s.tenant == tenant and s.event_id == event_id),
            key=lambda s: (s.scheduled_time, s.schedule_id),
        )
        return [
            {
                "bot_id": s.bot_id,
                "start_time": format_instant(s.scheduled_time),
                "deduplication_key": self._bots[s.bot_id].deduplication_key,
                "meeting_url": self._bots[s.bot_id].meeting_url,
                "occurrence_date": _iso_or_none(s.occurrence),
            }
            for s in schedules
        ]


def _event_order(event: CalendarEvent) -> tuple[datetime, str]:
    return (event.start, event.id)


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)
