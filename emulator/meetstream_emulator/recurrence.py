"""
The emulator's own series engine: Google RFC 5545 lines or Graph patterns, via recurring-ical-events.

A rule it cannot expand is a ``ValueError`` saying why: a bad ``RRULE`` part, an unknown zone or ``TZID``,
a malformed Graph pattern, a line that is neither ``RRULE``, ``RDATE`` nor ``EXDATE``, only ``EXDATE``
lines, a ``COUNT`` (or Graph ``numberOfOccurrences``) above 10,000, or more than 100,000 instants walked in
one expansion. An endless rule, ``HOURLY`` or finer included, is started near the window rather than walked
from its first occurrence, so it expands as cheaply in the year 9000 as next week.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo

from meetstream_emulator.graph import graph_series
from meetstream_emulator.rule_parts import MAX_COUNT, rule_parts
from meetstream_emulator.zones import event_zone, zone_named

__all__ = ["MAX_OCCURRENCE_LIMIT", "expand_occurrences", "raw_recurrence", "raw_timezone"]

#: Most occurrences one expansion may return.
MAX_OCCURRENCE_LIMIT = 1000

_UTC = dt_timezone.utc
# The engine cannot step past year 9999; a series that reaches it simply ends there.
_HORIZON = datetime(9999, 1, 1, tzinfo=_UTC)
# Bounds the work of one call (with COUNT's, in rule_parts), so that a hostile rule fails, not hangs.
_MAX_SCANNED = 100_000

_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400}
_MONTHS = {"MONTHLY": 1, "YEARLY": 12}
# How far a rebased DTSTART may lag the window: it only moves once per block, so that consecutive
# requests hit the same cached calendar, while the engine walks at most one block before the window.
_BLOCK = {"SECONDLY": timedelta(hours=1), "MINUTELY": timedelta(days=1), "HOURLY": timedelta(days=7)}
_LINE = re.compile(r"(?P<name>[A-Za-z-]+)(?P<params>(?:;[^:;]+)*):(?P<value>.+)")


def raw_recurrence(raw: Mapping[str, Any]) -> list[str] | dict[str, Any] | None:
    """
    Read the rule of an event's ``raw`` payload: Google's RFC 5545 lines or Graph's pattern.

    :param raw: The event's ``raw`` field.
    :return: A list of lines, a ``{"pattern", "range"}`` dict, or None for a single event.
    """
    value = raw.get("recurrence")
    if isinstance(value, list) and value:
        return [str(line) for line in value]
    if isinstance(value, Mapping) and value:
        return dict(value)
    return None


def raw_timezone(raw: Mapping[str, Any]) -> str | None:
    """
    Read the zone a series repeats in from an event's ``raw`` payload.

    Graph's ``start.timeZone`` is the zone Graph wrote the times in ("UTC" unless asked otherwise);
    the series repeats in ``range.recurrenceTimeZone``, so that one wins when present.

    :param raw: The event's ``raw`` field.
    """
    recurrence = raw.get("recurrence")
    span = recurrence.get("range") if isinstance(recurrence, Mapping) else None
    if (
        isinstance(span, Mapping)
        and isinstance(span.get("recurrenceTimeZone"), str)
        and span["recurrenceTimeZone"]
    ):
        return str(span["recurrenceTimeZone"])
    start = raw.get("start")
    if isinstance(start, Mapping) and isinstance(start.get("timeZone"), str) and start["timeZone"]:
        return str(start["timeZone"])
    return None


def expand_occurrences(
    recurrence: Sequence[str] | Mapping[str, Any],
    start: datetime,
    *,
    timezone: str | None = None,
    window_start: datetime,
    window_end: datetime | None = None,
    limit: int,
) -> list[datetime]:
    """
    List the UTC start instants of a series' occurrences with ``window_start <= start < window_end``.

    The series is expanded in its own zone, so 09:00 New York stays 09:00 local across DST. For RFC
    5545 lines ``start`` is DTSTART and always the first occurrence (unless an EXDATE removes it);
    for a Graph pattern only its local time of day is used and the series begins on the first day
    matching the pattern on or after ``range.startDate``.

    :param recurrence: Google's ``raw.recurrence`` lines, or Graph's ``patternedRecurrence``.
    :param start: The series' first start, an aware datetime.
    :param timezone: IANA or Windows zone name; None for the zone of ``start``.
    :param window_start: Earliest start wanted, aware.
    :param window_end: Starts strictly before this instant only; None for no end.
    :param limit: At most this many, the earliest from ``window_start``: 1 to ``MAX_OCCURRENCE_LIMIT``.
    :return: Aware UTC datetimes, ascending, without duplicates.
    :raises ValueError: For a malformed line or pattern, an unknown zone, a rule that never occurs,
        a naive datetime, a bad limit, or a series that needs too much work to reach the window.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_OCCURRENCE_LIMIT:
        raise ValueError(f"limit must be an integer from 1 to {MAX_OCCURRENCE_LIMIT}, got {limit!r}")
    for name, value in (("start", start), ("window_start", window_start), ("window_end", window_end)):
        if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
            raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    zone = event_zone(timezone, start)
    if isinstance(recurrence, Mapping):
        plan = _graph_plan(
            json.dumps(recurrence, sort_keys=True, default=str), start.astimezone(zone).time(), zone.key
        )
    elif isinstance(recurrence, Sequence) and not isinstance(recurrence, (str, bytes)):
        plan = _lines_plan(
            tuple(str(line) for line in recurrence), _local_text(start.astimezone(zone)), zone.key
        )
    else:
        raise ValueError("recurrence must be a list of RFC 5545 lines or a Graph patternedRecurrence dict")
    lower = window_start.astimezone(_UTC)
    upper = _HORIZON if window_end is None else min(window_end.astimezone(_UTC), _HORIZON)
    if upper <= lower:
        return []
    lines, dtstart = _rebase(plan, lower)
    return _collect(_engine(lines, dtstart, plan.zone), plan, lower, upper, limit)


