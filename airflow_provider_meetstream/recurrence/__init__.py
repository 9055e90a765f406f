"""Expand a calendar event's recurrence (Google RFC 5545 lines or a Graph pattern) into UTC start instants.

The expansion is python-dateutil's ``rrule``, driven with ``zoneinfo`` zones. dateutil is already a
dependency of Airflow, and Google hands the rules over as a list of lines, so the heavier route
(``icalendar`` to parse a whole calendar plus ``recurring-ical-events`` to expand it) would add two
dependencies to read what is already split into lines. This module only does what dateutil does not:

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

The module is pure: it imports nothing from Airflow or the rest of the provider, so the local
MeetStream emulator can use it. It fails with its own :class:`RecurrenceError` (a ``ValueError``);
the operators and the validators turn that into ``MeetStreamInputError``.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from datetime import timezone as dt_timezone
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

_UTC = dt_timezone.utc

#: Most occurrences one call may return; far below Airflow's default ``max_map_length`` of 1024.
MAX_OCCURRENCE_LIMIT = 1000

# RFC 5545 date ("20270115") or date-time ("20270115T090000", with "Z" when in UTC).
_DATE_OR_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?")

_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
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
_SKIPPABLE_FREQUENCIES = frozenset({"YEARLY", "MONTHLY", "WEEKLY", "DAILY"})

# A local time in a DST gap takes the offset from before the gap (RFC 5545), so a rule may yield it
# up to one DST shift after instants that follow it; looking this far past a bound keeps the
# result exact when a rule yields several instants close to a gap.
_DST_DISORDER = timedelta(days=1)

# Sub-daily rules and rules with COUNT are walked from the series start; past this many instants
# the caller gets an error instead of a task that hangs.
_MAX_SCANNED_INSTANTS = 200_000


class RecurrenceError(ValueError):
    """
    A recurrence, an instant or a zone cannot be read or expanded.

    :param argument: The name of the bad argument (``recurrence``, ``start``, ``timezone``...).
    :param value: The bad value, shown shortened in the message.
    :param reason: What is wrong with it.
    """

    def __init__(self, argument: str, value: object, reason: str) -> None:
        self.argument = argument
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"Invalid {argument}={shown}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.argument, self.value, self.reason))


@dataclass(frozen=True)
class _Series:
    """A recurrence read and ready to expand: rules in the event's zone, the rest in UTC."""

    zone: tzinfo
    rules: list[rrule]
    rdates: list[datetime]
    exdates: frozenset[datetime]
    exdays: frozenset[date]


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
    :param limit: The most occurrences to return, counted from ``window_start``: 1 to 1000.
    :return: Aware UTC datetimes, ascending, without duplicates.
    :raises RecurrenceError: Naming the argument: a malformed line or Graph field (named in
        the message), an unknown zone, a naive instant, a limit out of range, or a rule so dense
        that it would take more than 200,000 instants to reach the window.
    """
    limit = _check_limit(limit)
    series_start = parse_aware_datetime(start, "start")
    lower = datetime.now(_UTC) if window_start is None else parse_aware_datetime(window_start, "window_start")
    upper = None if window_end is None else parse_aware_datetime(window_end, "window_end")
    if upper is not None and upper < lower:
        _fail("window_end", window_end, "is earlier than window_start")
    event_zone = None if timezone is None else resolve_timezone(timezone)
    if isinstance(recurrence, Mapping):
        series = _read_graph(recurrence, series_start, event_zone, lower)
    elif isinstance(recurrence, Sequence):
        lines = recurrence.splitlines() if isinstance(recurrence, str) else recurrence
        zone = event_zone or series_start.tzinfo or _UTC
        series = _read_lines(lines, series_start.astimezone(zone), lower)
    else:
        _fail("recurrence", recurrence, "must be a list of RFC 5545 lines or a Graph patternedRecurrence")
    return _collect(recurrence, series, lower, upper, limit)


def format_occurrence(dt: datetime) -> str:
    """
    Format an occurrence's start as UTC ISO 8601 with ``Z`` and without fractions of a second.

    The result is stable for one instant whatever zone ``dt`` carries, so it can be part of a
    per-occurrence deduplication key, e.g. ``2026-12-01T14:00:00Z``.

    :param dt: An aware datetime (or an ISO 8601 string with an offset).
    """
    instant = parse_aware_datetime(dt, "dt").astimezone(_UTC)
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
        _fail("event_id", event.get("id"), "is not a recurring event: its raw payload has no recurrence")
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
            _fail(argument, value, "is not an ISO 8601 date-time", cause=exc)
    else:
        _fail(argument, value, "must be an aware datetime or an ISO 8601 string with a UTC offset")
    if parsed.utcoffset() is None:
        _fail(argument, value, "has no UTC offset; add one (e.g. +00:00 or Z) or a tzinfo")
    return parsed


def _fail(argument: str, value: object, reason: str, *, cause: BaseException | None = None) -> NoReturn:
    raise RecurrenceError(argument, value, reason) from cause


def _check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_OCCURRENCE_LIMIT:
        _fail("limit", limit, f"must be an integer from 1 to {MAX_OCCURRENCE_LIMIT}")
    return limit


def resolve_timezone(name: object) -> tzinfo:
    """
    Resolve an event's zone: an IANA name, or a Windows name as Microsoft Graph sends them.

    :param name: The zone's name.
    :raises RecurrenceError: Naming ``timezone``, for any other name.
    """
    zone = _lookup_zone(name)
    if zone is None:
        _fail("timezone", name, "is neither an IANA time zone nor a Windows zone name")
    return zone


def _lookup_zone(name: object) -> tzinfo | None:
    if not isinstance(name, str) or not name.strip():
        return None
    key = name.strip()
    for candidate in (key, _windows_zone(key)):
        if candidate is None:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return None


def _windows_zone(name: str) -> str | None:
    """The IANA zone for a Windows zone name, as CLDR's windowsZones table maps it (territory "001")."""
    # tzlocal's table is generated by its maintainers from CLDR's windowsZones.xml, so it knows every
    # name Exchange can send; imported here because most series never need it.
    from tzlocal.windows_tz import win_tz

    return win_tz.get(name)


