"""Tests of the recurrence expansion: Google RFC 5545 lines and Graph patterns to UTC instants."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from airflow_provider_meetstream.recurrence import (
    RecurrenceError,
    expand_occurrences,
    format_occurrence,
    parse_aware_datetime,
    resolve_timezone,
    series_from_event,
)

# Calendar facts the expected values below rest on (checked by hand, not by the code under test):
# US DST 2027 runs from Sunday 14 March to Sunday 7 November (New York: EST = UTC-5, EDT = UTC-4);
# EU summer time 2027 runs from Sunday 28 March to Sunday 31 October (Berlin CET = UTC+1,
# CEST = UTC+2; London GMT = UTC+0, BST = UTC+1). 1 March 2027 is a Monday.

NY = "America/New_York"
MONDAYS_9AM_NY = "2027-03-01T09:00:00-05:00"
WEEKLY_MONDAY = "RRULE:FREQ=WEEKLY;BYDAY=MO"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# id, recurrence, start, timezone, window_start, window_end, limit, expected UTC starts
CASES: list[tuple[str, Any, Any, str | None, str, str | None, int, list[str]]] = [
    # --- DST: the wall-clock time stays, the UTC instant moves ---
    (
        "weekly-keeps-9am-across-spring-dst",
        [WEEKLY_MONDAY],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        3,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "weekly-keeps-9am-across-autumn-dst",
        [WEEKLY_MONDAY],
        "2027-10-25T09:00:00-04:00",
        NY,
        "2027-10-01T00:00:00Z",
        None,
        3,
        ["2027-10-25T13:00:00Z", "2027-11-01T13:00:00Z", "2027-11-08T14:00:00Z"],
    ),
    (
        "no-timezone-and-fixed-offset-start-cannot-follow-dst",
        [WEEKLY_MONDAY],
        MONDAYS_9AM_NY,
        None,
        "2027-03-01T00:00:00Z",
        None,
        3,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-15T14:00:00Z"],
    ),
    (
        "no-timezone-uses-the-zone-of-an-aware-start",
        [WEEKLY_MONDAY],
        datetime(2027, 3, 8, 9, 0, tzinfo=ZoneInfo(NY)),
        None,
        "2027-03-01T00:00:00Z",
        None,
        2,
        ["2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "spring-gap-takes-the-offset-before-the-gap",
        ["RRULE:FREQ=DAILY"],
        "2027-03-13T02:30:00-05:00",
        NY,
        "2027-03-13T00:00:00Z",
        None,
        3,
        ["2027-03-13T07:30:00Z", "2027-03-14T07:30:00Z", "2027-03-15T06:30:00Z"],
    ),
    (
        "autumn-fold-takes-the-first-of-the-two",
        ["RRULE:FREQ=DAILY"],
        "2027-11-06T01:30:00-04:00",
        NY,
        "2027-11-06T00:00:00Z",
        None,
        3,
        ["2027-11-06T05:30:00Z", "2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z"],
    ),
    (
        "hourly-across-the-spring-gap-has-no-duplicate",
        # 02:00 does not exist on 14 March; read with the offset before the gap it is 03:00 EDT.
        ["RRULE:FREQ=HOURLY"],
        "2027-03-14T01:00:00-05:00",
        NY,
        "2027-03-14T05:30:00Z",
        None,
        3,
        ["2027-03-14T06:00:00Z", "2027-03-14T07:00:00Z", "2027-03-14T08:00:00Z"],
    ),
    # --- UNTIL in its three forms ---
    (
        "until-utc-is-inclusive",
        ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270315T130000Z"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        10,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "until-utc-one-second-before-an-occurrence-excludes-it",
        ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270315T125959Z"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        10,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z"],
    ),
    (
        "until-floating-is-local-time-in-the-event-zone",
        ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270315T090000"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        10,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "until-date-includes-that-local-day",
        ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270315"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        10,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "until-date-the-day-before-excludes-the-occurrence",
        ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270314"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        10,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z"],
    ),
    (
        "until-date-is-the-local-day-not-the-utc-day",
        ["RRULE:FREQ=DAILY;UNTIL=20270315"],
        "2027-03-13T21:00:00-05:00",
        NY,
        "2027-03-13T00:00:00Z",
        None,
        10,
        ["2027-03-14T02:00:00Z", "2027-03-15T01:00:00Z", "2027-03-16T01:00:00Z"],
    ),
    # --- COUNT and INTERVAL ---
    (
        "count-is-counted-from-the-series-start-not-the-window",
        # Mondays from 4 January: 8 of 10 fall before 23 February, 1 and 8 March remain.
        ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"],
        "2027-01-04T09:00:00-05:00",
        NY,
        "2027-02-23T00:00:00Z",
        None,
        52,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z"],
    ),
    (
        "interval-2-weeks-on-two-days",
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"],
        "2027-01-05T10:00:00+01:00",
        "Europe/Berlin",
        "2027-01-01T00:00:00Z",
        None,
        5,
        [
            "2027-01-05T09:00:00Z",
            "2027-01-07T09:00:00Z",
            "2027-01-19T09:00:00Z",
            "2027-01-21T09:00:00Z",
            "2027-02-02T09:00:00Z",
        ],
    ),
    (
        "interval-2-weeks-begun-years-ago-keeps-its-parity",
        # 31 May 2027 is 386 weeks after 6 January 2020 (even), 7 June is week 387 (odd).
        ["RRULE:FREQ=WEEKLY;INTERVAL=2"],
        "2020-01-06T09:00:00-05:00",
        NY,
        "2027-06-01T00:00:00Z",
        None,
        3,
        ["2027-06-14T13:00:00Z", "2027-06-28T13:00:00Z", "2027-07-12T13:00:00Z"],
    ),
    (
        "interval-3-days-begun-years-ago-keeps-its-phase",
        # 1 January 2027 is 4383 days (a multiple of 3) after 1 January 2015.
        ["RRULE:FREQ=DAILY;INTERVAL=3"],
        "2015-01-01T08:00:00+00:00",
        "Europe/London",
        "2027-01-02T00:00:00Z",
        None,
        3,
        ["2027-01-04T08:00:00Z", "2027-01-07T08:00:00Z", "2027-01-10T08:00:00Z"],
    ),
    (
        "monthly-begun-years-ago-on-the-31st-keeps-the-31st",
        ["RRULE:FREQ=MONTHLY"],
        "2015-01-31T09:00:00-05:00",
        NY,
        "2027-01-01T00:00:00Z",
        None,
        3,
        ["2027-01-31T14:00:00Z", "2027-03-31T13:00:00Z", "2027-05-31T13:00:00Z"],
    ),
    (
        "yearly-on-29-february-skips-common-years",
        ["RRULE:FREQ=YEARLY"],
        "2024-02-29T10:00:00+00:00",
        "UTC",
        "2025-01-01T00:00:00Z",
        None,
        2,
        ["2028-02-29T10:00:00Z", "2032-02-29T10:00:00Z"],
    ),
    # --- BYDAY ordinals, BYMONTHDAY, BYSETPOS ---
    (
        "byday-first-monday",
        ["RRULE:FREQ=MONTHLY;BYDAY=1MO"],
        "2027-01-04T09:00:00-05:00",
        NY,
        "2027-01-01T00:00:00Z",
        None,
        4,
        ["2027-01-04T14:00:00Z", "2027-02-01T14:00:00Z", "2027-03-01T14:00:00Z", "2027-04-05T13:00:00Z"],
    ),
    (
        "byday-last-friday",
        ["RRULE:FREQ=MONTHLY;BYDAY=-1FR"],
        "2027-01-29T16:00:00+00:00",
        "Europe/London",
        "2027-01-01T00:00:00Z",
        None,
        4,
        ["2027-01-29T16:00:00Z", "2027-02-26T16:00:00Z", "2027-03-26T16:00:00Z", "2027-04-30T15:00:00Z"],
    ),
    (
        "bymonthday-31-skips-short-months",
        ["RRULE:FREQ=MONTHLY;BYMONTHDAY=31"],
        "2027-01-31T12:00:00+01:00",
        "Europe/Berlin",
        "2027-01-01T00:00:00Z",
        None,
        4,
        ["2027-01-31T11:00:00Z", "2027-03-31T10:00:00Z", "2027-05-31T10:00:00Z", "2027-07-31T10:00:00Z"],
    ),
    (
        "bysetpos-last-weekday-of-the-month",
        ["RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"],
        "2027-01-29T09:00:00-05:00",
        NY,
        "2027-01-01T00:00:00Z",
        None,
        3,
        ["2027-01-29T14:00:00Z", "2027-02-26T14:00:00Z", "2027-03-31T13:00:00Z"],
    ),
    (
        "bysetpos-weekly-begun-years-ago-picks-from-whole-weeks",
        # Of each Monday-to-Sunday week's Monday and Sunday, the first is the Monday.
        ["RRULE:FREQ=WEEKLY;BYDAY=MO,SU;BYSETPOS=1"],
        "2020-01-10T09:00:00+00:00",
        "UTC",
        "2027-06-05T00:00:00Z",
        None,
        3,
        ["2027-06-07T09:00:00Z", "2027-06-14T09:00:00Z", "2027-06-21T09:00:00Z"],
    ),
    (
        "two-rrules-merge",
        [WEEKLY_MONDAY, "RRULE:FREQ=WEEKLY;BYDAY=TH"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        4,
        ["2027-03-01T14:00:00Z", "2027-03-04T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-11T14:00:00Z"],
    ),
    # --- EXDATE in its three forms ---
    (
        "exdate-with-a-tzid-of-another-zone",
        [WEEKLY_MONDAY, "EXDATE;TZID=Europe/London:20270308T140000"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        3,
        ["2027-03-01T14:00:00Z", "2027-03-15T13:00:00Z", "2027-03-22T13:00:00Z"],
    ),
    (
        "exdate-in-utc",
        [WEEKLY_MONDAY, "EXDATE:20270315T130000Z"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        3,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-22T13:00:00Z"],
    ),
    (
        "exdate-in-utc-removes-an-occurrence-in-the-spring-gap",
        ["RRULE:FREQ=DAILY", "EXDATE:20270314T073000Z"],
        "2027-03-13T02:30:00-05:00",
        NY,
        "2027-03-13T00:00:00Z",
        None,
        2,
        ["2027-03-13T07:30:00Z", "2027-03-15T06:30:00Z"],
    ),
    (
        "exdate-value-date",
        [WEEKLY_MONDAY, "EXDATE;VALUE=DATE:20270308"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        3,
        ["2027-03-01T14:00:00Z", "2027-03-15T13:00:00Z", "2027-03-22T13:00:00Z"],
    ),
    (
        "exdate-value-date-is-the-local-date",
        # 21:00 New York on 13 March is 14 March in UTC; the excluded local 14 March is 15 March UTC.
        ["RRULE:FREQ=DAILY", "EXDATE;VALUE=DATE:20270314"],
        "2027-03-13T21:00:00-05:00",
        NY,
        "2027-03-13T00:00:00Z",
        None,
        2,
        ["2027-03-14T02:00:00Z", "2027-03-16T01:00:00Z"],
    ),
    (
        "exdate-comma-separated-list",
        [WEEKLY_MONDAY, "EXDATE;TZID=America/New_York:20270308T090000,20270322T090000"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        3,
        ["2027-03-01T14:00:00Z", "2027-03-15T13:00:00Z", "2027-03-29T13:00:00Z"],
    ),
    # --- RDATE in its three forms ---
    (
        "rdate-with-a-tzid-of-another-zone",
        [WEEKLY_MONDAY, "RDATE;TZID=Europe/Berlin:20270310T150000"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        4,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-10T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "rdate-in-utc",
        [WEEKLY_MONDAY, "RDATE:20270310T120000Z"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        4,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-10T12:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "rdate-value-date-takes-the-local-start-time",
        [WEEKLY_MONDAY, "RDATE;VALUE=DATE:20270317"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-09T00:00:00Z",
        None,
        4,
        ["2027-03-15T13:00:00Z", "2027-03-17T13:00:00Z", "2027-03-22T13:00:00Z", "2027-03-29T13:00:00Z"],
    ),
    (
        "rdate-period-counts-its-start",
        [WEEKLY_MONDAY, "RDATE;VALUE=PERIOD:20270310T120000Z/PT1H"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-09T00:00:00Z",
        None,
        2,
        ["2027-03-10T12:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "rdate-equal-to-an-rrule-occurrence-appears-once",
        [WEEKLY_MONDAY, "RDATE;TZID=America/New_York:20270308T090000"],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-01T00:00:00Z",
        None,
        3,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "rdate-only-is-sorted",
        ["RDATE:20270301T140000Z,20270201T140000Z"],
        "2027-02-01T14:00:00Z",
        None,
        "2027-01-01T00:00:00Z",
        None,
        52,
        ["2027-02-01T14:00:00Z", "2027-03-01T14:00:00Z"],
    ),
    (
        "a-single-string-is-read-as-lines",
        "RRULE:FREQ=DAILY;COUNT=2",
        "2027-03-13T09:00:00-05:00",
        NY,
        "2027-03-01T00:00:00Z",
        None,
        52,
        ["2027-03-13T14:00:00Z", "2027-03-14T13:00:00Z"],
    ),
    # --- the window ---
    (
        "window-start-is-inclusive-and-window-end-exclusive",
        [WEEKLY_MONDAY],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-08T14:00:00Z",
        "2027-03-22T13:00:00Z",
        52,
        ["2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "limit-counts-from-the-window-start",
        [WEEKLY_MONDAY],
        MONDAYS_9AM_NY,
        NY,
        "2027-03-09T00:00:00Z",
        None,
        1,
        ["2027-03-15T13:00:00Z"],
    ),
    # --- Microsoft Graph patternedRecurrence ---
    (
        "graph-weekly-zone-from-recurrence-time-zone-and-inclusive-end-date",
        {
            "pattern": {
                "type": "weekly",
                "interval": 1,
                "daysOfWeek": ["monday"],
                "firstDayOfWeek": "sunday",
            },
            "range": {
                "type": "endDate",
                "startDate": "2027-03-01",
                "endDate": "2027-03-15",
                "recurrenceTimeZone": "Eastern Standard Time",
            },
        },
        "2027-03-01T14:00:00Z",
        None,
        "2027-03-01T00:00:00Z",
        None,
        52,
        ["2027-03-01T14:00:00Z", "2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"],
    ),
    (
        "graph-weekly-interval-2-weeks-start-on-sunday",
        # Weeks Sun-Sat: 28 Feb-6 Mar is on (Mon 1; Sun 28 precedes the start), 14-20 Mar on, ...
        {
            "pattern": {
                "type": "weekly",
                "interval": 2,
                "daysOfWeek": ["monday", "sunday"],
                "firstDayOfWeek": "sunday",
            },
            "range": {"type": "noEnd", "startDate": "2027-03-01"},
        },
        "2027-03-01T10:00:00+01:00",
        "W. Europe Standard Time",
        "2027-03-01T00:00:00Z",
        None,
        4,
        ["2027-03-01T09:00:00Z", "2027-03-14T09:00:00Z", "2027-03-15T09:00:00Z", "2027-03-28T08:00:00Z"],
    ),
    (
        "graph-weekly-interval-2-weeks-start-on-monday",
        # Weeks Mon-Sun: 1-7 Mar is on, 15-21 Mar on; the same days pair differently.
        {
            "pattern": {
                "type": "weekly",
                "interval": 2,
                "daysOfWeek": ["monday", "sunday"],
                "firstDayOfWeek": "monday",
            },
            "range": {"type": "noEnd", "startDate": "2027-03-01"},
        },
        "2027-03-01T10:00:00+01:00",
        "Europe/Berlin",
        "2027-03-01T00:00:00Z",
        None,
        4,
        ["2027-03-01T09:00:00Z", "2027-03-07T09:00:00Z", "2027-03-15T09:00:00Z", "2027-03-21T09:00:00Z"],
    ),
    (
        "graph-daily-numbered-counts-from-the-start-date",
        # 5 occurrences from 12 March; the window drops 12 and 13 March.
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2027-03-12", "numberOfOccurrences": 5},
        },
        "2027-03-12T09:00:00-05:00",
        NY,
        "2027-03-14T00:00:00Z",
        None,
        52,
        ["2027-03-14T13:00:00Z", "2027-03-15T13:00:00Z", "2027-03-16T13:00:00Z"],
    ),
    (
        "graph-series-begins-on-start-date-at-the-local-time-of-start",
        {
            "pattern": {"type": "daily", "interval": 2},
            "range": {"type": "numbered", "startDate": "2027-03-12", "numberOfOccurrences": 3},
        },
        "2027-01-05T09:00:00-05:00",
        NY,
        "2027-01-01T00:00:00Z",
        None,
        52,
        ["2027-03-12T14:00:00Z", "2027-03-14T13:00:00Z", "2027-03-16T13:00:00Z"],
    ),
    (
        "graph-absolute-monthly-31-falls-on-the-last-day-of-short-months",
        {
            "pattern": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
            "range": {"type": "noEnd", "startDate": "2027-01-31"},
        },
        "2027-01-31T12:00:00+01:00",
        "W. Europe Standard Time",
        "2027-01-01T00:00:00Z",
        None,
        4,
        ["2027-01-31T11:00:00Z", "2027-02-28T11:00:00Z", "2027-03-31T10:00:00Z", "2027-04-30T10:00:00Z"],
    ),
    (
        "graph-relative-monthly-last-friday",
        {
            "pattern": {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["friday"], "index": "last"},
            "range": {"type": "noEnd", "startDate": "2027-01-01"},
        },
        "2027-01-29T16:00:00Z",
        "GMT Standard Time",
        "2027-01-01T00:00:00Z",
        None,
        4,
        ["2027-01-29T16:00:00Z", "2027-02-26T16:00:00Z", "2027-03-26T16:00:00Z", "2027-04-30T15:00:00Z"],
    ),
    (
        "graph-relative-monthly-second-tuesday-every-2-months",
        {
            "pattern": {
                "type": "relativeMonthly",
                "interval": 2,
                "daysOfWeek": ["tuesday"],
                "index": "second",
            },
            "range": {"type": "endDate", "startDate": "2027-01-01", "endDate": "2027-12-31"},
        },
        "2027-01-12T10:00:00-08:00",
        "Pacific Standard Time",
        "2027-01-01T00:00:00Z",
        None,
        3,
        ["2027-01-12T18:00:00Z", "2027-03-09T18:00:00Z", "2027-05-11T17:00:00Z"],
    ),
    (
        "graph-absolute-yearly-29-february-falls-on-the-28th-in-common-years",
        {
            "pattern": {"type": "absoluteYearly", "interval": 1, "month": 2, "dayOfMonth": 29},
            "range": {"type": "noEnd", "startDate": "2027-01-01"},
        },
        "2027-02-28T10:00:00Z",
        "UTC",
        "2027-01-01T00:00:00Z",
        None,
        3,
        ["2027-02-28T10:00:00Z", "2028-02-29T10:00:00Z", "2029-02-28T10:00:00Z"],
    ),
    (
        "graph-relative-yearly-fourth-thursday-of-november",
        {
            "pattern": {
                "type": "relativeYearly",
                "interval": 1,
                "month": 11,
                "daysOfWeek": ["thursday"],
                "index": "fourth",
            },
            "range": {"type": "noEnd", "startDate": "2026-01-01"},
        },
        "2026-11-26T12:00:00-05:00",
        "Eastern Standard Time",
        "2026-01-01T00:00:00Z",
        None,
        3,
        ["2026-11-26T17:00:00Z", "2027-11-25T17:00:00Z", "2028-11-23T17:00:00Z"],
    ),
    (
        # Graph repeats a pattern in range.recurrenceTimeZone; the timezone argument (often Graph's
        # start.timeZone, "UTC" by default) only stands in when the range names no known zone.
        "graph-recurrence-time-zone-wins-over-the-timezone-argument",
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {
                "type": "numbered",
                "startDate": "2027-03-13",
                "numberOfOccurrences": 2,
                "recurrenceTimeZone": "UTC",
            },
        },
        "2027-03-13T09:00:00-05:00",
        NY,
        "2027-03-01T00:00:00Z",
        None,
        52,
        ["2027-03-13T14:00:00Z", "2027-03-14T14:00:00Z"],
    ),
    (
        "graph-timezone-argument-when-the-range-names-no-zone",
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2027-03-13", "numberOfOccurrences": 2},
        },
        "2027-03-13T09:00:00-05:00",
        NY,
        "2027-03-01T00:00:00Z",
        None,
        52,
        ["2027-03-13T14:00:00Z", "2027-03-14T13:00:00Z"],
    ),
    (
        "graph-no-end-begun-years-ago",
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "noEnd", "startDate": "2015-06-01"},
        },
        "2015-06-01T09:00:00-04:00",
        NY,
        "2027-03-13T00:00:00Z",
        None,
        3,
        ["2027-03-13T14:00:00Z", "2027-03-14T13:00:00Z", "2027-03-15T13:00:00Z"],
    ),
]


@pytest.mark.parametrize(
    ("recurrence", "start", "zone", "window_start", "window_end", "limit", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_expand_occurrences(
    recurrence: Any,
    start: Any,
    zone: str | None,
    window_start: str,
    window_end: str | None,
    limit: int,
    expected: list[str],
) -> None:
    result = expand_occurrences(
        recurrence,
        start,
        timezone=zone,
        window_start=window_start,
        window_end=window_end,
        limit=limit,
    )

    assert [format_occurrence(instant) for instant in result] == expected
    assert all(instant.tzinfo is timezone.utc for instant in result)
    assert result == sorted(set(result))


def test_default_window_starts_now() -> None:
    before = datetime.now(timezone.utc)

    result = expand_occurrences(["RRULE:FREQ=DAILY"], "2020-01-01T09:00:00Z", timezone="UTC", limit=5)

    assert len(result) == 5
    assert result[0] >= before
    assert result[0] - before <= timedelta(days=1)
    assert [b - a for a, b in pairwise(result)] == [timedelta(days=1)] * 4


def test_long_running_daily_series_expands_from_the_window() -> None:
    result = expand_occurrences(
        ["RRULE:FREQ=DAILY"],
        "1990-01-01T09:00:00-05:00",
        timezone=NY,
        window_start="2027-01-01T00:00:00Z",
        limit=1000,
    )

    assert len(result) == 1000
    assert format_occurrence(result[0]) == "2027-01-01T14:00:00Z"
    # 999 days after 1 January 2027 is 26 September 2029, in EDT.
    assert format_occurrence(result[-1]) == "2029-09-26T13:00:00Z"


def test_a_dense_rule_far_before_the_window_is_refused_not_walked_forever() -> None:
    with pytest.raises(RecurrenceError, match="window") as info:
        expand_occurrences(
            ["RRULE:FREQ=MINUTELY"], "2020-01-01T00:00:00Z", window_start="2027-01-01T00:00:00Z"
        )

    assert info.value.argument == "recurrence"


def test_window_end_bounds_a_series_without_end() -> None:
    result = expand_occurrences(
        [WEEKLY_MONDAY],
        MONDAYS_9AM_NY,
        timezone=NY,
        window_start="2027-03-01T00:00:00Z",
        window_end="2027-03-15T13:00:00Z",
        limit=1000,
    )

    assert [format_occurrence(instant) for instant in result] == [
        "2027-03-01T14:00:00Z",
        "2027-03-08T14:00:00Z",
    ]


def test_accepts_aware_datetimes_for_every_instant() -> None:
    result = expand_occurrences(
        [WEEKLY_MONDAY],
        datetime(2027, 3, 1, 14, 0, tzinfo=timezone.utc),
        timezone=NY,
        window_start=datetime(2027, 3, 8, 9, 0, tzinfo=ZoneInfo(NY)),
        window_end=datetime(2027, 3, 16, tzinfo=timezone.utc),
    )

    assert result == [utc("2027-03-08T14:00:00Z"), utc("2027-03-15T13:00:00Z")]


@pytest.mark.parametrize("limit", [0, 1001, -1, True, False, 2.0, "5", None], ids=repr)
def test_limit_out_of_bounds_is_refused(limit: Any) -> None:
    with pytest.raises(RecurrenceError, match="limit") as info:
        expand_occurrences([WEEKLY_MONDAY], MONDAYS_9AM_NY, window_start="2027-03-01T00:00:00Z", limit=limit)

    assert info.value.argument == "limit"


@pytest.mark.parametrize("limit", [1, 1000])
def test_limit_bounds_are_inclusive(limit: int) -> None:
    result = expand_occurrences(
        ["RRULE:FREQ=DAILY"], MONDAYS_9AM_NY, timezone=NY, window_start="2027-03-01T00:00:00Z", limit=limit
    )

    assert len(result) == limit


@pytest.mark.parametrize(
    ("argument", "overrides"),
    [
        pytest.param("start", {"start": "2027-03-01T09:00:00"}, id="naive-start-string"),
        pytest.param("start", {"start": datetime(2027, 3, 1, 9, 0)}, id="naive-start-datetime"),
        pytest.param("start", {"start": "next monday"}, id="start-not-iso"),
        pytest.param("start", {"start": 1772373600}, id="start-not-a-datetime"),
        pytest.param("window_start", {"window_start": "2027-03-01T00:00:00"}, id="naive-window-start"),
        pytest.param("window_end", {"window_end": datetime(2027, 4, 1)}, id="naive-window-end"),
        pytest.param("window_end", {"window_end": "2027-02-01T00:00:00Z"}, id="window-end-before-start"),
        pytest.param("timezone", {"timezone": "Mars/Olympus_Mons"}, id="unknown-iana-zone"),
        pytest.param("timezone", {"timezone": "Nowhere Standard Time"}, id="unknown-windows-zone"),
        pytest.param("timezone", {"timezone": ""}, id="empty-zone"),
    ],
)
def test_bad_arguments_are_refused_by_name(argument: str, overrides: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "start": MONDAYS_9AM_NY,
        "timezone": NY,
        "window_start": "2027-03-01T00:00:00Z",
    }
    arguments.update(overrides)

    with pytest.raises(RecurrenceError) as info:
        expand_occurrences([WEEKLY_MONDAY], **arguments)

    assert info.value.argument == argument


@pytest.mark.parametrize(
    "bad_line",
    [
        "RRULE:FREQ=FORTNIGHTLY",
        "RRULE:FREQ=WEEKLY;BYDAY=XX",
        "RRULE:INTERVAL=2;BYDAY=MO",
        "RRULE:FREQ=WEEKLY;COLOUR=BLUE",
        "RRULE:FREQ=DAILY;INTERVAL=0",
        "RRULE:FREQ=DAILY;COUNT=many",
        "RRULE:FREQ=DAILY;COUNT=3;UNTIL=20270401T000000Z",
        "RRULE:FREQ=DAILY;UNTIL=2027-04-01",
        "RRULE:FREQ=DAILY;FREQ=WEEKLY",
        "RRULE;TZID=America/New_York:FREQ=DAILY",
        "EXDATE:20270230T090000Z",
        "EXDATE;TZID=Mars/Olympus_Mons:20270308T090000",
        "EXDATE;TZID=Europe/London:20270308T140000Z",
        "EXDATE;VALUE=DATE:20270308T090000",
        "EXDATE;VALUE=PERIOD:20270308T090000Z/PT1H",
        "RDATE:tomorrow",
        "RDATE;RANGE=THISANDFUTURE:20270310T120000Z",
        "DTSTART:20270301T090000Z",
        "X-WR-TIMEZONE:America/New_York",
        "FREQ=WEEKLY",
        # Values dateutil accepts silently: 0 would mean every day, 32 never.
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=0",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=1,-0",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=32",
        "RRULE:FREQ=YEARLY;BYYEARDAY=367",
        "RRULE:FREQ=YEARLY;BYWEEKNO=0",
        "RRULE:FREQ=MONTHLY;BYWEEKNO=10",
        "RRULE:FREQ=YEARLY;BYMONTH=13",
        "RRULE:FREQ=DAILY;BYHOUR=24",
        "RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0",
        "RRULE:FREQ=MONTHLY;BYDAY=6MO",
        "RRULE:FREQ=WEEKLY;BYDAY=1MO",
        # A rule that can never occur: dateutil would scan to the year 9999.
        "RRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30",
    ],
)
def test_malformed_lines_are_named(bad_line: str) -> None:
    with pytest.raises(RecurrenceError) as info:
        expand_occurrences(
            [WEEKLY_MONDAY, bad_line], MONDAYS_9AM_NY, timezone=NY, window_start="2027-03-01T00:00:00Z"
        )

    assert info.value.argument == "recurrence"
    assert bad_line in str(info.value)


@pytest.mark.parametrize("recurrence", [[], ["   "], ["EXDATE:20270308T140000Z"], 42, None], ids=repr)
def test_recurrence_without_any_occurrence_source_is_refused(recurrence: Any) -> None:
    with pytest.raises(RecurrenceError) as info:
        expand_occurrences(recurrence, MONDAYS_9AM_NY, timezone=NY, window_start="2027-03-01T00:00:00Z")

    assert info.value.argument == "recurrence"


GRAPH_WEEKLY: dict[str, Any] = {
    "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"], "firstDayOfWeek": "sunday"},
    "range": {"type": "noEnd", "startDate": "2027-03-01"},
}


@pytest.mark.parametrize(
    ("field", "section", "change"),
    [
        ("pattern.type", "pattern", {"type": "fortnightly"}),
        ("pattern.daysOfWeek", "pattern", {"daysOfWeek": []}),
        ("pattern.daysOfWeek", "pattern", {"daysOfWeek": ["funday"]}),
        ("pattern.interval", "pattern", {"interval": 0}),
        ("pattern.firstDayOfWeek", "pattern", {"firstDayOfWeek": "someday"}),
        ("pattern.dayOfMonth", "pattern", {"type": "absoluteMonthly", "dayOfMonth": 0}),
        ("pattern.dayOfMonth", "pattern", {"type": "absoluteMonthly", "dayOfMonth": 32}),
        ("pattern.month", "pattern", {"type": "absoluteYearly", "dayOfMonth": 1, "month": 13}),
        ("pattern.index", "pattern", {"type": "relativeMonthly", "index": "fifth"}),
        ("range.type", "range", {"type": "forever"}),
        ("range.startDate", "range", {"startDate": None}),
        ("range.startDate", "range", {"startDate": "March 1st"}),
        ("range.endDate", "range", {"type": "endDate"}),
        ("range.numberOfOccurrences", "range", {"type": "numbered", "numberOfOccurrences": 0}),
        ("range.recurrenceTimeZone", "range", {"recurrenceTimeZone": "Nowhere Standard Time"}),
    ],
)
def test_malformed_graph_fields_are_named(field: str, section: str, change: dict[str, Any]) -> None:
    recurrence = {**GRAPH_WEEKLY, section: {**GRAPH_WEEKLY[section], **change}}

    with pytest.raises(RecurrenceError) as info:
        expand_occurrences(recurrence, MONDAYS_9AM_NY, window_start="2027-03-01T00:00:00Z")

    assert info.value.argument == "recurrence"
    assert field in str(info.value)


@pytest.mark.parametrize("missing", ["pattern", "range"])
def test_graph_without_pattern_or_range_is_refused(missing: str) -> None:
    recurrence = {key: value for key, value in GRAPH_WEEKLY.items() if key != missing}

    with pytest.raises(RecurrenceError, match=missing) as info:
        expand_occurrences(recurrence, MONDAYS_9AM_NY, timezone=NY, window_start="2027-03-01T00:00:00Z")

    assert info.value.argument == "recurrence"


def test_graph_interval_defaults_to_one() -> None:
    recurrence = {**GRAPH_WEEKLY, "pattern": {"type": "weekly", "daysOfWeek": ["monday"]}}

    result = expand_occurrences(
        recurrence, MONDAYS_9AM_NY, timezone=NY, window_start="2027-03-01T00:00:00Z", limit=2
    )

    assert [format_occurrence(instant) for instant in result] == [
        "2027-03-01T14:00:00Z",
        "2027-03-08T14:00:00Z",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 12, 1, 9, 0, 0, 987654, tzinfo=ZoneInfo(NY)), "2026-12-01T14:00:00Z"),
        (datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc), "2026-12-01T14:00:00Z"),
        (
            datetime(2027, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "2027-07-01T04:00:00Z",
        ),
    ],
)
def test_format_occurrence(value: datetime, expected: str) -> None:
    assert format_occurrence(value) == expected


def test_format_occurrence_refuses_a_naive_datetime() -> None:
    with pytest.raises(RecurrenceError) as info:
        format_occurrence(datetime(2026, 12, 1, 14, 0))

    assert info.value.argument == "dt"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-03-08T14:00:00Z", "2027-03-08T14:00:00+00:00"),
        ("2027-03-08T09:00:00-05:00", "2027-03-08T09:00:00-05:00"),
        (" 2027-03-08T14:00:00.250+00:00 ", "2027-03-08T14:00:00.250000+00:00"),
        (datetime(2027, 3, 8, 9, 0, tzinfo=ZoneInfo(NY)), "2027-03-08T09:00:00-05:00"),
    ],
)
def test_parse_aware_datetime(value: Any, expected: str) -> None:
    assert parse_aware_datetime(value, "when").isoformat() == expected


@pytest.mark.parametrize(
    "value", ["2027-03-08T14:00:00", "2027-03-08", "soon", "", datetime(2027, 3, 8), 0, None]
)
def test_parse_aware_datetime_refuses_and_names_the_argument(value: Any) -> None:
    with pytest.raises(RecurrenceError) as info:
        parse_aware_datetime(value, "occurrence_date")

    assert info.value.argument == "occurrence_date"
    assert "occurrence_date" in str(info.value)


class TestSeriesFromEvent:
    def test_google_event(self) -> None:
        event = {
            "id": "evt_1",
            "start_time": "2027-01-04T14:00:00+00:00",
            "raw": {"start": {"timeZone": "America/New_York"}, "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"]},
        }
        series = series_from_event(event)
        assert series.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO"]
        assert series.start == datetime(2027, 1, 4, 14, tzinfo=timezone.utc)
        assert series.timezone == "America/New_York"

    def test_graph_event_zone_from_the_range(self) -> None:
        pattern = {
            "pattern": {"type": "daily", "interval": 1},
            "range": {
                "type": "noEnd",
                "startDate": "2027-01-04",
                "recurrenceTimeZone": "W. Europe Standard Time",
            },
        }
        event = {"id": "evt_2", "start_time": "2027-01-04T09:00:00Z", "raw": {"recurrence": pattern}}
        assert series_from_event(event).timezone == "W. Europe Standard Time"

    def test_not_recurring(self) -> None:
        with pytest.raises(RecurrenceError) as caught:
            series_from_event({"id": "evt_3", "start_time": "2027-01-04T09:00:00Z", "raw": {}})
        assert caught.value.argument == "event_id"
        assert "not a recurring event" in str(caught.value)

    def test_start_without_offset(self) -> None:
        with pytest.raises(RecurrenceError, match="start_time"):
            series_from_event(
                {"id": "e", "start_time": "2027-01-04T09:00:00", "raw": {"recurrence": ["RRULE:FREQ=DAILY"]}}
            )


def test_days_that_exist_in_some_months_are_valid() -> None:
    # The 31st and the 29th of February are rare, not impossible.
    assert expand_occurrences(
        ["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"],
        "2028-02-29T09:00:00Z",
        window_start="2027-01-01T00:00:00Z",
        limit=2,
    ) == [utc("2028-02-29T09:00:00Z"), utc("2032-02-29T09:00:00Z")]


def test_a_series_ends_at_the_year_9999() -> None:
    assert expand_occurrences(
        ["RRULE:FREQ=DAILY"], "9999-12-29T20:00:00-05:00", window_start="9999-12-29T00:00:00Z", limit=5
    ) == [utc("9999-12-30T01:00:00Z"), utc("9999-12-31T01:00:00Z")]


@pytest.mark.parametrize(
    ("windows_name", "start", "first_in_july"),
    [
        # Brisbane keeps UTC+10 all year: 09:00 local on 2 July is 23:00Z on 1 July.
        ("E. Australia Standard Time", "2027-01-04T09:00:00+10:00", "2027-07-01T23:00:00Z"),
        # Indianapolis follows US DST: 09:00 EST in January, 09:00 EDT (13:00Z) in July.
        ("US Eastern Standard Time", "2027-01-04T09:00:00-05:00", "2027-07-01T13:00:00Z"),
    ],
)
def test_more_windows_zones(windows_name: str, start: str, first_in_july: str) -> None:
    assert expand_occurrences(
        ["RRULE:FREQ=DAILY"], start, timezone=windows_name, window_start="2027-07-01T00:00:00Z", limit=1
    ) == [utc(first_in_july)]


# --- DTSTART is the first instance (RFC 5545 3.8.5.1: "The DTSTART property defines the first
# instance of the recurrence set"; 3.3.10: "The DTSTART property value always counts as the first
# occurrence") ---


def test_rdate_without_rrule_keeps_the_start() -> None:
    """RFC 5545 3.8.5.1: the set is DTSTART plus the RDATEs; 09:00 EST on 3 and 10 March 2027."""
    assert expand_occurrences(
        ["RDATE;TZID=America/New_York:20270310T090000"],
        "2027-03-03T09:00:00-05:00",
        timezone=NY,
        window_start="2027-01-01T00:00:00Z",
    ) == [utc("2027-03-03T14:00:00Z"), utc("2027-03-10T14:00:00Z")]


def test_exdate_of_the_only_rdate_leaves_the_start() -> None:
    """RFC 5545 3.8.5.1: EXDATE removes the RDATE, not DTSTART, which stays the first instance."""
    assert expand_occurrences(
        ["RDATE;TZID=America/New_York:20270310T090000", "EXDATE;TZID=America/New_York:20270310T090000"],
        "2027-03-03T09:00:00-05:00",
        timezone=NY,
        window_start="2027-01-01T00:00:00Z",
    ) == [utc("2027-03-03T14:00:00Z")]


def test_exdate_can_remove_the_start() -> None:
    """RFC 5545 3.8.5.1: EXDATE applies to the whole set, DTSTART included."""
    assert expand_occurrences(
        ["RDATE:20270310T140000Z", "EXDATE:20270303T140000Z"],
        "2027-03-03T09:00:00-05:00",
        timezone=NY,
        window_start="2027-01-01T00:00:00Z",
    ) == [utc("2027-03-10T14:00:00Z")]


def test_a_start_the_rule_does_not_produce_is_the_first_occurrence() -> None:
    """RFC 5545 3.8.5.1: Wednesday 3 March 2027 starts a Mondays rule; DST begins 14 March."""
    assert expand_occurrences(
        [WEEKLY_MONDAY],
        "2027-03-03T09:00:00-05:00",
        timezone=NY,
        window_start="2027-01-01T00:00:00Z",
        limit=3,
    ) == [utc("2027-03-03T14:00:00Z"), utc("2027-03-08T14:00:00Z"), utc("2027-03-15T13:00:00Z")]


def test_count_includes_a_start_the_rule_does_not_produce() -> None:
    """RFC 5545 3.3.10: DTSTART "always counts as the first occurrence", so COUNT=3 is 3 in all."""
    assert expand_occurrences(
        [WEEKLY_MONDAY + ";COUNT=3"],
        "2027-03-03T09:00:00-05:00",
        timezone=NY,
        window_start="2027-01-01T00:00:00Z",
    ) == [utc("2027-03-03T14:00:00Z"), utc("2027-03-08T14:00:00Z"), utc("2027-03-15T13:00:00Z")]


def test_count_1_with_a_start_the_rule_does_not_produce_is_the_start_alone() -> None:
    """RFC 5545 3.3.10: COUNT=1 is used up by DTSTART."""
    assert expand_occurrences(
        [WEEKLY_MONDAY + ";COUNT=1"],
        "2027-03-03T09:00:00-05:00",
        timezone=NY,
        window_start="2027-01-01T00:00:00Z",
    ) == [utc("2027-03-03T14:00:00Z")]


# --- Microsoft Graph in its default shape: start.timeZone "UTC", the zone in the range ---

# The weekly meeting of Graph's "Create event" example (learn.microsoft.com/graph/api/user-post-events,
# "Create a recurring event"): Mondays 12:00 Pacific from 2017-09-04 to 2017-12-31. Graph returns it
# with start {"dateTime": "2017-09-04T19:00:00", "timeZone": "UTC"} unless asked for another zone.
# US DST ended on Sunday 5 November 2017: 12:00 PDT is 19:00Z, 12:00 PST is 20:00Z.
GRAPH_DOCS_WEEKLY = {
    "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["Monday"], "firstDayOfWeek": "sunday"},
    "range": {
        "type": "endDate",
        "startDate": "2017-09-04",
        "endDate": "2017-12-31",
        "recurrenceTimeZone": "Pacific Standard Time",
    },
}
AROUND_2017_DST_END = ["2017-10-30T19:00:00Z", "2017-11-06T20:00:00Z"]


def test_graph_series_repeats_in_the_recurrence_time_zone_not_in_utc() -> None:
    """Graph docs: recurrenceTimeZone is the zone of the pattern; 12:00 stays 12:00 Pacific."""
    assert expand_occurrences(
        GRAPH_DOCS_WEEKLY,
        "2017-09-04T19:00:00Z",
        timezone="UTC",
        window_start="2017-10-30T00:00:00Z",
        limit=2,
    ) == [utc(moment) for moment in AROUND_2017_DST_END]


def test_graph_event_in_default_shape_reads_the_range_zone() -> None:
    """Graph docs: start.timeZone is "UTC" by default; recurrenceTimeZone is the series' zone."""
    event = {
        "id": "evt_graph",
        "start_time": "2017-09-04T19:00:00Z",
        "raw": {
            "start": {"dateTime": "2017-09-04T19:00:00.0000000", "timeZone": "UTC"},
            "recurrence": GRAPH_DOCS_WEEKLY,
        },
    }
    series = series_from_event(event)

    assert series.timezone == "Pacific Standard Time"
    assert expand_occurrences(
        series.recurrence,
        series.start,
        timezone=series.timezone,
        window_start="2017-10-30T00:00:00Z",
        limit=2,
    ) == [utc(moment) for moment in AROUND_2017_DST_END]