@dataclass(frozen=True)
class _Plan:
    """A series ready for the engine: validated rule parts, the other lines, DTSTART and zone."""

    zone: str
    dtstart: datetime
    rules: tuple[tuple[tuple[str, str], ...], ...]
    other_lines: tuple[str, ...]


def _local_text(local: datetime) -> str:
    return local.strftime("%Y%m%dT%H%M%S")


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(_UTC).strftime("%Y%m%dT%H%M%SZ")


def _split_line(line: str) -> tuple[str, dict[str, str], str]:
    match = _LINE.fullmatch(line.strip())
    if match is None:
        raise ValueError(f"malformed recurrence line {line!r}: expected NAME[;PARAM=...]:VALUE")
    params: dict[str, str] = {}
    for item in filter(None, match["params"].split(";")):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"malformed parameter {item!r} in recurrence line {line!r}")
        params[key.upper()] = value.strip('"')
    return match["name"].upper(), params, match["value"].strip()


def _until_utc(text: str, zone: ZoneInfo, line: str) -> str:
    # RFC 5545 3.3.10: with a zoned DTSTART, UNTIL "MUST be specified as a date with UTC time"; the
    # engine reads a floating UNTIL as UTC and a DATE as its midnight. Google, and this emulator,
    # read a floating UNTIL as local time in the event's zone and a DATE as that whole local day, so
    # UNTIL is rewritten to the UTC instant those readings mean before the engine sees it.
    try:
        if re.fullmatch(r"\d{8}T\d{6}Z", text):
            return _utc_text(datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=_UTC))
        if re.fullmatch(r"\d{8}T\d{6}", text):
            return _utc_text(datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=zone))
        if re.fullmatch(r"\d{8}", text):
            next_day = datetime.strptime(text, "%Y%m%d").replace(tzinfo=zone) + timedelta(days=1)
            return _utc_text(next_day.astimezone(_UTC) - timedelta(seconds=1))
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"UNTIL={text} in {line!r} is not a valid date or date-time") from exc
    raise ValueError(f"UNTIL={text} in {line!r} must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ")


def _dateutil_rule(parts: Mapping[str, str], dtstart: datetime, line: str) -> Any:
    from dateutil.rrule import rrulestr

    try:
        return rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=dtstart)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"{line!r} is not a valid RRULE: {exc}") from exc


def _prepared_rule(value: str, line: str, dtstart: datetime, zone: ZoneInfo) -> dict[str, str] | None:
    parts = rule_parts(value, line)
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_utc(parts["UNTIL"], zone, line)
    rule = _dateutil_rule(parts, dtstart, line)
    # RFC 5545 3.3.10: DTSTART "always counts as the first occurrence", also when the rule does
    # not produce it. The engine adds such a DTSTART on top of COUNT rule instances, so the rule
    # gets one instance fewer (and is dropped when DTSTART was its only one).
    if "COUNT" in parts and next(iter(rule), None) != dtstart:
        if parts["COUNT"] == "1":
            return None
        parts["COUNT"] = str(int(parts["COUNT"]) - 1)
    return parts


