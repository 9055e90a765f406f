"""expand_occurrences against icalendar + recurring-ical-events, instance for instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events  # type: ignore[import-untyped]
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from airflow_provider_meetstream.constants import MAX_OCCURRENCE_LIMIT
from airflow_provider_meetstream.recurrence import expand_occurrences

UTC = timezone.utc

# Zones with unusual DST: Lord Howe moves by 30 minutes, Santiago changes on Saturday nights at
# 24:00 with rules that moved often, Dublin's "standard" time is summer time (negative DST in
# tzdata), Tehran had DST until 2022, Apia dropped a whole day in 2011 and DST in 2021.
ZONES = (
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Europe/Dublin",
    "Asia/Tehran",
    "Pacific/Apia",
    "UTC",
)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class Case:
    """One generated series: what we are given, and what the reference engine is given."""

    zone: str
    dtstart: datetime  # local wall time, naive
    rule: dict[str, str] | None
    until_form: str | None  # "utc", "floating" or "date"
    extra_lines: list[str] = field(default_factory=list)
    reference_lines: list[str] = field(default_factory=list)
    window: tuple[datetime, datetime] = (datetime.min, datetime.max)


@dataclass
class Tally:
    cases: int = 0
    instances: int = 0


TALLY = Tally()


def _local(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


@st.composite
def cases(draw: Any) -> Case:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    day = draw(st.dates(min_value=date(2012, 1, 1), max_value=date(2030, 12, 31)))
    moment = time(draw(st.integers(0, 23)), draw(st.sampled_from((0, 15, 30, 45))))
    dtstart = datetime.combine(day, moment)

    rule: dict[str, str] | None = None
    if draw(st.integers(0, 5)) > 0:
        freq = draw(st.sampled_from(("DAILY", "WEEKLY", "MONTHLY", "YEARLY")))
        rule = {"FREQ": freq}
        interval = draw(st.integers(1, 4))
        if interval > 1 or draw(st.booleans()):
            rule["INTERVAL"] = str(interval)
        by = draw(st.sampled_from(("none", "byday", "bymonthday", "byday-setpos")))
        if by == "byday" and freq in ("MONTHLY", "YEARLY"):
            ordinals = st.sampled_from(("", "1", "2", "3", "4", "-1", "-2"))
            items = draw(st.lists(st.tuples(ordinals, st.sampled_from(WEEKDAYS)), min_size=1, max_size=3))
            rule["BYDAY"] = ",".join(dict.fromkeys(f"{n}{d}" for n, d in items))
            if freq == "YEARLY" and draw(st.booleans()):
                rule["BYMONTH"] = str(draw(st.integers(1, 12)))
        elif by in ("byday", "byday-setpos") and freq != "DAILY":
            rule["BYDAY"] = ",".join(
                draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=4, unique=True))
            )
            if by == "byday-setpos" and freq in ("MONTHLY", "YEARLY"):
                rule["BYSETPOS"] = draw(st.sampled_from(("1", "-1", "2", "1,-1")))
        elif by == "bymonthday" and freq in ("MONTHLY", "YEARLY"):
            days = draw(st.lists(st.sampled_from((1, 2, 15, 28, 29, 30, 31, -1, -2)), min_size=1, max_size=3))
            rule["BYMONTHDAY"] = ",".join(str(d) for d in dict.fromkeys(days))
            if draw(st.booleans()):
                rule["BYSETPOS"] = draw(st.sampled_from(("1", "-1")))
        if freq == "WEEKLY" and draw(st.booleans()):
            rule["WKST"] = draw(st.sampled_from(("MO", "SU")))

    until_form = None
    if rule is not None:
        end = draw(st.sampled_from(("none", "count", "utc", "floating", "date")))
        if end == "count":
            rule["COUNT"] = str(draw(st.integers(1, 12)))
        elif end != "none":
            until_form = end
            until = dtstart + timedelta(days=draw(st.integers(0, 3000)), hours=draw(st.integers(-12, 12)))
            if end == "utc":
                rule["UNTIL"] = until.replace(tzinfo=zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            elif end == "floating":
                rule["UNTIL"] = _local(until)
            else:
                rule["UNTIL"] = until.strftime("%Y%m%d")

    case = Case(zone_name, dtstart, rule, until_form)
    # EXDATE and RDATE near DTSTART's wall time, so that they hit occurrences, in every form.
    for name in draw(st.lists(st.sampled_from(("EXDATE", "RDATE")), max_size=4)):
        when = dtstart + timedelta(days=draw(st.integers(0, 800)))
        if name == "RDATE" or draw(st.booleans()):
            when += timedelta(minutes=draw(st.sampled_from((0, 0, 30, 90))))
        form = draw(st.sampled_from(("tzid", "other-tzid", "utc", "floating", "date")))
        if form == "tzid":
            line = f"{name};TZID={zone_name}:{_local(when)}"
            reference = line
        elif form == "other-tzid":
            other = draw(st.sampled_from(ZONES))
            shown = when.replace(tzinfo=zone).astimezone(ZoneInfo(other))
            line = f"{name};TZID={other}:{_local(shown)}"
            reference = line
        elif form == "utc":
            line = f"{name}:{when.replace(tzinfo=zone).astimezone(UTC):%Y%m%dT%H%M%SZ}"
            reference = line
        elif form == "floating":
            # A floating time in a zoned series: both engines read it in the event's zone.
            line = f"{name}:{_local(when)}"
            reference = line
        else:
            line = f"{name};VALUE=DATE:{when:%Y%m%d}"
            # Known disagreement (see test_known_disagreements): a DATE RDATE in a DATE-TIME series
            # is an all-day instance at local midnight for recurring-ical-events and takes the
            # series' time of day for us; RFC 5545 does not define the mix. The reference is given
            # the DATE-TIME our reading means. A DATE EXDATE excludes the day in both engines.
            reference = line if name == "EXDATE" else f"RDATE;TZID={zone_name}:{when:%Y%m%d}T{dtstart:%H%M%S}"
        case.extra_lines.append(line)
        case.reference_lines.append(reference)
    assume(rule is not None or any(line.startswith("RDATE") for line in case.extra_lines))

    # Windows near DTSTART, and far from it: up to 12 years later; 2 days to 15 months long.
    offset = draw(st.one_of(st.integers(-30, 30), st.integers(-30, 400), st.integers(400, 12 * 366)))
    first = datetime.combine(day, time(0), tzinfo=UTC) + timedelta(
        days=offset, hours=draw(st.integers(0, 23))
    )
    case.window = (first, first + timedelta(days=draw(st.integers(2, 460))))
    return case


def _example(
    zone: str,
    start: str,
    rule: str,
    until_form: str | None = None,
    *,
    extra: list[str] | None = None,
    reference: list[str] | None = None,
) -> Case:
    """A hand-written case: the window is the series' first 60 days."""
    dtstart = datetime.fromisoformat(start)
    low = dtstart.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC) - timedelta(days=1)
    parts = dict(part.split("=", 1) for part in rule.split(";"))
    return Case(
        zone,
        dtstart,
        parts,
        until_form,
        extra or [],
        reference or extra or [],
        (low, low + timedelta(days=60)),
    )


