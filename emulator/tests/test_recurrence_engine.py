"""The emulator's own series engine, checked against examples worked out from RFC 5545 and the Graph docs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from meetstream_emulator.recurrence import (
    MAX_OCCURRENCE_LIMIT,
    expand_occurrences,
    raw_recurrence,
    raw_timezone,
)

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
EARLY = datetime(1990, 1, 1, tzinfo=UTC)


def z(text: str) -> datetime:
    """A UTC instant written as 2027-03-08T14:00."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def expand(
    recurrence: Any, start: datetime, zone: str | None = "America/New_York", **kwargs: Any
) -> list[datetime]:
    kwargs.setdefault("window_start", EARLY)
    kwargs.setdefault("limit", MAX_OCCURRENCE_LIMIT)
    return expand_occurrences(recurrence, start, timezone=zone, **kwargs)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


# --- RFC 5545 lines (Google) -------------------------------------------------------------------


def test_weekly_byday_keeps_local_time_across_both_us_dst_changes() -> None:
    """
    RFC 5545 3.3.5/3.3.10: a TZID DTSTART repeats in local time; US DST 2026 ends Nov 1, 2027 begins Mar
    14.
    """
    fall = expand(["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"], ny(2026, 10, 26, 9))
    spring = expand(["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"], ny(2027, 3, 8, 9))
    assert fall == [z("2026-10-26T13:00"), z("2026-11-02T14:00")]
    assert spring == [z("2027-03-08T14:00"), z("2027-03-15T13:00"), z("2027-03-22T13:00")]


def test_start_given_in_utc_is_still_expanded_in_the_event_zone() -> None:
    """API doc "Recurrence": expanding from a UTC start is the classic bug; the zone argument wins."""
    assert expand(["RRULE:FREQ=WEEKLY;COUNT=2"], z("2027-03-08T14:00")) == [
        z("2027-03-08T14:00"),
        z("2027-03-15T13:00"),
    ]


def test_rfc_daily_for_ten_occurrences() -> None:
    """RFC 5545 3.8.5.3 "Daily for 10 occurrences": 1997-09-02..11 at 09:00 EDT (13:00Z)."""
    got = expand(["RRULE:FREQ=DAILY;COUNT=10"], ny(1997, 9, 2, 9))
    assert got == [z(f"1997-09-{day:02d}T13:00") for day in range(2, 12)]


def test_count_includes_a_dtstart_the_rule_does_not_produce() -> None:
    """RFC 5545 3.3.10: DTSTART "always counts as the first occurrence": Thu DTSTART, BYDAY=MO, COUNT=3."""
    got = expand(["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"], ny(2027, 1, 7, 9))
    assert got == [z("2027-01-07T14:00"), z("2027-01-11T14:00"), z("2027-01-18T14:00")]
    assert expand(["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=1"], ny(2027, 1, 7, 9)) == [z("2027-01-07T14:00")]


def test_exdate_with_tzid_in_utc_and_as_date() -> None:
    """
    RFC 5545 3.8.5.1: each EXDATE form removes its instance; excluded ones still count for COUNT (3.3.10).
    """
    lines = [
        "RRULE:FREQ=DAILY;COUNT=5",
        "EXDATE;TZID=America/New_York:20270105T090000",
        "EXDATE:20270106T140000Z",
        "EXDATE;VALUE=DATE:20270107",
    ]
    assert expand(lines, ny(2027, 1, 4, 9)) == [z("2027-01-04T14:00"), z("2027-01-08T14:00")]


def test_exdate_date_is_the_local_day_of_an_evening_series() -> None:
    """
    RFC 5545 3.8.5.1 with a TZID DTSTART: 21:00 New York on Jan 5 is 02:00Z on Jan 6; the local date
    counts.
    """
    got = expand(["RRULE:FREQ=DAILY;COUNT=3", "EXDATE;VALUE=DATE:20270105"], ny(2027, 1, 4, 21))
    assert got == [z("2027-01-05T02:00"), z("2027-01-07T02:00")]