def _read_lines(
    lines: Sequence[str], dtstart: datetime, horizon: datetime, *, dtstart_is_instance: bool = True
) -> _Series:
    """
    Read RFC 5545 lines into a series.

    With ``dtstart_is_instance`` (RFC 5545 lines), DTSTART is the series' first instance whatever
    the rules say; a Graph series passes False, its DTSTART being moved to its first occurrence.
    """
    zone = dtstart.tzinfo or _UTC
    rules: list[rrule] = []
    rdates: set[datetime] = set()
    exdates: set[datetime] = set()
    exdays: set[date] = set()
    has_rule_or_rdate = False
    for line in lines:
        if not isinstance(line, str):
            _fail("recurrence", line, "every line must be a string")
        text = line.strip()
        if not text:
            continue
        name, params, value = _split_property(text)
        has_rule_or_rdate = has_rule_or_rdate or name in ("RRULE", "RDATE")
        if name == "RRULE":
            rule = _read_rrule(text, params, value, dtstart, horizon, dtstart_is_instance=dtstart_is_instance)
            if rule is not None:
                rules.append(rule)
        elif name in ("RDATE", "EXDATE"):
            for item in _read_date_list(text, name, params, value, zone):
                if isinstance(item, datetime):
                    (rdates if name == "RDATE" else exdates).add(item)
                elif name == "RDATE":
                    # A date-only RDATE takes the series' local start time.
                    local = datetime.combine(item, dtstart.timetz().replace(microsecond=0))
                    rdates.add(local.astimezone(_UTC))
                else:
                    exdays.add(item)
        else:
            _fail("recurrence", text, f"unsupported property {name}: expected RRULE, RDATE or EXDATE")
    if not has_rule_or_rdate:
        _fail("recurrence", list(lines), "has no RRULE or RDATE line")
    if dtstart_is_instance:
        # RFC 5545 3.8.5.1 and 3.8.5.3: DTSTART defines the first instance of the recurrence set.
        rdates.add(dtstart.astimezone(_UTC))
    return _Series(zone, rules, sorted(rdates), frozenset(exdates), frozenset(exdays))