def _rule_text(rule: dict[str, str]) -> str:
    return "RRULE:" + ";".join(f"{key}={value}" for key, value in rule.items())


def _reference_rule(case: Case) -> dict[str, str] | None:
    """The RRULE the reference is given: the same, except for two readings it does not share."""
    if case.rule is None:
        return None
    rule = dict(case.rule)
    zone = ZoneInfo(case.zone)
    if case.until_form == "floating":
        # Known disagreement: RFC 5545 3.3.10 requires a UTC UNTIL with a zoned DTSTART; we read a
        # floating one as local time in the event's zone (RFC 5545 3.3.5: floating times are local
        # wall time), recurring-ical-events as UTC. The reference gets the UTC UNTIL of our reading.
        until = datetime.strptime(rule["UNTIL"], "%Y%m%dT%H%M%S").replace(tzinfo=zone)
        rule["UNTIL"] = until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    elif case.until_form == "date":
        # Known disagreement: a DATE UNTIL with a DATE-TIME DTSTART (also against RFC 5545 3.3.10).
        # UNTIL "bounds the recurrence rule in an inclusive manner", so we keep that whole local
        # day; recurring-ical-events stops at its midnight. The reference gets the day's last second.
        day = datetime.strptime(rule["UNTIL"], "%Y%m%d").date()
        last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) - timedelta(seconds=1)
        rule["UNTIL"] = last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if "COUNT" in rule and not _rule_starts_at_dtstart(case):
        # Known disagreement: RFC 5545 3.3.10 says DTSTART "always counts as the first occurrence";
        # recurring-ical-events adds DTSTART to COUNT rule instances when the rule skips it. The
        # reference gets one instance fewer, which is the set RFC 5545 describes.
        count = int(rule["COUNT"]) - 1
        if count == 0:
            return None
        rule["COUNT"] = str(count)
    return rule