def test_exdate_can_remove_dtstart_and_windows_tzid_is_understood() -> None:
    """RFC 5545 3.8.5.1: EXDATE may exclude DTSTART; Graph-style Windows TZIDs map to IANA (CLDR)."""
    got = expand(
        ["RRULE:FREQ=DAILY;COUNT=3", "EXDATE;TZID=Eastern Standard Time:20270104T090000"], ny(2027, 1, 4, 9)
    )
    assert got == [z("2027-01-05T14:00"), z("2027-01-06T14:00")]


def test_rdate_adds_instants_to_a_rule() -> None:
    """RFC 5545 3.8.5.2: RDATE (UTC, TZID, or DATE at the series' time of day) joins the rule's instances."""
    lines = [
        "RRULE:FREQ=WEEKLY;COUNT=2",
        "RDATE:20270106T170000Z",
        "RDATE;TZID=America/New_York:20270107T090000",
        "RDATE;VALUE=DATE:20270108",
    ]
    got = expand(lines, ny(2027, 1, 4, 9))
    assert got == [
        z("2027-01-04T14:00"),
        z("2027-01-06T17:00"),
        z("2027-01-07T14:00"),
        z("2027-01-08T14:00"),
        z("2027-01-11T14:00"),
    ]


def test_rdate_without_rrule_keeps_dtstart_first() -> None:
    """RFC 5545 3.8.5.1: DTSTART defines the first instance of the recurrence set, also with only RDATEs."""
    got = expand(["RDATE;TZID=America/New_York:20270320T090000,20270110T090000"], ny(2027, 1, 4, 9))
    assert got == [z("2027-01-04T14:00"), z("2027-01-10T14:00"), z("2027-03-20T13:00")]


def test_until_in_utc() -> None:
    """RFC 5545 3.8.5.3 "Daily until December 24, 1997" (UNTIL=19971224T000000Z): Sep 2..Dec 23, 113 days."""
    got = expand(["RRULE:FREQ=DAILY;UNTIL=19971224T000000Z"], ny(1997, 9, 2, 9))
    assert len(got) == 113
    assert (got[0], got[-1]) == (z("1997-09-02T13:00"), z("1997-12-23T14:00"))


def test_until_as_local_time_is_read_in_the_event_zone() -> None:
    """
    RFC 5545 3.3.10 wants UTC; a floating UNTIL is read as New York time, so 09:00 on Dec 23 is included.
    """
    got = expand(["RRULE:FREQ=DAILY;UNTIL=19971223T090000"], ny(1997, 9, 2, 9))
    assert got[-1] == z("1997-12-23T14:00")
    assert len(got) == 113


def test_until_as_date_includes_that_whole_local_day() -> None:
    """
    RFC 5545 3.3.10: UNTIL as a DATE with a timed DTSTART: the whole local day of Dec 23 is in the series.
    """
    evening = expand(["RRULE:FREQ=DAILY;UNTIL=19971223"], ny(1997, 12, 20, 23, 30))
    assert evening[-1] == z("1997-12-24T04:30")  # 23:30 EST on Dec 23
    assert len(evening) == 4


def test_monthly_first_friday_and_first_monday() -> None:
    """RFC 5545 3.8.5.3 "Monthly on the first Friday for 10 occurrences", and BYDAY=1MO from 2027-02-01."""
    fridays = expand(["RRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR"], ny(1997, 9, 5, 9))
    expected = ["1997-09-05T13", "1997-10-03T13", "1997-11-07T14", "1997-12-05T14", "1998-01-02T14"]
    expected += ["1998-02-06T14", "1998-03-06T14", "1998-04-03T14", "1998-05-01T13", "1998-06-05T13"]
    assert fridays == [z(text + ":00") for text in expected]
    mondays = expand(["RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=1MO"], ny(2027, 2, 1, 9))
    assert mondays == [
        z("2027-02-01T14:00"),
        z("2027-03-01T14:00"),
        z("2027-04-05T13:00"),
        z("2027-05-03T13:00"),
    ]


