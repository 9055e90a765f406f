"""
The calendar's model: events, their series and exception instances, and ``GET /calendar/events``.

Events are shared by every tenant; schedules and bots are not theirs to hold, so the listing asks
for each event's bots through a callable.
"""

from __future__ import annotations

import bisect
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from meetstream_emulator.calendar import CalendarError, CalendarEvent, format_instant, parse_events
from meetstream_emulator.clock import Clock
from meetstream_emulator.inputs import ApiError, Cursor, decode_cursor, encode_cursor, instant, parse_limit
from meetstream_emulator.recurrence import expand_occurrences
from meetstream_emulator.series_exceptions import (
    is_cancelled,
    make_instance,
    master_ref,
    original_start,
    series_ref,
)

ENDED_MESSAGE = "Cannot schedule bot as calendar event has ended."
#: Renders one tenant's bots of one event for the listing: ``bots_of(tenant, event_id)``.
BotsOf = Callable[[str, str], list[dict[str, Any]]]

# Later than any window a request can reach in practice: a series that expands there, and from its
# start, expands for every window in between (recurrence's only window-dependent failure is a rule
# needing too many instants to reach the window, which grows with the window's start).
_FAR_WINDOW = datetime(9000, 1, 1, tzinfo=timezone.utc)


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


def read_calendar(data: Any, now: datetime) -> list[CalendarEvent]:
    """
    Parse calendar JSON and expand every series once, so that a bad rule is refused at load.

    Call it outside the lock: a rule with ``COUNT`` or repeating more than daily is walked from its
    start, up to 200,000 instants, to the far window. A calendar that passes here fails no request
    with a bad rule later.

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


class Events:
    """
    The loaded calendar: single events, series masters and the exception instances of their occurrences.

    A moved or cancelled occurrence is an exception instance, listed as Google and Outlook list one;
    a deleted event stays listed with ``is_deleted: true``, as MeetStream lists it. Like every
    model, it takes no lock: its callers hold the backend's.

    :param clock: The emulator's clock.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._events: dict[str, CalendarEvent] = {}
        # Signs the listing's cursors, so that a forged one is a 400 rather than a position.
        self._cursor_secret = secrets.token_bytes(32)

    def load(self, events: list[CalendarEvent], *, replace: bool) -> int:
        """
        Replace the calendar, or add and overwrite events by id; returns how many are loaded now.

        :param events: Events read by :func:`read_calendar`.
        :param replace: Whether the events loaded before go.
        """
        if replace:
            self._events = {}
        self._events.update({event.id: event for event in events})
        return len(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def all(self) -> list[dict[str, Any]]:
        """Every loaded event in API shape, without bots, by start."""
        return [event.to_api([]) for event in sorted(self._events.values(), key=_event_order)]

    def get(self, event_id: str) -> CalendarEvent | None:
        """The event of this id, deleted or cancelled ones included; None when unknown."""
        return self._events.get(event_id)

    def live(self, event_id: str) -> CalendarEvent:
        """The event of this id, unless deleted or a cancelled instance: a 404 then."""
        event = self._events.get(event_id)
        if event is None or is_cancelled(event):
            raise ApiError(404, f"Calendar event {event_id!r} not found.")
        return event

    # -- changes, for the calendar controls -------------------------------------------------------

    def move(
        self, event_id: str, start: datetime, end: datetime | None, occurrence: datetime | None
    ) -> dict[str, Any]:
        """
        Move a single event (same id, later ``updated_at``), or one occurrence of a series.

        An occurrence that moves gets an exception instance; bots stay where they were, as
        MeetStream leaves them until a client moves them.

        :param event_id: The event, or the series master.
        :param start: The new start.
        :param end: The new end; the same duration when None.
        :param occurrence: For a series: the original start of the occurrence to move.
        :return: The moved event or the instance, as the listing shows it.
        """
        now = self._clock.now()
        event = self.live(event_id)
        if event.recurrence is None:
            if occurrence is not None:
                raise ApiError(400, f"{event_id!r} is not a series; leave occurrence out.")
            event.end = end or start + event.duration
            event.start, event.updated_at = start, now
            return event.to_api([])
        return self._new_instance(event, occurrence, start=start, end=end, cancelled=False).to_api([])

    def cancel(self, event_id: str, occurrence: datetime) -> CalendarEvent:
        """
        Cancel one occurrence of a series: a cancelled exception instance appears in the listing.

        :param event_id: The series master.
        :param occurrence: The original start of the occurrence.
        :return: The cancelled instance.
        """
        master = self.live(event_id)
        return self._new_instance(master, occurrence, start=None, end=None, cancelled=True)

    def delete(self, event_id: str) -> CalendarEvent:
        """
        Delete an event (a master deletes its series); it stays listed with ``is_deleted: true``.

        :param event_id: The event.
        """
        event = self.live(event_id)
        event.is_deleted, event.updated_at = True, self._clock.now()
        return event

    def revise(
        self, event_id: str, change: Callable[[CalendarEvent, datetime], dict[str, Any]]
    ) -> dict[str, Any]:
        """A live event (a master: its series) gets ``raw`` = ``change(event, now)``, ``updated_at`` now."""
        event, now = self.live(event_id), self._clock.now()
        event.raw, event.updated_at = change(event, now), now
        return event.to_api([])

    def _new_instance(
        self,
        master: CalendarEvent,
        occurrence: datetime | None,
        *,
        start: datetime | None,
        end: datetime | None,
        cancelled: bool,
    ) -> CalendarEvent:
        if occurrence is None:
            raise ApiError(400, f"{master.id!r} is a series: give the occurrence to change.")
        previous = self.exceptions_of(master).get(occurrence)
        if previous is None and not self.has_occurrence(master, occurrence):
            raise ApiError(400, f"{format_instant(occurrence)} is not an occurrence of {master.id!r}.")
        start = start or occurrence
        instance = make_instance(
            master,
            occurrence,
            start=start,
            end=end or start + master.duration,
            cancelled=cancelled,
            now=self._clock.now(),
        )
        self._events[instance.id] = instance
        return instance

    # -- series -----------------------------------------------------------------------------------

    @staticmethod
    def has_occurrence(master: CalendarEvent, start: datetime) -> bool:
        """
        Whether a series' rule has an occurrence starting at an instant.

        :param master: The series master.
        :param start: The instant.
        """
        # The window holds exactly one instant: the requested one, if the series has it.
        return expand(master, start, start + timedelta(seconds=1), 1) == [start]

    def exceptions_of(self, master: CalendarEvent) -> dict[datetime, CalendarEvent]:
        """
        The master's exception instances, by the original start of the occurrence each replaces.

        :param master: The series master.
        """
        ref = series_ref(master)
        found: dict[datetime, CalendarEvent] = {}
        for event in self._events.values():
            original = original_start(event) if master_ref(event) == ref else None
            if original is not None:
                found[original] = event
        return found

    def series_starts(
        self, event: CalendarEvent, window_start: datetime, window_end: datetime | None, limit: int
    ) -> list[datetime]:
        """
        The series' own occurrences: its rule, less those an exception instance moved or cancelled.

        :param event: The series master.
        :param window_start: Earliest start wanted.
        :param window_end: Latest start wanted, or None.
        :param limit: At most this many.
        """
        replaced = self.exceptions_of(event)
        starts = expand(event, window_start, window_end, limit + len(replaced))
        return [start for start in starts if start not in replaced][:limit]

    def upcoming(self, event: CalendarEvent, now: datetime, limit: int) -> list[datetime]:
        """
        The series' occurrences that have not ended, first ``limit`` of them.

        :param event: The series master.
        :param now: The emulator's now.
        :param limit: At most this many.
        """
        # An occurrence in progress has not ended, so it is still schedulable; one that ends exactly
        # now has, so the window opens a microsecond (datetime's resolution) after that start.
        return self.series_starts(event, now - event.duration + timedelta(microseconds=1), None, limit)

    def resolve_occurrence(
        self, event: CalendarEvent, requested: datetime | None, now: datetime
    ) -> datetime | None:
        """
        The occurrence a schedule request means: None for a single event, else one of the series.

        :param event: The event scheduled.
        :param requested: ``occurrence_date`` (of the series, not moved or cancelled; for a single event, its
            start), or None for the next occurrence that has not ended.
        :param now: The emulator's now.
        """
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
            if not self.has_occurrence(event, requested):
                raise ApiError(
                    400,
                    f"occurrence_date {format_instant(requested)} is not an occurrence of {event.id!r}.",
                )
            replaced = self.exceptions_of(event).get(requested)
            if replaced is not None:
                change = "cancelled" if is_cancelled(replaced) else f"moved; schedule event {replaced.id!r}"
                raise ApiError(
                    400, f"occurrence_date {format_instant(requested)} of {event.id!r} was {change}."
                )
            return requested
        upcoming = self.upcoming(event, now, 1)
        if not upcoming:
            raise ApiError(400, ENDED_MESSAGE)
        return upcoming[0]

    def meeting_end(self, event_id: str | None, occurrence: datetime | None, fallback: datetime) -> datetime:
        """
        When a meeting ends as the calendar says now: it may have moved since a bot was scheduled.

        :param event_id: The bot's event, or None for an ad-hoc bot.
        :param occurrence: The bot's occurrence, or None.
        :param fallback: The end the bot knows, for an event no longer loaded.
        """
        event = self._events.get(event_id) if event_id is not None else None
        if event is None:
            return fallback
        if occurrence is None:
            return event.end
        instance = self.exceptions_of(event).get(occurrence)
        if instance is not None and not is_cancelled(instance):
            return instance.end
        return occurrence + event.duration

    # -- GET /calendar/events ---------------------------------------------------------------------

    def page(self, tenant: str, query: Mapping[str, str], bots_of: BotsOf) -> dict[str, Any]:
        """
        One page of the events overlapping a window (for a series, any occurrence), by (start_time, id).

        Cursors are keysets, not offsets: ``next`` (None on the last page) names the page's last event and
        ``previous`` (None on the first page, or an empty one) its first, so events added or removed before
        that point neither repeat nor skip one. A cursor holds the window and filter, and outlives a reset.

        :param tenant: The caller's API key (the ``bots`` of each event are this tenant's).
        :param query: ``time_min`` (default now - 1 day), ``time_max`` (now + 28 days), ``calendar_id``,
            ``sync`` (a boolean, no effect), ``limit`` (1 to 100, default 50), ``cursor`` (with limit only).
        :param bots_of: Renders the tenant's bots of an event.
        """
        limit = parse_limit(query.get("limit"), default=50)
        sync = query.get("sync")
        if sync is not None and sync.lower() not in ("true", "false", "1", "0"):
            raise ApiError(400, "sync must be true or false.")
        cursor = decode_cursor(query["cursor"], self._cursor_secret) if query.get("cursor") else None
        now = self._clock.now()
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
            "results": [event.to_api(bots_of(tenant, event.id)) for event in matching[first:last]],
        }

    def _overlaps(self, event: CalendarEvent, time_min: datetime, time_max: datetime) -> bool:
        if event.recurrence is None:
            if event.start < time_max and event.end > time_min:
                return True
            # An exception instance is listed with the window of the occurrence it replaces too, so
            # that a client sees an occurrence moved out of the window, or cancelled, as such.
            original = original_start(event) if master_ref(event) else None
            return original is not None and original < time_max and original + event.duration > time_min
        starts = self.series_starts(event, time_min - event.duration, time_max, 3)
        return any(start < time_max and start + event.duration > time_min for start in starts)


def _event_order(event: CalendarEvent) -> tuple[datetime, str]:
    return (event.start, event.id)