# --- Graph intervals count from the first occurrence. Graph's recurrenceRange docs: "startDate:
# The date to start applying the recurrence pattern. The first occurrence of the meeting may be
# this date or later"; recurrencePattern docs: every other month on the first Thursday, from
# 2017-08-29, occurs first on 2017-09-07 ---


@pytest.mark.parametrize(
    ("pattern", "start_date", "expected"),
    [
        pytest.param(
            # 7 Sep, 2 Nov 2017 and 4 Jan 2018 are the first Thursdays; 09:00 PDT is 16:00Z, 09:00
            # PST (from 5 Nov 2017) 17:00Z.
            {"type": "relativeMonthly", "interval": 2, "daysOfWeek": ["thursday"], "index": "first"},
            "2017-08-29",
            ["2017-09-07T16:00:00Z", "2017-11-02T16:00:00Z", "2018-01-04T17:00:00Z"],
            id="graph-docs-every-other-first-thursday",
        ),
        pytest.param(
            # The 15th of March 2027 is before the start date: April, June, August.
            {"type": "absoluteMonthly", "interval": 2, "dayOfMonth": 15},
            "2027-03-20",
            ["2027-04-15T16:00:00Z", "2027-06-15T16:00:00Z", "2027-08-15T16:00:00Z"],
            id="absolute-monthly-every-other-month",
        ),
        pytest.param(
            # 1 March 2027 is before the start date: 2028, 2030, 2032. 16:00Z on 2 March 2027 is
            # 08:00 PST, and PST (UTC-8) lasts until the second Sunday of March.
            {"type": "absoluteYearly", "interval": 2, "month": 3, "dayOfMonth": 1},
            "2027-03-02",
            ["2028-03-01T16:00:00Z", "2030-03-01T16:00:00Z", "2032-03-01T16:00:00Z"],
            id="absolute-yearly-every-other-year",
        ),
        pytest.param(
            # First Mondays of March: 1 Mar 2027 (before the start), 6 Mar 2028, 4 Mar 2030, 1 Mar 2032.
            {"type": "relativeYearly", "interval": 2, "month": 3, "daysOfWeek": ["monday"], "index": "first"},
            "2027-03-02",
            ["2028-03-06T16:00:00Z", "2030-03-04T16:00:00Z", "2032-03-01T16:00:00Z"],
            id="relative-yearly-every-other-year",
        ),
    ],
)
def test_graph_interval_counts_from_the_first_occurrence(
    pattern: dict[str, Any], start_date: str, expected: list[str]
) -> None:
    recurrence = {
        "pattern": pattern,
        "range": {"type": "noEnd", "startDate": start_date, "recurrenceTimeZone": "Pacific Standard Time"},
    }
    assert expand_occurrences(
        recurrence, f"{start_date}T16:00:00Z", window_start="2017-01-01T00:00:00Z", limit=3
    ) == [utc(moment) for moment in expected]