def _split_property(line: str) -> tuple[str, list[str], str]:
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            head, value = line[:index], line[index + 1 :]
            break
    else:
        _fail("recurrence", line, "is not an RFC 5545 line of the form NAME;PARAMS:VALUE")
    name, *params = head.split(";")
    if not name.strip() or not value.strip():
        _fail("recurrence", line, "is not an RFC 5545 line of the form NAME;PARAMS:VALUE")
    return name.strip().upper(), [param.strip() for param in params], value.strip()


def _read_rrule(
    line: str,
    params: list[str],
    value: str,
    dtstart: datetime,
    horizon: datetime,
    *,
    dtstart_is_instance: bool,
) -> rrule | None:
    """Read one RRULE; None when, with DTSTART counted, its COUNT leaves it nothing to add."""
    for param in params:
        if not param.upper().startswith("X-"):
            _fail("recurrence", line, f"unsupported RRULE parameter {param!r}")
    parts: dict[str, str] = {}
    for pair in value.split(";"):
        if not pair.strip():
            continue
        key, sep, part = pair.partition("=")
        key, part = key.strip().upper(), part.strip().upper()
        if not sep or not key or not part:
            _fail("recurrence", line, f"rule part {pair!r} is not NAME=VALUE")
        if key in parts:
            _fail("recurrence", line, f"rule part {key} appears twice")
        parts[key] = part
    if "FREQ" not in parts:
        _fail("recurrence", line, "has no FREQ")
    if "COUNT" in parts and "UNTIL" in parts:
        _fail("recurrence", line, "has both COUNT and UNTIL, which RFC 5545 forbids")
    for key in ("INTERVAL", "COUNT"):
        if key in parts and not (parts[key].isdigit() and int(parts[key]) >= 1):
            # dateutil would loop forever on INTERVAL=0.
            _fail("recurrence", line, f"{key} must be a positive integer")
    _check_rule_parts(line, parts)
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_in_utc(line, parts["UNTIL"], dtstart.tzinfo or _UTC)
    # RFC 5545's default; dateutil would take calendar.firstweekday(), which is process-global.
    parts.setdefault("WKST", "MO")
    rule = _build_rrule(line, parts, dtstart)
    if dtstart_is_instance and "COUNT" in parts and not _starts_at(rule, dtstart):
        # RFC 5545 3.3.10: "The DTSTART property value always counts as the first occurrence",
        # also when the rule itself does not produce it (the caller adds DTSTART as an instance).
        count = int(parts["COUNT"]) - 1
        if count == 0:
            return None
        parts["COUNT"] = str(count)
        rule = _build_rrule(line, parts, dtstart)
    return _skip_to_horizon(line, parts, rule, dtstart, horizon)


def _starts_at(rule: rrule, dtstart: datetime) -> bool:
    """Tell whether a rule's first instance is DTSTART, comparing local wall-clock times."""
    try:
        first = next(iter(rule), None)
    except (ValueError, OverflowError):
        # Left for _collect to report or to end the series at the year 9999.
        return True
    return first is not None and first.replace(tzinfo=None) == dtstart.replace(tzinfo=None)


