"""Read RFC 5545 RRULE, RDATE and EXDATE lines into rules and instants, each rule skipped to the window."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from datetime import timezone as dt_timezone

from dateutil.rrule import rrule, rrulestr

from airflow_provider_meetstream.recurrence.errors import fail
from airflow_provider_meetstream.recurrence.zones import in_zone, lookup_zone

_UTC = dt_timezone.utc

# An UNTIL past the last instant a datetime can hold bounds nothing: the series ends at 9999 anyway.
_LAST_UNTIL = "99991231T235959Z"

# RFC 5545 date ("20270115") or date-time ("20270115T090000", with "Z" when in UTC).
_DATE_OR_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?")

_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_SKIPPABLE_FREQUENCIES = frozenset({"YEARLY", "MONTHLY", "WEEKLY", "DAILY"})

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


@dataclass(frozen=True)
class RecurrenceSet:
    """
    A recurrence read and ready to expand: rules in the event's zone, the rest in UTC.

    :param zone: The zone the rules repeat in, and in which ``exdays`` are local dates.
    :param rules: The RRULEs, each starting at or just before the window.
    :param rdates: The added instants, DTSTART among them for RFC 5545 lines, ascending.
    :param exdates: The excluded instants.
    :param exdays: The excluded local dates (``EXDATE;VALUE=DATE``).
    """

    zone: tzinfo
    rules: list[rrule]
    rdates: list[datetime]
    exdates: frozenset[datetime]
    exdays: frozenset[date]


def read_lines(
    lines: Sequence[str], dtstart: datetime, horizon: datetime, *, dtstart_is_instance: bool = True
) -> RecurrenceSet:
    """
    Read RFC 5545 lines into a series.

    With ``dtstart_is_instance`` (RFC 5545 lines), DTSTART is the series' first instance whatever
    the rules say; a Graph series passes False, its DTSTART being moved to its first occurrence.

    :param lines: ``RRULE``, ``RDATE`` and ``EXDATE`` lines; blank ones are skipped.
    :param dtstart: The series start, in the zone the rules repeat in.
    :param horizon: The window's start: a rule without ``COUNT`` restarts just before it.
    :param dtstart_is_instance: Whether DTSTART is an instance whatever the rules say.
    :raises RecurrenceError: Naming ``recurrence``, for a line that cannot be read.
    """
    zone = dtstart.tzinfo or _UTC
    rules: list[rrule] = []
    rdates: set[datetime] = set()
    exdates: set[datetime] = set()
    exdays: set[date] = set()
    has_rule_or_rdate = False
    for line in lines:
        if not isinstance(line, str):
            fail("recurrence", line, "every line must be a string")
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
                    rdates.add(in_zone(local, _UTC, "recurrence", text, item=f"RDATE {item.isoformat()} "))
                else:
                    exdays.add(item)
        else:
            fail("recurrence", text, f"unsupported property {name}: expected RRULE, RDATE or EXDATE")
    if not has_rule_or_rdate:
        fail("recurrence", list(lines), "has no RRULE or RDATE line")
    if dtstart_is_instance:
        # RFC 5545 3.8.5.1 and 3.8.5.3: DTSTART defines the first instance of the recurrence set.
        rdates.add(in_zone(dtstart, _UTC, "start", dtstart))
    return RecurrenceSet(zone, rules, sorted(rdates), frozenset(exdates), frozenset(exdays))


def _split_property(line: str) -> tuple[str, list[str], str]:
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            head, value = line[:index], line[index + 1 :]
            break
    else:
        fail("recurrence", line, "is not an RFC 5545 line of the form NAME;PARAMS:VALUE")
    name, *params = head.split(";")
    if not name.strip() or not value.strip():
        fail("recurrence", line, "is not an RFC 5545 line of the form NAME;PARAMS:VALUE")
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
            fail("recurrence", line, f"unsupported RRULE parameter {param!r}")
    parts: dict[str, str] = {}
    for pair in value.split(";"):
        if not pair.strip():
            continue
        key, sep, part = pair.partition("=")
        key, part = key.strip().upper(), part.strip().upper()
        if not sep or not key or not part:
            fail("recurrence", line, f"rule part {pair!r} is not NAME=VALUE")
        if key in parts:
            fail("recurrence", line, f"rule part {key} appears twice")
        parts[key] = part
    if "FREQ" not in parts:
        fail("recurrence", line, "has no FREQ")
    if "COUNT" in parts and "UNTIL" in parts:
        fail("recurrence", line, "has both COUNT and UNTIL, which RFC 5545 forbids")
    for key in ("INTERVAL", "COUNT"):
        if key in parts and not (parts[key].isdigit() and int(parts[key]) >= 1):
            # dateutil would loop forever on INTERVAL=0.
            fail("recurrence", line, f"{key} must be a positive integer")
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
                fail("recurrence", line, f"{key} value {item!r} is outside {bounds}")
            values.append(int(item))
        numbers[key] = values
    if "BYWEEKNO" in parts and parts["FREQ"] != "YEARLY":
        fail("recurrence", line, "BYWEEKNO is only valid with FREQ=YEARLY")
    for item in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else ():
        match = _BYDAY_ITEM.fullmatch(item)
        if match is None:
            fail("recurrence", line, f"BYDAY value {item!r} is not a weekday like MO, 1MO or -1FR")
        if match.group(2):
            ordinal = int(match.group(2))
            max_ordinal = {"MONTHLY": 5, "YEARLY": 53}.get(parts["FREQ"])
            if max_ordinal is None or not 1 <= ordinal <= max_ordinal:
                fail(
                    "recurrence",
                    line,
                    f"BYDAY value {item!r}: an ordinal needs MONTHLY (1..5) or YEARLY (1..53)",
                )
    months = numbers.get("BYMONTH", list(range(1, 13)))
    days = numbers.get("BYMONTHDAY")
    if days and not any(abs(day) <= _MONTH_DAYS[month - 1] for month in months for day in days):
        # dateutil would scan to the year 9999 looking for such a day.
        fail("recurrence", line, "never occurs: no month of BYMONTH has a day of BYMONTHDAY")


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
            return _LAST_UNTIL
        until = next_day - timedelta(seconds=1)
    if until.year == 9999:
        try:
            return _utc_text(until.astimezone(_UTC))
        except OverflowError:
            # A floating 9999 UNTIL west of UTC (a common "no end" sentinel) lies past the year
            # 9999 in UTC; like the date 9999-12-31 above, it bounds nothing.
            return _LAST_UNTIL
    # Before year 1 in UTC, though, an UNTIL is no sentinel but a mistake worth naming.
    return _utc_text(in_zone(until, _UTC, "recurrence", line, item=f"UNTIL {value!r} "))


def _utc_text(instant: datetime) -> str:
    """An RFC 5545 UTC date-time; strftime's %Y would drop the zeros of a year before 1000 on glibc."""
    return f"{instant.year:04d}{instant:%m%dT%H%M%S}Z"