def _rule_starts_at_dtstart(case: Case) -> bool:
    assert case.rule is not None
    rule = {key: value for key, value in case.rule.items() if key != "COUNT"}
    first = next(iter(rrulestr(_rule_text(rule)[len("RRULE:") :], dtstart=case.dtstart)), None)
    return first == case.dtstart


def reference_instances(case: Case, lines: list[str], window: tuple[datetime, datetime]) -> list[datetime]:
    """Expand with icalendar + recurring-ical-events and keep the starts inside the window, in UTC."""
    text = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//airflow-provider-meetstream//differential test//EN",
            "BEGIN:VEVENT",
            "UID:series@test",
            "DTSTAMP:20200101T000000Z",
            f"DTSTART;TZID={case.zone}:{_local(case.dtstart)}",
            "DURATION:PT30M",
            *lines,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    calendar = icalendar.Calendar.from_ical(text)
    low, high = window
    found = set()
    # Asked for a wider window because it returns events that overlap it, not only those starting in it.
    for event in recurring_ical_events.of(calendar).between(
        low - timedelta(days=2), high + timedelta(days=2)
    ):
        start = event["DTSTART"].dt
        assert isinstance(start, datetime), f"an all-day instance {start} in a timed series"
        instant = start.astimezone(UTC)
        if low <= instant < high:
            found.add(instant)
    return sorted(found)


def our_instances(case: Case) -> list[datetime]:
    lines = ([_rule_text(case.rule)] if case.rule else []) + case.extra_lines
    start = case.dtstart.replace(tzinfo=ZoneInfo(case.zone))
    low, high = case.window
    return expand_occurrences(
        lines, start, timezone=case.zone, window_start=low, window_end=high, limit=MAX_OCCURRENCE_LIMIT
    )


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=cases())
# Each known disagreement, with the reference given the RFC reading (see _reference_rule).
@example(case=_example("America/New_York", "2027-03-07T09:00", "FREQ=WEEKLY;BYDAY=MO;COUNT=2"))
@example(
    case=_example("America/New_York", "2027-01-06T09:00", "FREQ=DAILY;UNTIL=20270110T090000", "floating")
)
@example(case=_example("America/New_York", "2027-01-06T09:00", "FREQ=DAILY;UNTIL=20270110", "date"))
@example(
    case=_example(
        "America/New_York",
        "2027-01-06T09:00",
        "FREQ=WEEKLY;COUNT=4",
        extra=["RDATE;VALUE=DATE:20270121"],
        reference=["RDATE;TZID=America/New_York:20270121T090000"],
    )
)
# Local times that DST skips (RFC 5545 3.3.5: the offset from before the gap) or repeats.
@example(case=_example("America/New_York", "2027-03-13T02:30", "FREQ=DAILY;COUNT=3"))
@example(case=_example("America/New_York", "2027-11-06T01:30", "FREQ=DAILY;COUNT=3"))
@example(case=_example("Australia/Lord_Howe", "2027-10-02T02:15", "FREQ=DAILY;COUNT=3"))
@example(case=_example("Australia/Lord_Howe", "2027-04-03T01:45", "FREQ=DAILY;COUNT=3"))
@example(case=_example("Europe/Dublin", "2027-03-27T01:30", "FREQ=DAILY;COUNT=3"))
@example(case=_example("America/Santiago", "2026-09-05T00:30", "FREQ=DAILY;COUNT=3"))
@example(case=_example("Asia/Tehran", "2021-03-20T00:30", "FREQ=DAILY;COUNT=3"))
# Samoa skipped 30 December 2011 when it crossed the date line.
@example(case=_example("Pacific/Apia", "2011-12-28T10:00", "FREQ=DAILY;COUNT=4"))
@example(case=_example("Pacific/Apia", "2011-12-01T10:00", "FREQ=MONTHLY;BYMONTHDAY=30;COUNT=3"))
def _compare(case: Case) -> None:
    rule = _reference_rule(case)
    lines = ([_rule_text(rule)] if rule else []) + case.reference_lines
    expected = reference_instances(case, lines, case.window)
    assume(len(expected) < MAX_OCCURRENCE_LIMIT)
    assert our_instances(case) == expected, case
    TALLY.cases += 1
    TALLY.instances += len(expected)


