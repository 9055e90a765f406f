"""A calendar listing's meetings, with each series' exceptions applied, and the people of each."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_meetstream.constants import MAX_OCCURRENCE_LIMIT
from airflow_provider_meetstream.recurrence import (
    RecurrenceError,
    expand_occurrences,
    format_occurrence,
    parse_aware_datetime,
    resolve_timezone,
    series_from_event,
)
from airflow_provider_meetstream.rules.people import (
    People,
    Person,
    is_all_day,
    is_recurring,
    read_description,
    read_people,
)

_UTC = timezone.utc
#: Where a meeting is listed: MeetStream's event id, and the occurrence of a series (None otherwise).
Seat = tuple[str, datetime | None]


@dataclass(frozen=True)
class Meeting:
    """
    One meeting a bot may join: a single event, or one occurrence of a series.

    :param identity: What stays the same when the meeting moves: the iCalendar UID (the same in
        every attendee's calendar), plus the original start for an occurrence of a series.
    :param event_id: The MeetStream event to schedule against: the event itself, the series master
        for an occurrence of the rule, or the exception instance for an occurrence that moved.
    :param occurrence_date: The occurrence to schedule on the master (UTC ISO 8601), or None.
    :param start: The meeting's start, UTC.
    :param end: The meeting's end, UTC.
    :param title: Google's ``summary`` or Graph's ``subject``.
    :param meeting_url: The link the bot joins.
    :param platform: ``zoom``, ``google_meet``, ``microsoft_teams``... as MeetStream names it.
    :param calendar_id: The calendar the event was read from.
    :param event: The listed event the meeting comes from (master, instance or single event).
    :param organizer: Who hosts it, when the calendar says.
    :param attendees: Everyone invited, rooms included (``Person.resource``).
    :param owner: The calendar's owner as this copy names them, with their own response.
    :param owner_hosts: Whether the calendar's owner hosts it; None when unknown.
    :param people_complete: Whether the payload lists everyone it gathers (else the people known
        are a part, and "at most", "every" and "none" cannot be told).
    :param recurring: Whether it belongs to a series.
    :param all_day: Whether it lasts whole days.
    :param description: The description as plain text ("" when none).
    :param copies: The same meeting as other calendars list it (other attendees' copies), each
        with its own owner and response.
    """

    identity: str
    event_id: str
    occurrence_date: str | None
    start: datetime
    end: datetime
    title: str
    meeting_url: str | None
    platform: str | None
    calendar_id: str | None
    event: Mapping[str, Any] = field(repr=False, compare=False)
    organizer: Person | None = None
    attendees: tuple[Person, ...] = field(default=(), repr=False)
    owner: Person | None = None
    owner_hosts: bool | None = None
    people_complete: bool = False
    recurring: bool = False
    all_day: bool = False
    description: str = field(default="", repr=False)
    copies: tuple[Meeting, ...] = field(default=(), repr=False, compare=False)

    def people(self) -> tuple[Person, ...]:
        """The people it gathers: the organizer and the attendees, rooms left out, each address once."""
        found: dict[str, Person] = {}
        unnamed: list[Person] = []
        for person in (self.organizer, *self.attendees):
            if person is None or person.resource:
                continue
            if person.email:
                found.setdefault(person.email.casefold(), person)
            else:
                unnamed.append(person)
        return (*found.values(), *unnamed)


@dataclass(frozen=True)
class Calendar:
    """
    What a calendar listing says, read once.

    :param meetings: Live meetings, by identity (the same meeting in two calendars counts once).
    :param cancelled: Identities of meetings the calendar cancelled or deleted.
    :param problems: Series that could not be expanded: ``(event id, reason)``.
    :param seats: By identity, every ``(event id, occurrence)`` the meeting is listed under: its
        own, and those of its copies in other attendees' calendars, where another bot may sit.
    """

    meetings: dict[str, Meeting]
    cancelled: frozenset[str]
    problems: tuple[tuple[str, str], ...] = ()
    seats: Mapping[str, tuple[Seat, ...]] = field(default_factory=dict)


def _raw(event: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = event.get("raw")
    return raw if isinstance(raw, Mapping) else {}


def _master_ref(event: Mapping[str, Any]) -> str | None:
    """The calendar's id of the series an exception instance belongs to, or None."""
    raw = _raw(event)
    value = raw.get("recurringEventId") or raw.get("seriesMasterId")
    return str(value) if value else None


def _original_start(event: Mapping[str, Any]) -> datetime | None:
    """The occurrence an exception instance replaces: Google's originalStartTime, Graph's originalStart."""
    raw = _raw(event)
    google = raw.get("originalStartTime")
    if isinstance(google, Mapping):
        if google.get("dateTime"):
            text = str(google["dateTime"])
            try:
                return parse_aware_datetime(text, "originalStartTime").astimezone(_UTC)
            except RecurrenceError:
                # A naive dateTime is local to the given zone.
                zone = resolve_timezone(google.get("timeZone") or "UTC")
                return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(_UTC)
        if google.get("date"):
            day = datetime.fromisoformat(str(google["date"])[:10])
            return day.replace(tzinfo=_UTC)
    graph = raw.get("originalStart")
    if isinstance(graph, str) and graph:
        # Graph writes seven decimals ("...:00.0000000Z"); Python reads at most six.
        text = re.sub(r"(\.\d{6})\d+", r"\1", graph)
        return parse_aware_datetime(text, "originalStart").astimezone(_UTC)
    return None


def _is_cancelled(event: Mapping[str, Any]) -> bool:
    raw = _raw(event)
    return bool(event.get("is_deleted")) or raw.get("status") == "cancelled" or raw.get("isCancelled") is True


def title_of(event: Mapping[str, Any]) -> str:
    """An event's title as listed: Google's ``summary``, Graph's ``subject``, else ``title``; or ""."""
    raw = _raw(event)
    return str(raw.get("summary") or raw.get("subject") or event.get("title") or "")


def _uid(event: Mapping[str, Any]) -> str:
    raw = _raw(event)
    return str(event.get("ical_uid") or raw.get("iCalUID") or raw.get("iCalUId") or event.get("id"))


def _instant(value: Any, argument: str) -> datetime:
    return parse_aware_datetime(value, argument).astimezone(_UTC)


@dataclass(frozen=True)
class _Details:
    """What every meeting of one listed event shares, read once per event."""

    people: People
    recurring: bool
    all_day: bool
    description: str


def _details(
    event: Mapping[str, Any], read: dict[int, _Details], series: Mapping[str, Any] | None = None
) -> _Details:
    found = read.get(id(event))
    if found is None:
        raw = _raw(event)
        platform = event.get("platform")
        people = read_people(raw, platform if isinstance(platform, str) else None)
        description = read_description(raw)
        if series is not None and people.organizer is None and not people.attendees:
            # An instance listed without its people has the series' (the same invitation), and
            # keeps the owner's own answer when it gives one (declined for this time only).
            of_series = _details(series, read)
            people = replace(
                of_series.people,
                owner=people.owner or of_series.people.owner,
                owner_hosts=of_series.people.owner_hosts
                if people.owner_hosts is None
                else people.owner_hosts,
            )
            description = description or of_series.description
        found = read[id(event)] = _Details(people, is_recurring(raw), is_all_day(raw), description)
    return found


def _meeting(
    event: Mapping[str, Any],
    identity: str,
    start: datetime,
    duration: timedelta,
    read: dict[int, _Details],
    *,
    occurrence: datetime | None = None,
    series: Mapping[str, Any] | None = None,
    listed: Mapping[str, Any] | None = None,
) -> Meeting:
    """
    One meeting: scheduled on ``event``; its title, text and people as ``listed`` (an instance of
    ``series`` at its own time, declined or renamed for this time only) or else ``event`` give them.
    """
    shown = listed or event
    details = _details(shown, read, series)
    return Meeting(
        identity=identity,
        event_id=str(event["id"]),
        occurrence_date=None if occurrence is None else format_occurrence(occurrence),
        start=start,
        end=start + duration,
        title=title_of(shown) or (title_of(series) if series is not None else ""),
        meeting_url=event.get("meeting_url") or None,
        platform=event.get("meeting_platform") or None,
        calendar_id=event.get("calendar_id"),
        event=event,
        organizer=details.people.organizer,
        attendees=details.people.attendees,
        owner=details.people.owner,
        owner_hosts=details.people.owner_hosts,
        people_complete=details.people.complete,
        recurring=details.recurring or occurrence is not None,
        all_day=details.all_day,
        description=details.description,
    )


def read_calendar(
    events: Iterable[Mapping[str, Any]], window_start: datetime, window_end: datetime
) -> Calendar:
    """
    Turn a ``GET /calendar/events`` listing into its meetings.

    A series gives its occurrences that start in ``[window_start, window_end)``; single events and
    moved occurrences are kept wherever they start, so that a bot can be told its meeting moved out
    of the window (the plan keeps only what starts in it). The occurrences are the master's rule,
    minus its EXDATEs, minus the occurrences its cancelled instances name, with each moved instance
    at its new time (see "Exceptions to a series" in the API contract). The same meeting seen in
    two attendees' calendars (the same iCalendar UID and occurrence, or the same start and meeting
    URL) counts once; the copy with the smallest identity, then event id, wins, so the choice is
    the same on every run.

    :param events: The listed events (masters, exception instances and single events).
    :param window_start: The window's start, aware.
    :param window_end: The window's end, aware.
    """
    listed = [event for event in events if isinstance(event, Mapping) and event.get("id")]
    masters = {str(_raw(e).get("id") or e["id"]): e for e in listed if _raw(e).get("recurrence")}
    instances = [e for e in listed if _master_ref(e) and not _raw(e).get("recurrence")]
    singles = [e for e in listed if not _master_ref(e) and not _raw(e).get("recurrence")]
    candidates: list[Meeting] = []
    cancelled: set[str] = set()
    problems: list[tuple[str, str]] = []
    read: dict[int, _Details] = {}

    exceptions: dict[str, dict[datetime, Mapping[str, Any]]] = {}
    for instance in instances:
        original = _original_start(instance) or _instant(instance["start_time"], "start_time")
        exceptions.setdefault(str(_master_ref(instance)), {})[original] = instance

    for ref, master in masters.items():
        uid = _uid(master)
        try:
            series = series_from_event(master)
            duration = _instant(master["end_time"], "end_time") - series.start
            rule_starts = expand_occurrences(
                series.recurrence,
                series.start,
                timezone=series.timezone,
                window_start=window_start,
                window_end=window_end,
                # As many as one expansion returns: the window, not the cap, bounds a series here.
                limit=MAX_OCCURRENCE_LIMIT,
            )
        except (RecurrenceError, KeyError) as err:
            problems.append((str(master["id"]), str(err)))
            continue
        replaced = exceptions.pop(ref, {})
        for start in rule_starts:
            if start not in replaced:
                identity = f"{uid}|{format_occurrence(start)}"
                candidates.append(_meeting(master, identity, start, duration, read, occurrence=start))
        for original, instance in replaced.items():
            identity = f"{uid}|{format_occurrence(original)}"
            if _is_cancelled(instance):
                cancelled.add(identity)
                continue
            start = _instant(instance["start_time"], "start_time")
            length = _instant(instance["end_time"], "end_time") - start
            if start == original and window_start <= start < window_end:
                # An instance at its own time (Graph lists plain occurrences too): the master's slot.
                candidates.append(
                    _meeting(
                        master,
                        identity,
                        start,
                        length,
                        read,
                        occurrence=start,
                        series=master,
                        listed=instance,
                    )
                )
            else:
                # Moved: scheduled on the instance itself, still known by the slot it came from.
                candidates.append(_meeting(instance, identity, start, length, read, series=master))

    for orphans in exceptions.values():
        # Instances whose master is outside the listing: each is its own meeting.
        singles.extend(orphans.values())
    for event in singles:
        identity = _uid(event)
        if _master_ref(event):
            original = _original_start(event) or _instant(event["start_time"], "start_time")
            identity = f"{identity}|{format_occurrence(original)}"
        if _is_cancelled(event):
            cancelled.add(identity)
            continue
        start = _instant(event["start_time"], "start_time")
        candidates.append(
            _meeting(event, identity, start, _instant(event["end_time"], "end_time") - start, read)
        )

    meetings: dict[str, Meeting] = {}
    seats: dict[str, list[Seat]] = {}
    copies: dict[str, list[Meeting]] = {}
    by_slot: dict[tuple[datetime, str], str] = {}
    for meeting in sorted(candidates, key=lambda m: (m.identity, m.event_id)):
        slot = (meeting.start, meeting.meeting_url or "")
        seat = (meeting.event_id, meeting.start if meeting.occurrence_date else None)
        copy_of = meeting.identity if meeting.identity in meetings else by_slot.get(slot)
        if copy_of is not None and (meeting.identity in meetings or meeting.meeting_url):
            seats[copy_of].append(seat)
            copies.setdefault(copy_of, []).append(meeting)
            continue
        meetings[meeting.identity] = meeting
        seats[meeting.identity] = [seat]
        if meeting.meeting_url:
            by_slot[slot] = meeting.identity
    for identity, others in copies.items():
        meetings[identity] = replace(meetings[identity], copies=tuple(others))
    return Calendar(
        meetings,
        frozenset(cancelled - set(meetings)),
        tuple(problems),
        {identity: tuple(found) for identity, found in seats.items()},
    )