# RFC 5545 3.3.10: the values each BYxxx part may take (0 is never a valid day, week or position).
_PART_RANGES = {
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_BYDAY_ITEM = re.compile(r"([+-]?)(\d{0,2})(MO|TU|WE|TH|FR|SA|SU)")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_rule_parts(line: str, parts: Mapping[str, str]) -> None:
    """Refuse what dateutil accepts silently: out-of-range values, and rules that can never occur."""
    numbers: dict[str, list[int]] = {}
    for key, (low, high, signed) in _PART_RANGES.items():
        if key not in parts:
            continue
        values = []
        for item in parts[key].split(","):
            text = item.lstrip("+-") if signed else item
            if not text.isdigit() or not low <= int(text) <= high:
                bounds = f"{low}..{high} or -{high}..-{low}" if signed else f"{low}..{high}"
                _fail("recurrence", line, f"{key} value {item!r} is outside {bounds}")
            values.append(int(item))
        numbers[key] = values
    if "BYWEEKNO" in parts and parts["FREQ"] != "YEARLY":
        _fail("recurrence", line, "BYWEEKNO is only valid with FREQ=YEARLY")
    for item in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else ():
        match = _BYDAY_ITEM.fullmatch(item)
        if match is None:
            _fail("recurrence", line, f"BYDAY value {item!r} is not a weekday like MO, 1MO or -1FR")
        if match.group(2):
            ordinal = int(match.group(2))
            max_ordinal = {"MONTHLY": 5, "YEARLY": 53}.get(parts["FREQ"])
            if max_ordinal is None or not 1 <= ordinal <= max_ordinal:
                _fail(
                    "recurrence",
                    line,
                    f"BYDAY value {item!r}: an ordinal needs MONTHLY (1..5) or YEARLY (1..53)",
                )
    months = numbers.get("BYMONTH", list(range(1, 13)))
    days = numbers.get("BYMONTHDAY")
    if days and not any(abs(day) <= _MONTH_DAYS[month - 1] for month in months for day in days):
        # dateutil would scan to the year 9999 looking for such a day.
        _fail("recurrence", line, "never occurs: no month of BYMONTH has a day of BYMONTHDAY")


def _until_in_utc(line: str, value: str, zone: tzinfo) -> str:
    parsed = _parse_date_or_date_time(line, value)
    if isinstance(parsed, datetime):
        # A floating UNTIL is local time in the event's zone; dateutil would refuse it.
        until = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    else:
        # A date UNTIL includes the whole of that local day.
        try:
            next_day = datetime.combine(parsed + timedelta(days=1), time(0), tzinfo=zone)
        except OverflowError:
            # 31 December 9999 has no next day, and no occurrence can lie beyond it.
            return "99991231T235959Z"
        until = next_day - timedelta(seconds=1)
    return until.astimezone(_UTC).strftime("%Y%m%dT%H%M%SZ")


def _build_rrule(line: str, parts: Mapping[str, str], dtstart: datetime) -> rrule:
    text = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        rule = rrulestr(text, dtstart=dtstart)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        _fail("recurrence", line, f"is not a valid RRULE: {exc}", cause=exc)
    if not isinstance(rule, rrule):
        _fail("recurrence", line, "is not a single RRULE")
    return rule


def _skip_to_horizon(
    line: str, parts: Mapping[str, str], rule: rrule, dtstart: datetime, horizon: datetime
) -> rrule:
    """Restart a rule without COUNT at its last period that begins before the window."""
    freq = parts["FREQ"]
    if "COUNT" in parts or freq not in _SKIPPABLE_FREQUENCIES:
        return rule
    first = dtstart.date()
    target = horizon.astimezone(dtstart.tzinfo).date()
    interval = int(parts.get("INTERVAL", "1"))
    if freq == "DAILY":
        skipped = (target - first).days // interval * interval
        period_start = first + timedelta(days=skipped)
    elif freq == "WEEKLY":
        # Restart on the first day of a week: dateutil applies BYSETPOS to the days from DTSTART
        # to the week's end, so a restart mid-week would pick from a partial week.
        week_start = first - timedelta(days=(first.weekday() - _WEEKDAY_CODES.index(parts["WKST"])) % 7)
        skipped = (target - week_start).days // 7 // interval * interval
        period_start = week_start + timedelta(weeks=skipped)
    elif freq == "MONTHLY":
        months = (target.year - first.year) * 12 + target.month - first.month
        skipped = months // interval * interval
        month_index = first.year * 12 + first.month - 1 + skipped
        period_start = date(month_index // 12, month_index % 12 + 1, 1)
    else:
        skipped = (target.year - first.year) // interval * interval
        period_start = date(first.year + skipped, 1, 1)
    if skipped <= 0:
        return rule
    # What dateutil derives from DTSTART must now be spelled out, since DTSTART moves.
    explicit = dict(parts)
    explicit.setdefault("BYHOUR", str(dtstart.hour))
    explicit.setdefault("BYMINUTE", str(dtstart.minute))
    explicit.setdefault("BYSECOND", str(dtstart.second))
    if not any(key in parts for key in ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYEASTER")):
        if freq == "YEARLY":
            explicit.setdefault("BYMONTH", str(dtstart.month))
            explicit["BYMONTHDAY"] = str(dtstart.day)
        elif freq == "MONTHLY":
            explicit["BYMONTHDAY"] = str(dtstart.day)
        elif freq == "WEEKLY":
            explicit["BYDAY"] = _WEEKDAY_CODES[dtstart.weekday()]
    return _build_rrule(line, explicit, datetime.combine(period_start, time(0), tzinfo=dtstart.tzinfo))


def _read_date_list(
    line: str, name: str, params: list[str], value: str, zone: tzinfo
) -> list[datetime | date]:
    """Read an RDATE or EXDATE value list: UTC datetimes, or local dates for VALUE=DATE."""
    value_type = None
    value_zone = zone
    has_tzid = False
    for param in params:
        key, _, setting = param.partition("=")
        key, setting = key.strip().upper(), setting.strip().strip('"')
        if key == "TZID":
            found = _lookup_zone(setting)
            if found is None:
                _fail("recurrence", line, f"unknown time zone {setting!r} in TZID")
            value_zone, has_tzid = found, True
        elif key == "VALUE" and setting.upper() in ("DATE", "DATE-TIME", "PERIOD"):
            value_type = setting.upper()
        elif not key.startswith("X-"):
            _fail("recurrence", line, f"unsupported {name} parameter {param!r}")
    if value_type == "PERIOD" and name != "RDATE":
        _fail("recurrence", line, "only RDATE may hold periods")
    items: list[datetime | date] = []
    for raw in value.split(","):
        text = raw.strip().upper()
        if value_type == "PERIOD":
            # A period's start is the occurrence; its end or duration does not matter here.
            text = text.partition("/")[0]
        parsed = _parse_date_or_date_time(line, text)
        if value_type == "DATE" and isinstance(parsed, datetime):
            _fail("recurrence", line, f"{raw!r} is a date-time but the line says VALUE=DATE")
        if value_type in ("DATE-TIME", "PERIOD") and not isinstance(parsed, datetime):
            _fail("recurrence", line, f"{raw!r} is a date but the line says VALUE={value_type}")
        if isinstance(parsed, datetime):
            if parsed.tzinfo is not None and has_tzid:
                _fail("recurrence", line, f"{raw!r} is in UTC but the line also gives a TZID")
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=value_zone)
            items.append(parsed.astimezone(_UTC))
        else:
            items.append(parsed)
    return items


def _parse_date_or_date_time(line: str, text: str) -> datetime | date:
    """Read an RFC 5545 DATE (a date) or DATE-TIME (naive when floating, UTC with ``Z``)."""
    match = _DATE_OR_DATE_TIME.fullmatch(text)
    if match is None:
        _fail("recurrence", line, f"{text!r} is not an RFC 5545 date or date-time")
    year, month, day, hour, minute, second, utc = match.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day))
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=_UTC if utc else None,
        )
    except ValueError as exc:
        _fail("recurrence", line, f"{text!r} is not a real date or time", cause=exc)


