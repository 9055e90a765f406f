"""Translate Microsoft Graph's ``patternedRecurrence`` into an RRULE in the series' own zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from datetime import timezone as dt_timezone
from typing import Any

from dateutil.rrule import rrulestr

from airflow_provider_meetstream.recurrence.errors import fail
from airflow_provider_meetstream.recurrence.rfc5545 import RecurrenceSet, read_lines
from airflow_provider_meetstream.recurrence.zones import in_zone, lookup_zone

_UTC = dt_timezone.utc

_GRAPH_WEEKDAYS = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}

_GRAPH_INDEXES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}

_GRAPH_FREQUENCIES = {
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "absolutemonthly": "MONTHLY",
    "relativemonthly": "MONTHLY",
    "absoluteyearly": "YEARLY",
    "relativeyearly": "YEARLY",
}


def read_graph(
    recurrence: Mapping[str, Any], start: datetime, event_zone: tzinfo | None, horizon: datetime
) -> RecurrenceSet:
    """
    Read a Graph ``patternedRecurrence`` into a series repeating in ``range.recurrenceTimeZone``.

    :param recurrence: The ``patternedRecurrence`` dict, with ``pattern`` and ``range``.
    :param start: The first occurrence's start; only its local time of day is used.
    :param event_zone: The event's zone, used when the range names none.
    :param horizon: The window's start: a rule without ``COUNT`` restarts just before it.
    :raises RecurrenceError: Naming ``recurrence``, for a missing or malformed Graph field.
    """
    pattern = recurrence.get("pattern")
    span = recurrence.get("range")
    if not isinstance(pattern, Mapping):
        fail("recurrence", recurrence, "Graph field 'pattern' is missing or not an object")
    if not isinstance(span, Mapping):
        fail("recurrence", recurrence, "Graph field 'range' is missing or not an object")
    # Graph evaluates the pattern in range.recurrenceTimeZone, whereas start.timeZone is only the
    # zone Graph writes times in ("UTC" unless the request asked for another), so the range wins.
    zone = lookup_zone(span.get("recurrenceTimeZone")) or event_zone
    if zone is None and span.get("recurrenceTimeZone"):
        fail(
            "recurrence",
            span["recurrenceTimeZone"],
            "Graph field 'range.recurrenceTimeZone' is neither an IANA zone nor a Windows zone "
            "name; pass timezone with the IANA name",
        )
    zone = zone or start.tzinfo or _UTC
    first_day = _graph_date(span, "startDate")
    local_time = in_zone(start, zone, "start", start).time().replace(microsecond=0)
    dtstart = datetime.combine(first_day, local_time, tzinfo=zone)
    # The series' first instant, unlike start, is only built here: on 0001-01-01 east of UTC or
    # 9999-12-31 west of it, it may have no UTC value, and the expansion would take the overflow
    # for the end of the series and quietly return nothing.
    in_zone(
        dtstart,
        _UTC,
        "recurrence",
        span.get("startDate"),
        item=f"Graph field 'range.startDate' at {local_time} in {zone} ",
    )
    pattern_parts = _graph_pattern_parts(pattern)
    if pattern_parts[0] in ("FREQ=MONTHLY", "FREQ=YEARLY"):
        dtstart = _graph_first_occurrence(recurrence, pattern_parts, dtstart)
    rule = ";".join(pattern_parts + _graph_range_parts(span))
    line = f"RRULE:{rule}"
    return read_lines([line], dtstart, horizon, dtstart_is_instance=False)


def _graph_first_occurrence(recurrence: object, pattern_parts: list[str], dtstart: datetime) -> datetime:
    """
    The first day on or after ``range.startDate`` that a monthly or yearly Graph pattern matches.

    Graph counts ``interval`` from that first occurrence (its docs: every other first Thursday
    from 29 August 2017 begins on 7 September), whereas an RRULE counts from the DTSTART month
    or year, which for a start date past that month's day would skip the first occurrence.
    """
    every_period = [part for part in pattern_parts if not part.startswith("INTERVAL=")]
    try:
        first = next(iter(rrulestr(";".join(every_period), dtstart=dtstart)), None)
    except (ValueError, OverflowError) as exc:
        fail("recurrence", recurrence, f"cannot be expanded: {exc}", cause=exc)
    return dtstart if first is None else first


def _graph_pattern_parts(pattern: Mapping[str, Any]) -> list[str]:
    kind = pattern.get("type")
    kind = kind.lower() if isinstance(kind, str) else ""
    if kind not in _GRAPH_FREQUENCIES:
        fail(
            "recurrence",
            pattern.get("type"),
            "Graph field 'pattern.type' must be daily, weekly, absoluteMonthly, relativeMonthly, "
            "absoluteYearly or relativeYearly",
        )
    interval = 1 if pattern.get("interval") is None else _graph_int(pattern, "interval", 1, None)
    parts = [f"FREQ={_GRAPH_FREQUENCIES[kind]}", f"INTERVAL={interval}"]
    if kind == "weekly":
        parts.append(f"BYDAY={_graph_weekdays(pattern)}")
        first_weekday = pattern.get("firstDayOfWeek") or "sunday"
        if not isinstance(first_weekday, str) or first_weekday.lower() not in _GRAPH_WEEKDAYS:
            fail("recurrence", first_weekday, "Graph field 'pattern.firstDayOfWeek' is not a weekday")
        # Graph's weeks start on Sunday unless it says otherwise; with an interval above 1 that
        # decides which weeks are the "every other" ones.
        parts.append(f"WKST={_GRAPH_WEEKDAYS[first_weekday.lower()]}")
    if kind in ("absoluteyearly", "relativeyearly"):
        parts.append(f"BYMONTH={_graph_int(pattern, 'month', 1, 12)}")
    if kind in ("absolutemonthly", "absoluteyearly"):
        day = _graph_int(pattern, "dayOfMonth", 1, 31)
        if day <= 28:
            parts.append(f"BYMONTHDAY={day}")
        else:
            # Exchange moves a day past the month's end to its last day: take the last of the
            # days from the 28th to the one asked for that the month has.
            parts.append(f"BYMONTHDAY={','.join(str(d) for d in range(28, day + 1))};BYSETPOS=-1")
    if kind in ("relativemonthly", "relativeyearly"):
        index = pattern.get("index") or "first"
        if not isinstance(index, str) or index.lower() not in _GRAPH_INDEXES:
            fail("recurrence", index, f"Graph field 'pattern.index' must be one of {list(_GRAPH_INDEXES)}")
        parts.append(f"BYDAY={_graph_weekdays(pattern)};BYSETPOS={_GRAPH_INDEXES[index.lower()]}")
    return parts


def _graph_range_parts(span: Mapping[str, Any]) -> list[str]:
    kind = span.get("type")
    kind = kind.lower() if isinstance(kind, str) else kind
    if kind == "noend":
        return []
    if kind == "enddate":
        # isoformat, not strftime: %Y drops the zeros of a year before 1000 on glibc.
        return [f"UNTIL={_graph_date(span, 'endDate').isoformat().replace('-', '')}"]
    if kind == "numbered":
        return [f"COUNT={_graph_int(span, 'numberOfOccurrences', 1, None, where='range')}"]
    fail("recurrence", span.get("type"), "Graph field 'range.type' must be endDate, noEnd or numbered")


def _graph_int(
    fields: Mapping[str, Any], name: str, low: int, high: int | None, *, where: str = "pattern"
) -> int:
    value = fields.get(name)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        fail("recurrence", value, f"Graph field '{where}.{name}' must be an integer {bounds}")
    return value


def _graph_weekdays(pattern: Mapping[str, Any]) -> str:
    days = pattern.get("daysOfWeek")
    if not isinstance(days, list) or not days:
        fail("recurrence", days, "Graph field 'pattern.daysOfWeek' must be a non-empty list of weekdays")
    codes = []
    for day in days:
        if not isinstance(day, str) or day.lower() not in _GRAPH_WEEKDAYS:
            fail("recurrence", day, "Graph field 'pattern.daysOfWeek' holds something that is not a weekday")
        codes.append(_GRAPH_WEEKDAYS[day.lower()])
    return ",".join(dict.fromkeys(codes))


def _graph_date(span: Mapping[str, Any], name: str) -> date:
    value = span.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        fail("recurrence", value, f"Graph field 'range.{name}' must be a date like 2027-01-15", cause=exc)