def _date_line(
    name: str, params: Mapping[str, str], value: str, zone: ZoneInfo, dtstart: datetime, line: str
) -> str:
    tzid = params.get("TZID")
    kind = params.get("VALUE", "DATE-TIME").upper()
    if kind not in {"DATE", "DATE-TIME", "PERIOD"}:
        raise ValueError(f"unsupported VALUE={kind} in {line!r}")
    for item in value.split(","):
        head = item.split("/", 1)[0]
        if not re.fullmatch(r"\d{8}" if kind == "DATE" else r"\d{8}T\d{6}Z?", head):
            raise ValueError(f"malformed {name} value {item!r} in {line!r}")
    if name == "RDATE" and kind == "DATE":
        # RFC 5545 3.8.5.2 allows an RDATE date in a timed series but gives it no time; the engine
        # starts it at midnight. Google places it at the series' time of day, in the series' zone.
        days = [datetime.strptime(d, "%Y%m%d").date() for d in value.split(",")]
        moments = [_local_text(datetime.combine(d, dtstart.time())) for d in days]
        return f"RDATE;TZID={zone.key}:{','.join(moments)}"
    if tzid is not None:
        # A Windows TZID is rewritten to its IANA name; an unknown one is an error, never ignored.
        rest = "".join(f";{key}={text}" for key, text in params.items() if key != "TZID")
        return f"{name};TZID={zone_named(tzid).key}{rest}:{value}"
    return line.strip()