def _read_graph(
    recurrence: Mapping[str, Any], start: datetime, event_zone: tzinfo | None, horizon: datetime
) -> _Series:
    pattern = recurrence.get("pattern")
    span = recurrence.get("range")
    if not isinstance(pattern, Mapping):
        _fail("recurrence", recurrence, "Graph field 'pattern' is missing or not an object")
    if not isinstance(span, Mapping):
        _fail("recurrence", recurrence, "Graph field 'range' is missing or not an object")
    # Graph evaluates the pattern in range.recurrenceTimeZone, whereas start.timeZone is only the
    # zone Graph writes times in ("UTC" unless the request asked for another), so the range wins.
    zone = _lookup_zone(span.get("recurrenceTimeZone")) or event_zone
    if zone is None and span.get("recurrenceTimeZone"):
        _fail(
            "recurrence",
            span["recurrenceTimeZone"],
            "Graph field 'range.recurrenceTimeZone' is neither an IANA zone nor a Windows zone "
            "name; pass timezone with the IANA name",
        )
    zone = zone or start.tzinfo or _UTC
    first_day = _graph_date(span, "startDate")
    dtstart = datetime.combine(first_day, start.astimezone(zone).time().replace(microsecond=0), tzinfo=zone)
    pattern_parts = _graph_pattern_parts(pattern)
    if pattern_parts[0] in ("FREQ=MONTHLY", "FREQ=YEARLY"):
        dtstart = _graph_first_occurrence(recurrence, pattern_parts, dtstart)
    rule = ";".join(pattern_parts + _graph_range_parts(span))
    line = f"RRULE:{rule}"
    return _read_lines([line], dtstart, horizon, dtstart_is_instance=False)


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
        _fail("recurrence", recurrence, f"cannot be expanded: {exc}", cause=exc)
    return dtstart if first is None else first