def test_monthly_last_work_day_with_bysetpos() -> None:
    """
    RFC 5545 3.8.5.3 "The last work day of the month": Sep 30, Oct 31, Nov 28, Dec 31 1997, Jan 30, Feb 27...

    The example's DTSTART (Mon Sep 29) is not a last work day; per 3.8.5.1 and 3.3.10 it is still the
    first instance and counts for COUNT=7, so six rule instances follow it.
    """
    got = expand(["RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=7"], ny(1997, 9, 29, 9))
    days = ["1997-09-30T13", "1997-10-31T14", "1997-11-28T14", "1997-12-31T14", "1998-01-30T14"]
    days += ["1998-02-27T14"]
    assert got == [z("1997-09-29T13:00")] + [z(text + ":00") for text in days]


# --- Microsoft Graph patternedRecurrence ---------------------------------------------------------


def graph(pattern: dict[str, Any], span: dict[str, Any]) -> dict[str, Any]:
    return {"pattern": pattern, "range": span}


def test_graph_weekly_monday_noon_pacific_keeps_local_time() -> None:
    """Graph docs (patternedRecurrence example): weekly Monday 12:00 Pacific, 2017-09-04..2017-12-31."""
    recurrence = graph(
        {"type": "weekly", "interval": 1, "daysOfWeek": ["Monday"], "firstDayOfWeek": "sunday"},
        {
            "type": "endDate",
            "startDate": "2017-09-04",
            "endDate": "2017-12-31",
            "recurrenceTimeZone": "Pacific Standard Time",
        },
    )
    got = expand(recurrence, z("2017-09-04T19:00"), "Pacific Standard Time")
    assert len(got) == 17
    assert got[0] == z("2017-09-04T19:00")
    assert got[8] == z("2017-10-30T19:00")
    assert got[9:] == [z("2017-11-06T20:00") + timedelta(weeks=n) for n in range(8)]  # PST after Nov 5


def test_graph_every_other_first_thursday_counts_from_the_first_occurrence() -> None:
    """
    Graph docs (relativeMonthly): interval 2, first Thursday, startDate 2017-08-29: Sep 7, Nov 2, Jan 4...
    """
    recurrence = graph(
        {"type": "relativeMonthly", "interval": 2, "daysOfWeek": ["Thursday"], "index": "first"},
        {"type": "noEnd", "startDate": "2017-08-29", "recurrenceTimeZone": "UTC"},
    )
    got = expand(recurrence, z("2017-09-07T19:00"), "UTC", limit=4)
    assert got == [z("2017-09-07T19:00"), z("2017-11-02T19:00"), z("2018-01-04T19:00"), z("2018-03-01T19:00")]