def test_expand_occurrences_matches_recurring_ical_events() -> None:
    TALLY.cases = TALLY.instances = 0
    _compare()
    print(f"\ncompared {TALLY.cases} generated series, {TALLY.instances} instances in all")
    assert TALLY.cases >= 150
    assert TALLY.instances > 0


# Where the engines disagree, both answers, so that a change on either side is noticed. The series
# starts Wednesday 6 January 2027, 09:00 EST (14:00Z).
@pytest.mark.parametrize(
    ("lines", "ours", "theirs"),
    [
        pytest.param(
            # RFC 5545 3.3.10: DTSTART "always counts as the first occurrence", so COUNT=2 is
            # DTSTART and one Monday; recurring-ical-events adds DTSTART to two Mondays.
            ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"],
            ["2027-01-06T14:00:00Z", "2027-01-11T14:00:00Z"],
            ["2027-01-06T14:00:00Z", "2027-01-11T14:00:00Z", "2027-01-18T14:00:00Z"],
            id="count-includes-a-dtstart-the-rule-skips",
        ),
        pytest.param(
            # RFC 5545 3.3.10 wants a UTC UNTIL here; the floating one is read as 09:00 in the
            # event's zone (3.3.5: local wall time) and is inclusive, recurring-ical-events reads UTC.
            ["RRULE:FREQ=DAILY;UNTIL=20270108T090000"],
            ["2027-01-06T14:00:00Z", "2027-01-07T14:00:00Z", "2027-01-08T14:00:00Z"],
            ["2027-01-06T14:00:00Z", "2027-01-07T14:00:00Z"],
            id="floating-until-is-local-time",
        ),
        pytest.param(
            # RFC 5545 3.3.10: UNTIL "bounds the recurrence rule in an inclusive manner": the whole
            # of 8 January; recurring-ical-events stops at its midnight.
            ["RRULE:FREQ=DAILY;UNTIL=20270108"],
            ["2027-01-06T14:00:00Z", "2027-01-07T14:00:00Z", "2027-01-08T14:00:00Z"],
            ["2027-01-06T14:00:00Z", "2027-01-07T14:00:00Z"],
            id="date-until-includes-its-day",
        ),
        pytest.param(
            # RFC 5545 does not define a DATE RDATE in a DATE-TIME series: ours takes the series'
            # time of day (documented); recurring-ical-events makes it local midnight.
            ["RDATE;VALUE=DATE:20270108"],
            ["2027-01-06T14:00:00Z", "2027-01-08T14:00:00Z"],
            ["2027-01-06T14:00:00Z", "2027-01-08T05:00:00Z"],
            id="date-rdate-takes-the-time-of-day",
        ),
    ],
)
def test_known_disagreements(lines: list[str], ours: list[str], theirs: list[str]) -> None:
    case = _example("America/New_York", "2027-01-06T09:00", "FREQ=DAILY", extra=lines)
    case.rule = None
    window = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))
    case.window = window
    as_utc = [datetime.fromisoformat(text.replace("Z", "+00:00")) for text in ours]

    assert our_instances(case) == as_utc
    assert reference_instances(case, lines, window) == [
        datetime.fromisoformat(text.replace("Z", "+00:00")) for text in theirs
    ]