def test_graph_numbered_counts_from_the_first_occurrence() -> None:
    """Graph docs' every other first Thursday from 2017-08-29, numbered: 2 means 7 Sep and 2 Nov."""
    recurrence = {
        "pattern": {"type": "relativeMonthly", "interval": 2, "daysOfWeek": ["thursday"], "index": "first"},
        "range": {
            "type": "numbered",
            "startDate": "2017-08-29",
            "numberOfOccurrences": 2,
            "recurrenceTimeZone": "Pacific Standard Time",
        },
    }
    assert expand_occurrences(recurrence, "2017-08-29T16:00:00Z", window_start="2017-01-01T00:00:00Z") == [
        utc("2017-09-07T16:00:00Z"),
        utc("2017-11-02T16:00:00Z"),
    ]


# --- Windows zone names: CLDR's windowsZones table (territory "001"), via tzlocal ---


@pytest.mark.parametrize(
    ("windows_name", "start", "first_in_july"),
    [
        # America/Guatemala, UTC-6 without DST: 09:00 is 15:00Z.
        ("Central America Standard Time", "2027-01-04T09:00:00-06:00", "2027-07-01T15:00:00Z"),
        # Asia/Katmandu, UTC+05:45: 09:00 is 03:15Z.
        ("Nepal Standard Time", "2027-01-04T09:00:00+05:45", "2027-07-01T03:15:00Z"),
        # Asia/Colombo, UTC+05:30: 09:00 is 03:30Z.
        ("Sri Lanka Standard Time", "2027-01-04T09:00:00+05:30", "2027-07-01T03:30:00Z"),
        # Australia/Hobart: AEDT (UTC+11) in January, AEST (UTC+10) in July, so 09:00 on 2 July
        # is 23:00Z on 1 July.
        ("Tasmania Standard Time", "2027-01-04T09:00:00+11:00", "2027-07-01T23:00:00Z"),
        # America/Bahia (Brazil dropped DST in 2019), UTC-3: 09:00 is 12:00Z.
        ("Bahia Standard Time", "2027-01-04T09:00:00-03:00", "2027-07-01T12:00:00Z"),
    ],
)
def test_windows_zones_from_cldr(windows_name: str, start: str, first_in_july: str) -> None:
    assert expand_occurrences(
        ["RRULE:FREQ=DAILY"], start, timezone=windows_name, window_start="2027-07-01T00:00:00Z", limit=1
    ) == [utc(first_in_july)]


def test_every_cldr_windows_zone_resolves() -> None:
    from tzlocal.windows_tz import win_tz

    assert len(win_tz) > 100
    for windows_name, iana_name in win_tz.items():
        # "UTC" is also an IANA name, which is tried first; it is the same zone as Etc/UTC.
        assert getattr(resolve_timezone(windows_name), "key", None) in (windows_name, iana_name)