def test_graph_absolute_monthly_31_falls_on_short_months_last_day() -> None:
    """Graph docs (absoluteMonthly dayOfMonth) with Exchange's rule: day 31 lands on Feb 28 and Apr 30."""
    recurrence = graph(
        {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
        {"type": "numbered", "startDate": "2027-01-01", "numberOfOccurrences": 5},
    )
    got = expand(recurrence, ny(2027, 1, 1, 9))
    assert got == [
        z("2027-01-31T14:00"),
        z("2027-02-28T14:00"),
        z("2027-03-31T13:00"),
        z("2027-04-30T13:00"),
        z("2027-05-31T13:00"),
    ]


def test_graph_numbered_yearly_ranges() -> None:
    """
    Graph docs (absoluteYearly, relativeYearly, numbered): Feb 29 yearly, and the fourth Thursday of
    November.
    """
    leap = graph(
        {"type": "absoluteYearly", "interval": 1, "month": 2, "dayOfMonth": 29},
        {"type": "numbered", "startDate": "2028-01-01", "numberOfOccurrences": 3},
    )
    assert expand(leap, z("2028-01-01T17:00"), "UTC") == [
        z("2028-02-29T17:00"),
        z("2029-02-28T17:00"),
        z("2030-02-28T17:00"),
    ]
    thanksgiving = graph(
        {"type": "relativeYearly", "interval": 1, "month": 11, "daysOfWeek": ["thursday"], "index": "fourth"},
        {"type": "numbered", "startDate": "2027-01-01", "numberOfOccurrences": 2},
    )
    assert expand(thanksgiving, z("2027-01-01T17:00"), "UTC") == [
        z("2027-11-25T17:00"),
        z("2028-11-23T17:00"),
    ]


def test_graph_daily_numbered_and_weekly_interval_with_first_day_of_week() -> None:
    """
    Graph docs (daily, weekly interval 2, firstDayOfWeek): weeks are counted from the first occurrence's
    week.
    """
    daily = graph(
        {"type": "daily", "interval": 3},
        {"type": "numbered", "startDate": "2027-01-01", "numberOfOccurrences": 3},
    )
    assert expand(daily, z("2027-01-01T08:00"), "UTC") == [
        z("2027-01-01T08:00"),
        z("2027-01-04T08:00"),
        z("2027-01-07T08:00"),
    ]
    # Start Wed 2027-01-06; weeks start Monday; every other week on Monday and Sunday.
    weekly = graph(
        {"type": "weekly", "interval": 2, "daysOfWeek": ["monday", "sunday"], "firstDayOfWeek": "monday"},
        {"type": "endDate", "startDate": "2027-01-06", "endDate": "2027-01-31"},
    )
    assert expand(weekly, z("2027-01-01T08:00"), "UTC") == [
        z("2027-01-10T08:00"),
        z("2027-01-18T08:00"),
        z("2027-01-24T08:00"),
    ]


# --- windows, limits, work bounds ---------------------------------------------------------------


def test_window_is_start_inclusive_end_exclusive_and_limit_counts_from_window_start() -> None:
    """Brief: occurrences with window_start <= start < window_end, the first `limit` of them."""
    daily = ["RRULE:FREQ=DAILY"]
    got = expand(
        daily, ny(2027, 1, 4, 9), window_start=z("2027-01-06T14:00"), window_end=z("2027-01-09T14:00")
    )
    assert got == [z("2027-01-06T14:00"), z("2027-01-07T14:00"), z("2027-01-08T14:00")]
    assert expand(daily, ny(2027, 1, 4, 9), window_start=z("2027-01-06T14:00"), limit=2) == got[:2]
    assert (
        expand(daily, ny(2027, 1, 4, 9), window_start=z("2027-01-06T14:00"), window_end=z("2027-01-06T14:00"))
        == []
    )


def test_far_window_of_a_daily_series_from_2000() -> None:
    """API doc: a series begun long ago expands in a window years later (speed is a bench's job)."""
    got = expand(
        ["RRULE:FREQ=DAILY"],
        ny(2000, 1, 3, 9),
        window_start=z("2027-03-01T00:00"),
        window_end=z("2027-04-01T00:00"),
    )
    far = expand(["RRULE:FREQ=DAILY"], ny(2000, 1, 3, 9), window_start=z("9000-01-01T00:00"), limit=1)
    assert len(got) == 31
    assert got[0] == z("2027-03-01T14:00")
    assert got[-1] == z("2027-03-31T13:00")
    assert far == [z("9000-01-01T14:00")]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR;WKST=SU",
        "FREQ=MONTHLY;INTERVAL=5",
        "FREQ=MONTHLY;BYDAY=-1SU",
        "FREQ=YEARLY;INTERVAL=2",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
        "FREQ=HOURLY;INTERVAL=7",
    ],
)
def test_far_windows_match_a_walk_from_the_original_dtstart(rule: str) -> None:
    """RFC 5545 3.3.10 semantics must not depend on the window: compare with dateutil walking from DTSTART."""
    start = ny(2000, 1, 31, 9)
    lower, upper = z("2004-01-01T00:00"), z("2006-06-01T00:00")
    walk = rrulestr(rule, dtstart=start).between(
        lower - timedelta(days=1), upper + timedelta(days=1), inc=True
    )
    oracle = [instant.astimezone(UTC) for instant in walk if lower <= instant < upper]
    assert oracle
    got = expand(["RRULE:" + rule], start, window_start=lower, window_end=upper)
    assert got == oracle[:MAX_OCCURRENCE_LIMIT]