def _graph_pattern_parts(pattern: Mapping[str, Any]) -> list[str]:
    kind = pattern.get("type")
    kind = kind.lower() if isinstance(kind, str) else ""
    if kind not in _GRAPH_FREQUENCIES:
        _fail(
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
            _fail("recurrence", first_weekday, "Graph field 'pattern.firstDayOfWeek' is not a weekday")
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
            _fail("recurrence", index, f"Graph field 'pattern.index' must be one of {list(_GRAPH_INDEXES)}")
        parts.append(f"BYDAY={_graph_weekdays(pattern)};BYSETPOS={_GRAPH_INDEXES[index.lower()]}")
    return parts


def _graph_range_parts(span: Mapping[str, Any]) -> list[str]:
    kind = span.get("type")
    kind = kind.lower() if isinstance(kind, str) else kind
    if kind == "noend":
        return []
    if kind == "enddate":
        return [f"UNTIL={_graph_date(span, 'endDate'):%Y%m%d}"]
    if kind == "numbered":
        return [f"COUNT={_graph_int(span, 'numberOfOccurrences', 1, None, where='range')}"]
    _fail("recurrence", span.get("type"), "Graph field 'range.type' must be endDate, noEnd or numbered")


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
        _fail("recurrence", value, f"Graph field '{where}.{name}' must be an integer {bounds}")
    return value


def _graph_weekdays(pattern: Mapping[str, Any]) -> str:
    days = pattern.get("daysOfWeek")
    if not isinstance(days, list) or not days:
        _fail("recurrence", days, "Graph field 'pattern.daysOfWeek' must be a non-empty list of weekdays")
    codes = []
    for day in days:
        if not isinstance(day, str) or day.lower() not in _GRAPH_WEEKDAYS:
            _fail("recurrence", day, "Graph field 'pattern.daysOfWeek' holds something that is not a weekday")
        codes.append(_GRAPH_WEEKDAYS[day.lower()])
    return ",".join(dict.fromkeys(codes))


def _graph_date(span: Mapping[str, Any], name: str) -> date:
    value = span.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        _fail("recurrence", value, f"Graph field 'range.{name}' must be a date like 2027-01-15", cause=exc)


def _collect(
    recurrence: object, series: _Series, lower: datetime, upper: datetime | None, limit: int
) -> list[datetime]:
    streams: list[Iterator[datetime]] = [_utc_instants(rule) for rule in series.rules]
    streams.append(iter(series.rdates))
    found: list[datetime] = []
    seen: set[datetime] = set()
    ceiling: datetime | None = None
    scanned = 0
    try:
        for instant in heapq.merge(*streams):
            scanned += 1
            if scanned > _MAX_SCANNED_INSTANTS:
                break
            if (upper is not None and instant >= upper + _DST_DISORDER) or (
                ceiling is not None and instant > ceiling
            ):
                break
            if instant < lower or (upper is not None and instant >= upper) or instant in seen:
                continue
            if instant in series.exdates or instant.astimezone(series.zone).date() in series.exdays:
                continue
            seen.add(instant)
            found.append(instant)
            if len(found) == limit:
                # Nothing later than this can still displace one of the first `limit`.
                ceiling = max(found) + _DST_DISORDER
    except OverflowError:
        # Instants past the year 9999 cannot be represented: the series ends there.
        pass
    except ValueError as exc:
        # dateutil rejects some BYxxx combinations only once it starts iterating.
        _fail("recurrence", recurrence, f"cannot be expanded: {exc}", cause=exc)
    if scanned > _MAX_SCANNED_INSTANTS:
        _fail(
            "recurrence",
            recurrence,
            f"needs more than {_MAX_SCANNED_INSTANTS} instants to reach the window; only rules without "
            "COUNT that repeat daily or less often skip straight to it",
        )
    return sorted(found)[:limit]


def _utc_instants(rule: rrule) -> Iterator[datetime]:
    for local in rule:
        yield local.astimezone(_UTC)