def _build_rrule(line: str, parts: Mapping[str, str], dtstart: datetime) -> rrule:
    text = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        rule = rrulestr(text, dtstart=dtstart)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        fail("recurrence", line, f"is not a valid RRULE: {exc}", cause=exc)
    if not isinstance(rule, rrule):
        fail("recurrence", line, "is not a single RRULE")
    return rule


def _skip_to_horizon(
    line: str, parts: Mapping[str, str], rule: rrule, dtstart: datetime, horizon: datetime
) -> rrule:
    """Restart a rule without COUNT at its last period that begins before the window."""
    freq = parts["FREQ"]
    if "COUNT" in parts or freq not in _SKIPPABLE_FREQUENCIES or horizon <= dtstart:
        # A window opening at or before DTSTART skips nothing; returning here also keeps the
        # arithmetic below from stepping back past the year 1 or converting such a window.
        return rule
    first = dtstart.date()
    try:
        target = horizon.astimezone(dtstart.tzinfo).date()
    except OverflowError:
        # Later than DTSTART, so past the year 9999 in the rule's zone: skip to the last day.
        target = date.max
    interval = int(parts.get("INTERVAL", "1"))
    if freq == "DAILY":
        skipped = (target - first).days // interval * interval
        period_start = first + timedelta(days=skipped)
    elif freq == "WEEKLY":
        # Restart on the first day of a week: dateutil applies BYSETPOS to the days from DTSTART
        # to the week's end, so a restart mid-week would pick from a partial week.
        # Counted in ordinals: the week of 1 January 0001 (a Monday) begins before it for WKST=SU.
        week_start = first.toordinal() - (first.weekday() - _WEEKDAY_CODES.index(parts["WKST"])) % 7
        skipped = (target.toordinal() - week_start) // 7 // interval * interval
        if skipped <= 0:
            return rule
        period_start = date.fromordinal(week_start + 7 * skipped)
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
            found = lookup_zone(setting)
            if found is None:
                fail("recurrence", line, f"unknown time zone {setting!r} in TZID")
            value_zone, has_tzid = found, True
        elif key == "VALUE" and setting.upper() in ("DATE", "DATE-TIME", "PERIOD"):
            value_type = setting.upper()
        elif not key.startswith("X-"):
            fail("recurrence", line, f"unsupported {name} parameter {param!r}")
    if value_type == "PERIOD" and name != "RDATE":
        fail("recurrence", line, "only RDATE may hold periods")
    items: list[datetime | date] = []
    for raw in value.split(","):
        text = raw.strip().upper()
        if value_type == "PERIOD":
            # A period's start is the occurrence; its end or duration does not matter here.
            text = text.partition("/")[0]
        parsed = _parse_date_or_date_time(line, text)
        if value_type == "DATE" and isinstance(parsed, datetime):
            fail("recurrence", line, f"{raw!r} is a date-time but the line says VALUE=DATE")
        if value_type in ("DATE-TIME", "PERIOD") and not isinstance(parsed, datetime):
            fail("recurrence", line, f"{raw!r} is a date but the line says VALUE={value_type}")
        if isinstance(parsed, datetime):
            if parsed.tzinfo is not None and has_tzid:
                fail("recurrence", line, f"{raw!r} is in UTC but the line also gives a TZID")
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=value_zone)
            items.append(in_zone(parsed, _UTC, "recurrence", line, item=f"{name} {raw.strip()!r} "))
        else:
            items.append(parsed)
    return items


def _parse_date_or_date_time(line: str, text: str) -> datetime | date:
    """Read an RFC 5545 DATE (a date) or DATE-TIME (naive when floating, UTC with ``Z``)."""
    match = _DATE_OR_DATE_TIME.fullmatch(text)
    if match is None:
        fail("recurrence", line, f"{text!r} is not an RFC 5545 date or date-time")
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
        fail("recurrence", line, f"{text!r} is not a real date or time", cause=exc)