def test_series_without_a_zone_uses_the_start_offset() -> None:
    """Brief: timezone None falls back to the start's own zone (a fixed offset follows no DST)."""
    start = datetime(2027, 3, 8, 9, tzinfo=timezone(timedelta(hours=-5)))
    assert expand(["RRULE:FREQ=WEEKLY;COUNT=2"], start, None) == [
        z("2027-03-08T14:00"),
        z("2027-03-15T14:00"),
    ]


@pytest.mark.parametrize(
    "recurrence",
    [
        ["RRULE:FREQ=DAILY;INTERVAL=0"],
        ["RRULE:FREQ=FORTNIGHTLY"],
        ["RRULE:BYDAY=MO"],
        ["RRULE:FREQ=DAILY;BYDAY=XX"],
        ["RRULE:FREQ=DAILY;COUNT=2;UNTIL=20270110T000000Z"],
        ["RRULE:FREQ=DAILY;UNTIL=2027"],
        ["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"],
        ["EXRULE:FREQ=DAILY"],
        ["not a line"],
        ["EXDATE;TZID=Nowhere/Zone:20270105T090000"],
        ["EXDATE:2027-01-05"],
        {"pattern": {"type": "daily", "interval": 0}, "range": {"type": "noEnd", "startDate": "2027-01-01"}},
        {"pattern": {"type": "hourly", "interval": 1}, "range": {"type": "noEnd", "startDate": "2027-01-01"}},
        {"pattern": {"type": "weekly", "interval": 1}, "range": {"type": "noEnd", "startDate": "2027-01-01"}},
        {
            "pattern": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 32},
            "range": {"type": "noEnd", "startDate": "2027-01-01"},
        },
        {"pattern": {"type": "daily", "interval": 1}, "range": {"type": "noEnd"}},
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2027-01-01"},
        },
        {"pattern": {"type": "daily", "interval": 1}},
        "RRULE:FREQ=DAILY",
    ],
)
def test_malformed_recurrence_raises_value_error(recurrence: Any) -> None:
    """
    RFC 5545 3.3.10 / Graph patternedRecurrence: a bad line or field is refused, never guessed or ignored.
    """
    with pytest.raises(
        ValueError, match=r"(?i)rule|line|recurrence|graph|zone|until|count|interval|freq|never|malformed"
    ):
        expand(recurrence, ny(2027, 1, 4, 9))


