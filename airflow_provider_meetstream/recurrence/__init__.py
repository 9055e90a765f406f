"""Expand a calendar event's recurrence (Google RFC 5545 lines or a Graph pattern) into UTC start instants.

The expansion is python-dateutil's ``rrule``, driven with ``zoneinfo`` zones. dateutil is already a
dependency of Airflow, and Google hands the rules over as a list of lines, so the heavier route
(``icalendar`` to parse a whole calendar plus ``recurring-ical-events`` to expand it) would add two
dependencies to read what is already split into lines. This package only does what dateutil does not:

- it reads ``RDATE`` and ``EXDATE`` lines itself, because each may carry its own ``TZID`` or be a bare
  date, and rewrites ``UNTIL`` to UTC, because dateutil refuses a floating ``UNTIL`` with a zoned start;
- it translates Microsoft Graph's ``patternedRecurrence`` into an ``RRULE`` and maps Windows zone
  names to IANA ones with CLDR's table (from ``tzlocal``);
- it combines rules, ``RDATE`` and ``EXDATE`` in UTC instead of with ``rruleset``: Python compares two
  datetimes of the same zone by wall clock and answers ``False`` to ``==`` across zones for any time
  in a DST gap or fold (PEP 495), so ``rruleset`` would keep an ``EXDATE`` given in UTC, or drop the
  wrong one, exactly around a DST change;
- it starts a rule without ``COUNT`` at the period just before the window, so that a daily series
  begun years ago costs no more than one begun last week.

The package is pure: it imports nothing from Airflow, and of the provider only its constants. It
fails with its own :class:`RecurrenceError` (a ``ValueError``); the operators and the validators
turn that into ``MeetStreamInputError``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from dateutil.rrule import rrule

from airflow_provider_meetstream.constants import MAX_OCCURRENCE_LIMIT
from airflow_provider_meetstream.recurrence.errors import RecurrenceError, fail
from airflow_provider_meetstream.recurrence.graph import read_graph
from airflow_provider_meetstream.recurrence.rfc5545 import RecurrenceSet, read_lines
from airflow_provider_meetstream.recurrence.zones import in_zone, resolve_timezone

__all__ = [
    "EventSeries",
    "RecurrenceError",
    "expand_occurrences",
    "format_occurrence",
    "parse_aware_datetime",
    "raw_recurrence",
    "raw_timezone",
    "resolve_timezone",
    "series_from_event",
]

_UTC = dt_timezone.utc

# The last instant a datetime can hold, for bounds that would otherwise overflow past it.
_LAST_INSTANT = datetime.max.replace(tzinfo=_UTC)

# A local time in a DST gap takes the offset from before the gap (RFC 5545), so a rule may yield it
# up to one DST shift after instants that follow it; looking this far past a bound keeps the
# result exact when a rule yields several instants close to a gap.
_DST_DISORDER = timedelta(days=1)

# Sub-daily rules and rules with COUNT are walked from the series start; past this many instants
# the caller gets an error instead of a task that hangs.
_MAX_SCANNED_INSTANTS = 200_000


def expand_occurrences(
    recurrence: Sequence[str] | Mapping[str, Any],
    start: datetime | str,
    *,
    timezone: str | None = None,
    window_start: datetime | str | None = None,
    window_end: datetime | str | None = None,
    limit: int = 52,
) -> list[datetime]:
    """
    List the start instants of a recurring event's occurrences inside a window, in UTC.

    The rule is expanded in the event's own zone, so a weekly 09:00 New York meeting stays at 09:00
    local across DST changes (13:00Z in summer, 14:00Z in winter). A local time that a DST change
    skips takes the offset from before the change, and one that it repeats takes the first of the
    two, as RFC 5545 says.

    For RFC 5545 lines, ``start`` is always the first occurrence (unless an ``EXDATE`` removes it),
    also when the ``RRULE`` does not produce it or there is only ``RDATE``: RFC 5545 3.8.5.1 says
    DTSTART defines the first instance of the recurrence set, and 3.3.10 that it "always counts as
    the first occurrence" of ``COUNT``, so such a rule adds ``COUNT - 1`` instances of its own.
    (dateutil leaves such a DTSTART out; recurring-ical-events keeps it but adds ``COUNT`` rule
    instances.) ``COUNT`` and Graph's ``numberOfOccurrences`` count from the series start, not from
    the window, and an excluded occurrence still counts. A Graph series starts on its first
    occurrence on or after ``range.startDate``, and ``interval`` counts from there, as Graph does.

    :param recurrence: Google Calendar's ``raw.recurrence``: a list of RFC 5545 lines (``RRULE``,
        ``RDATE``, ``EXDATE``, with ``TZID`` and ``VALUE=DATE`` parameters), or Microsoft Graph's
        ``patternedRecurrence`` dict with ``pattern`` and ``range``. An ``absoluteMonthly`` or
        ``absoluteYearly`` day beyond the end of a month falls on that month's last day, as
        Exchange does, whereas an RFC 5545 ``BYMONTHDAY=31`` skips short months.
    :param start: The first occurrence's start: an aware datetime, or an ISO 8601 string with a
        UTC offset or ``Z``. For Graph, only its local time of day is used; the series begins on
        ``range.startDate``.
    :param timezone: The event's zone, an IANA name or a Windows name (Graph). For Graph, the
        pattern's ``range.recurrenceTimeZone`` wins when it names a known zone (Graph's
        ``start.timeZone`` is usually ``"UTC"``, the zone it writes times in, not the one the
        series repeats in). When None, the zone of ``start``; a ``start`` with a fixed UTC offset
        cannot follow DST, so pass the zone whenever it is known.
    :param window_start: Only occurrences starting at or after this instant count; default now.
        An aware datetime or an ISO 8601 string with an offset.
    :param window_end: Only occurrences starting strictly before this instant count; default no
        end. An aware datetime or an ISO 8601 string with an offset.
    :param limit: The most occurrences to return, counted from ``window_start``: 1 to
        ``constants.MAX_OCCURRENCE_LIMIT``.
    :return: Aware UTC datetimes, ascending, without duplicates.
    :raises RecurrenceError: Naming the argument: a malformed line or Graph field (named in
        the message), an unknown zone, a naive instant, an instant outside the years 1 to 9999
        once in UTC or in the event's zone, a limit out of range, or a rule so dense
        that it would take more than 200,000 instants to reach the window.
    """
    limit = _check_limit(limit)
    # Each instant goes to UTC here, before any expansion, so that one outside the years 1 to 9999
    # there fails naming its argument instead of as a bare OverflowError deep in the expansion.
    series_start = parse_aware_datetime(start, "start")
    in_zone(series_start, _UTC, "start", start)
    if window_start is None:
        lower = datetime.now(_UTC)
    else:
        lower = in_zone(
            parse_aware_datetime(window_start, "window_start"), _UTC, "window_start", window_start
        )
    upper = None
    if window_end is not None:
        upper = in_zone(parse_aware_datetime(window_end, "window_end"), _UTC, "window_end", window_end)
    if upper is not None and upper < lower:
        fail("window_end", window_end, "is earlier than window_start")
    event_zone = None if timezone is None else resolve_timezone(timezone)
    if isinstance(recurrence, Mapping):
        series = read_graph(recurrence, series_start, event_zone, lower)
    elif isinstance(recurrence, Sequence):
        lines = recurrence.splitlines() if isinstance(recurrence, str) else recurrence
        zone = event_zone or series_start.tzinfo or _UTC
        # In range in UTC, a start may still fall before year 1 or after 9999 in the event's zone.
        series = read_lines(lines, in_zone(series_start, zone, "start", start), lower)
    else:
        fail("recurrence", recurrence, "must be a list of RFC 5545 lines or a Graph patternedRecurrence")
    return _collect(recurrence, series, lower, upper, limit)


def format_occurrence(dt: datetime) -> str:
    """
    Format an occurrence's start as UTC ISO 8601 with ``Z`` and without fractions of a second.

    The result is stable for one instant whatever zone ``dt`` carries, so it can be part of a
    per-occurrence deduplication key, e.g. ``2026-12-01T14:00:00Z``.

    :param dt: An aware datetime (or an ISO 8601 string with an offset).
    """
    instant = in_zone(parse_aware_datetime(dt, "dt"), _UTC, "dt", dt)
    return instant.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


@dataclass(frozen=True)
class EventSeries:
    """
    What a MeetStream event says about its series, ready for :func:`expand_occurrences`.

    :param recurrence: Google's RFC 5545 lines or Graph's ``patternedRecurrence``.
    :param start: The first occurrence's start.
    :param timezone: The zone the series is expanded in, when the event names one.
    """

    recurrence: list[str] | dict[str, Any]
    start: datetime
    timezone: str | None


def raw_recurrence(raw: Mapping[str, Any]) -> list[str] | dict[str, Any] | None:
    """
    The rule in an event's ``raw`` payload: Google's lines or Graph's pattern; None for a single event.

    :param raw: The event's ``raw`` field.
    """
    value = raw.get("recurrence")
    if isinstance(value, list) and value:
        return [str(line) for line in value]
    if isinstance(value, dict) and value:
        return dict(value)
    return None


def raw_timezone(raw: Mapping[str, Any]) -> str | None:
    """
    The zone a series is expanded in: Graph's ``range.recurrenceTimeZone``, else ``raw.start.timeZone``.

    Graph writes ``start.timeZone`` as ``"UTC"`` unless the request asked for another zone, while
    the pattern repeats in ``recurrenceTimeZone``; Google's ``start.timeZone`` is the event's zone.

    :param raw: The event's ``raw`` field.
    """
    recurrence = raw.get("recurrence")
    if isinstance(recurrence, Mapping):
        span = recurrence.get("range")
        zone = span.get("recurrenceTimeZone") if isinstance(span, Mapping) else None
        if isinstance(zone, str) and zone:
            return zone
    start = raw.get("start")
    if isinstance(start, Mapping) and isinstance(start.get("timeZone"), str) and start["timeZone"]:
        return str(start["timeZone"])
    return None


def series_from_event(event: Mapping[str, Any]) -> EventSeries:
    """
    Read a recurring event's series from a ``GET /calendar/events`` item.

    The rule is ``raw.recurrence`` (Google lines or a Graph pattern), the start is ``start_time``,
    and the zone is Graph's ``raw.recurrence.range.recurrenceTimeZone``, else ``raw.start.timeZone``.

    :param event: One event as MeetStream lists it.
    :raises RecurrenceError: When the event has no recurrence or no readable start.
    """
    raw = event.get("raw")
    raw = raw if isinstance(raw, Mapping) else {}
    recurrence = raw_recurrence(raw)
    if recurrence is None:
        fail("event_id", event.get("id"), "is not a recurring event: its raw payload has no recurrence")
    start = parse_aware_datetime(event.get("start_time"), "start_time")  # type: ignore[arg-type]
    return EventSeries(recurrence, start, raw_timezone(raw))


def parse_aware_datetime(value: datetime | str, argument: str) -> datetime:
    """
    Read an instant given as an aware datetime or as an ISO 8601 string with an offset or ``Z``.

    A naive value is refused rather than guessed: which zone it meant is exactly what goes wrong
    with calendars.

    :param value: An aware datetime, returned unchanged, or a string such as
        ``2027-03-08T09:00:00-05:00`` or ``2027-03-08T14:00:00Z``, returned with a fixed offset.
    :param argument: The caller's name for the value, used in the error.
    :raises RecurrenceError: When the value is naive, not ISO 8601, or of another type.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            # Python 3.10's fromisoformat does not know "Z".
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            fail(argument, value, "is not an ISO 8601 date-time", cause=exc)
    else:
        fail(argument, value, "must be an aware datetime or an ISO 8601 string with a UTC offset")
    if parsed.utcoffset() is None:
        fail(argument, value, "has no UTC offset; add one (e.g. +00:00 or Z) or a tzinfo")
    return parsed