@functools.lru_cache(maxsize=512)
def _lines_plan(lines: tuple[str, ...], dtstart_text: str, zone_key: str) -> _Plan:
    zone = ZoneInfo(zone_key)
    dtstart = datetime.strptime(dtstart_text, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    rules: list[tuple[tuple[str, str], ...]] = []
    others: list[str] = []
    names: set[str] = set()
    for line in (text.strip() for text in lines):
        if not line:
            continue
        name, params, value = _split_line(line)
        if name == "RRULE":
            parts = _prepared_rule(value, line, dtstart, zone)
            if parts is not None:
                rules.append(tuple(parts.items()))
        elif name in {"RDATE", "EXDATE"}:
            others.append(_date_line(name, params, value, zone, dtstart, line))
        else:
            raise ValueError(f"unsupported recurrence line {line!r}: expected RRULE, RDATE or EXDATE")
        names.add(name)
    if not names & {"RRULE", "RDATE"}:
        # EXDATE only removes instances (RFC 5545 3.8.5.1): without RRULE or RDATE nothing repeats.
        raise ValueError(f"a series needs an RRULE or RDATE line, got only {list(lines)!r}")
    return _Plan(zone_key, dtstart, tuple(rules), tuple(others))


@functools.lru_cache(maxsize=512)
def _graph_plan(recurrence_json: str, time_of_day: time, zone_key: str) -> _Plan:
    series = graph_series(json.loads(recurrence_json))
    zone = ZoneInfo(zone_key)
    parts = dict(series.parts)
    # Graph's interval counts from the first occurrence on or after startDate, so that occurrence,
    # found with interval 1, becomes DTSTART (whose period the engine counts intervals from).
    probe = datetime.combine(series.start_date, time_of_day).replace(tzinfo=zone)
    first = next(iter(_dateutil_rule({**parts, "INTERVAL": "1", "COUNT": "1"}, probe, str(parts))), None)
    if first is None:
        raise ValueError(f"Graph recurrence pattern never occurs: {parts!r}")
    if series.end_date is not None:
        parts["UNTIL"] = _until_utc(series.end_date.strftime("%Y%m%d"), zone, "range.endDate")
    if series.count is not None:
        if not 1 <= series.count <= MAX_COUNT:
            raise ValueError(
                f"Graph recurrence range.numberOfOccurrences must be 1..{MAX_COUNT}, got {series.count}"
            )
        parts["COUNT"] = str(series.count)
    return _Plan(zone_key, first, (tuple(parts.items()),), ())


def _rebase(plan: _Plan, lower: datetime) -> tuple[tuple[str, ...], str]:
    """Move DTSTART of a single rule without COUNT to a whole number of periods before the window."""
    rule_lines = tuple(_rule_line(dict(rule)) for rule in plan.rules)
    dtstart = plan.dtstart
    if len(plan.rules) != 1 or "COUNT" in dict(plan.rules[0]):
        return rule_lines + plan.other_lines, _local_text(dtstart)
    # The engine walks every instance from DTSTART; a series begun in 2000 asked about 2027 would
    # walk 27 years. Starting it an aligned number of periods later yields the same instances from
    # the window on (the instances before the new DTSTART are all before the window anyway), and
    # the implied BYxxx parts that came from the old DTSTART are written out.
    parts = dict(plan.rules[0])
    freq, interval = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    local_lower = lower.astimezone(plan.dtstart.tzinfo).replace(tzinfo=dtstart.tzinfo)
    if freq in _SECONDS:
        step = timedelta(seconds=_SECONDS[freq] * interval)
        block = max(1, _BLOCK.get(freq, timedelta(days=366)) // step)
        periods = (local_lower - timedelta(days=2) - step - dtstart) // step
        periods -= periods % block
        if periods > 0:
            dtstart += periods * step
    else:
        step_months = _MONTHS[freq] * interval
        months = (local_lower.year - dtstart.year) * 12 + local_lower.month - dtstart.month - 2 - step_months
        periods = months // step_months
        periods -= periods % max(1, 12 // step_months)
        if periods > 0:
            if not {"BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY"} & parts.keys():
                parts["BYMONTHDAY"] = str(dtstart.day)
                if freq == "YEARLY":
                    parts.setdefault("BYMONTH", str(dtstart.month))
            index = dtstart.year * 12 + dtstart.month - 1 + periods * step_months
            dtstart = dtstart.replace(year=index // 12, month=index % 12 + 1, day=1)
            rule_lines = (_rule_line(parts),)
    return rule_lines + plan.other_lines, _local_text(dtstart)


def _rule_line(parts: Mapping[str, str]) -> str:
    # FREQ first: the engine looks for ";UNTIL=" to learn where a rule ends.
    ordered = {"FREQ": parts["FREQ"], **parts}
    return "RRULE:" + ";".join(f"{key}={value}" for key, value in ordered.items())


@functools.lru_cache(maxsize=256)
def _engine(lines: tuple[str, ...], dtstart: str, zone_key: str) -> Any:
    import icalendar
    import recurring_ical_events  # type: ignore[import-untyped]

    text = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//meetstream-emulator//recurrence//EN",
            "BEGIN:VEVENT",
            "UID:series@meetstream-emulator",
            f"DTSTART;TZID={zone_key}:{dtstart}",
            # A one-second duration: the engine answers overlaps, and a start is what is asked for.
            "DURATION:PT1S",
            *lines,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise ValueError(f"the recurrence cannot be read: {exc}") from exc
    for component in calendar.walk("VEVENT"):
        if component.errors:
            raise ValueError(f"the recurrence cannot be read: {component.errors}")
    return recurring_ical_events.of(calendar)


def _collect(query: Any, plan: _Plan, lower: datetime, upper: datetime, limit: int) -> list[datetime]:
    freq = dict(plan.rules[0]).get("FREQ", "DAILY") if plan.rules else "DAILY"
    step = timedelta(seconds=_SECONDS.get(freq, 31 * 86400))
    # Ask in growing chunks, so that a dense rule with a small limit does not expand a long window.
    span = min(max(step * limit * 2, timedelta(hours=1)), timedelta(days=366))
    found: set[datetime] = set()
    scanned = 0
    chunk_start = lower
    while len(found) < limit and chunk_start < upper:
        chunk_end = upper if upper - chunk_start <= span else chunk_start + span
        try:
            components = query.between(chunk_start, chunk_end)
        except OverflowError:
            components = []  # past year 9999: the series ends there
        except Exception as exc:  # the engine's own errors (BadRuleStringFormat, ...) are all input errors
            raise ValueError(f"the recurrence cannot be expanded: {exc}") from exc
        for component in components:
            scanned += 1
            value = component["DTSTART"].dt
            instant = (value if isinstance(value, datetime) else datetime.combine(value, time())).astimezone(
                _UTC
            )
            if chunk_start <= instant < chunk_end:
                found.add(instant)
        if scanned > _MAX_SCANNED:
            raise ValueError(
                f"the recurrence is too dense: more than {_MAX_SCANNED} instants before the limit"
            )
        chunk_start, span = chunk_end, span * 2
    return sorted(found)[:limit]