@pytest.mark.parametrize(
    ("recurrence", "named"),
    [
        (["RRULE:FREQ=WEEKLY;BYDAY=XX"], "BYDAY value 'XX'"),
        # RFC 5545 3.3.10: a BYDAY ordinal "MUST NOT be specified" unless FREQ is MONTHLY or YEARLY.
        (["RRULE:FREQ=WEEKLY;BYDAY=1MO"], "an ordinal needs MONTHLY"),
        (["RRULE:FREQ=MONTHLY;BYDAY=6MO"], "BYDAY value '6MO'"),
        (["RRULE:FREQ=WEEKLY;SOMEDAY=1"], "is not a valid RRULE: unknown rule part 'SOMEDAY'"),
        (["RRULE:FREQ=WEEKLY;BYMONTH=13"], "BYMONTH value '13'"),
        (["RRULE:FREQ=MONTHLY;BYMONTHDAY=0"], "BYMONTHDAY value '0'"),
        (["RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-367"], "BYSETPOS value '-367'"),
        (["RRULE:FREQ=DAILY;BYHOUR=-1"], "BYHOUR value '-1'"),
        (["RRULE:FREQ=DAILY;COUNT=10001"], "COUNT at most 10000"),
        (["EXDATE:20270105T140000Z"], "needs an RRULE or RDATE line"),
        (
            {"pattern": {"type": "fortnightly"}, "range": {"type": "noEnd", "startDate": "2027-01-05"}},
            "pattern.type 'fortnightly'",
        ),
        (
            {"pattern": {"type": "daily"}, "range": {"type": "noEnd", "startDate": "2027-01-05"}},
            "pattern.interval",
        ),
        (
            {
                "pattern": {"type": "daily", "interval": 1},
                "range": {"type": "weekly", "startDate": "2027-01-05"},
            },
            "range.type 'weekly'",
        ),
        (
            {
                "pattern": {"type": "daily", "interval": 1},
                "range": {"type": "numbered", "startDate": "2027-01-05", "numberOfOccurrences": 10001},
            },
            "range.numberOfOccurrences must be 1..10000",
        ),
    ],
)
def test_an_error_names_the_part_or_field_at_fault(recurrence: Any, named: str) -> None:
    """The message is what a user reads in a 400 or on stderr: it names what to fix."""
    with pytest.raises(ValueError, match=re.escape(named)):
        expand(recurrence, ny(2027, 1, 4, 9))


def test_bad_zone_limit_and_naive_datetimes_raise_value_error() -> None:
    """Brief: an unknown zone, a limit outside 1..1000 and naive instants are errors."""
    with pytest.raises(ValueError, match="time zone"):
        expand(["RRULE:FREQ=DAILY"], ny(2027, 1, 4, 9), "Mars/Olympus_Mons")
    for limit in (0, MAX_OCCURRENCE_LIMIT + 1):
        with pytest.raises(ValueError, match="limit"):
            expand(["RRULE:FREQ=DAILY"], ny(2027, 1, 4, 9), limit=limit)
    with pytest.raises(ValueError, match="aware"):
        expand(["RRULE:FREQ=DAILY"], datetime(2027, 1, 4, 9))


def test_dense_rule_is_refused_instead_of_hanging() -> None:
    """Brief: the work is bounded; a rule with an absurd COUNT is refused."""
    with pytest.raises(ValueError, match="COUNT"):
        expand(["RRULE:FREQ=SECONDLY;COUNT=100000000"], ny(2027, 1, 4, 9))


# --- reading the raw payload --------------------------------------------------------------------


def test_raw_recurrence_and_timezone_for_google_and_graph() -> None:
    """
    API doc GET /calendar/events: Google lines + start.timeZone; Graph pattern + range.recurrenceTimeZone.
    """
    google = {"recurrence": ["RRULE:FREQ=WEEKLY"], "start": {"dateTime": "x", "timeZone": "Europe/Paris"}}
    outlook = {
        "recurrence": {
            "pattern": {"type": "daily"},
            "range": {"recurrenceTimeZone": "Pacific Standard Time"},
        },
        "start": {"dateTime": "x", "timeZone": "UTC"},
    }
    assert raw_recurrence(google) == ["RRULE:FREQ=WEEKLY"]
    assert raw_timezone(google) == "Europe/Paris"
    assert raw_recurrence(outlook) == outlook["recurrence"]
    assert raw_timezone(outlook) == "Pacific Standard Time"
    assert raw_recurrence({"start": {"timeZone": "UTC"}}) is None
    assert raw_timezone({}) is None
    assert raw_timezone({"recurrence": {"range": {}}, "start": {"timeZone": "UTC"}}) == "UTC"