def _check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_OCCURRENCE_LIMIT:
        fail("limit", limit, f"must be an integer from 1 to {MAX_OCCURRENCE_LIMIT}")
    return limit


def _collect(
    recurrence: object, series: RecurrenceSet, lower: datetime, upper: datetime | None, limit: int
) -> list[datetime]:
    streams: list[Iterator[datetime]] = [_utc_instants(rule) for rule in series.rules]
    streams.append(iter(series.rdates))
    found: list[datetime] = []
    seen: set[datetime] = set()
    ceiling: datetime | None = None
    # Computed once and capped: inside the loop, an overflow past the year 9999 would be taken
    # for the end of the series, so a window_end on 31 December 9999 would return nothing.
    stop = None if upper is None else _later_by(upper, _DST_DISORDER)
    scanned = 0
    try:
        for instant in heapq.merge(*streams):
            scanned += 1
            if scanned > _MAX_SCANNED_INSTANTS:
                break
            if (stop is not None and instant >= stop) or (ceiling is not None and instant > ceiling):
                break
            if instant < lower or (upper is not None and instant >= upper) or instant in seen:
                continue
            if instant in series.exdates or _excluded_day(instant, series):
                continue
            seen.add(instant)
            found.append(instant)
            if len(found) == limit:
                # Nothing later than this can still displace one of the first `limit`.
                ceiling = _later_by(max(found), _DST_DISORDER)
    except OverflowError:
        # Instants past the year 9999 cannot be represented: the series ends there.
        pass
    except ValueError as exc:
        # dateutil rejects some BYxxx combinations only once it starts iterating.
        fail("recurrence", recurrence, f"cannot be expanded: {exc}", cause=exc)
    if scanned > _MAX_SCANNED_INSTANTS:
        fail(
            "recurrence",
            recurrence,
            f"needs more than {_MAX_SCANNED_INSTANTS} instants to reach the window; only rules without "
            "COUNT that repeat daily or less often skip straight to it",
        )
    return sorted(found)[:limit]


def _utc_instants(rule: rrule) -> Iterator[datetime]:
    for local in rule:
        yield local.astimezone(_UTC)


def _later_by(instant: datetime, delta: timedelta) -> datetime:
    """``instant + delta``, capped at the last representable instant instead of overflowing."""
    if instant > _LAST_INSTANT - delta:
        return _LAST_INSTANT
    return instant + delta


def _excluded_day(instant: datetime, series: RecurrenceSet) -> bool:
    """Tell whether an instant falls on a local date that ``EXDATE;VALUE=DATE`` excludes."""
    if not series.exdays:
        return False
    try:
        local = instant.astimezone(series.zone)
    except OverflowError:
        # An RDATE given in another zone may fall outside the years 1 to 9999 in the series'
        # zone, where no excluded date (itself a real date) can be.
        return False
    return local.date() in series.exdays
