"""RecurrenceError: raised without Airflow, turned into MeetStreamInputError by provider code."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.operators.recurring import ExpandRecurringEventOperator
from airflow_provider_meetstream.recurrence import RecurrenceError, expand_occurrences

# Run in a fresh interpreter: this test process has imported Airflow long ago. A meta-path finder
# refuses every airflow module, so an import of Airflow anywhere, even a lazy one inside an error
# path, fails with ModuleNotFoundError instead of passing unnoticed.
_SCRIPT = textwrap.dedent(
    """
    import sys


    class BlockAirflow:
        def find_spec(self, name, path=None, target=None):
            if name == "airflow" or name.startswith("airflow."):
                raise ModuleNotFoundError(f"blocked import of {name}", name=name)
            return None


    sys.meta_path.insert(0, BlockAirflow())

    from airflow_provider_meetstream.recurrence import RecurrenceError, expand_occurrences

    ok = expand_occurrences(
        ["RRULE:FREQ=DAILY;COUNT=2"], "2027-03-01T09:00:00Z", window_start="2027-03-01T00:00:00Z"
    )
    print(len(ok))
    try:
        expand_occurrences(["RRULE:FREQ=DAILY;INTERVAL=0"], "2027-03-01T09:00:00Z")
    except RecurrenceError as err:
        print(type(err).__name__, isinstance(err, ValueError), err.argument, err.value)
        print(err)
    print(sorted(name for name in sys.modules if name == "airflow" or name.startswith("airflow.")))
    """
)


def test_recurrence_fails_with_its_own_error_without_airflow() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=False, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert "ModuleNotFoundError" not in result.stderr
    assert result.stdout.splitlines() == [
        "2",
        "RecurrenceError True recurrence RRULE:FREQ=DAILY;INTERVAL=0",
        "Invalid recurrence='RRULE:FREQ=DAILY;INTERVAL=0': INTERVAL must be a positive integer",
        "[]",
    ]


def test_an_unexpandable_rule_fails_the_operator_before_any_request() -> None:
    op = ExpandRecurringEventOperator(
        task_id="expand",
        event_id="evt",
        deduplication_key="k",
        recurrence=["RRULE:FREQ=DAILY;INTERVAL=0"],
        start="2027-03-01T09:00:00Z",
    )
    with rm.Mocker() as mock:
        mock.register_uri(rm.ANY, rm.ANY, json={})
        with pytest.raises(MeetStreamInputError) as caught:
            op.execute({})

    assert caught.value.argument == "recurrence"
    assert caught.value.value == "RRULE:FREQ=DAILY;INTERVAL=0"
    assert "INTERVAL must be a positive integer" in str(caught.value)
    assert not mock.called


def test_iso_datetime_names_the_argument_in_the_providers_error() -> None:
    with pytest.raises(MeetStreamInputError) as caught:
        validation.iso_datetime("2027-03-01T09:00:00", "join_at")

    assert caught.value.argument == "join_at"
    assert "has no UTC offset" in str(caught.value)


# Instants inside the years 1 to 9999 as written, but not once in UTC.
_BEFORE_YEAR_1 = "0001-01-01T00:00:00+01:00"
_AFTER_YEAR_9999 = "9999-12-31T23:59:00-01:00"
_OUT_OF_RANGE = "is outside the years 1 to 9999 once in UTC"


@pytest.mark.parametrize("edge", [_BEFORE_YEAR_1, _AFTER_YEAR_9999], ids=["year-1", "year-9999"])
@pytest.mark.parametrize("argument", ["start", "window_start", "window_end"])
def test_an_instant_outside_the_calendar_in_utc_names_its_argument(argument: str, edge: str) -> None:
    instants = {
        "start": "2027-03-01T09:00:00Z",
        "window_start": "2027-03-01T00:00:00Z",
        "window_end": "2027-04-01T00:00:00Z",
    }
    instants[argument] = edge

    with pytest.raises(RecurrenceError) as caught:
        expand_occurrences(["RRULE:FREQ=DAILY"], **instants)

    assert caught.value.argument == argument
    assert caught.value.value == edge
    assert str(caught.value) == f"Invalid {argument}={edge!r}: {_OUT_OF_RANGE}"


def test_a_start_before_year_1_in_utc_fails_even_without_a_window() -> None:
    # The example from the bug report: no window, no zone, so the start's own offset is the zone.
    with pytest.raises(RecurrenceError, match=r"^Invalid start='0001-01-01T00:00:00\+01:00': is outside"):
        expand_occurrences(["RRULE:FREQ=DAILY"], _BEFORE_YEAR_1)


def test_a_start_outside_the_calendar_in_the_events_zone_names_start() -> None:
    with pytest.raises(RecurrenceError) as caught:
        expand_occurrences(["RRULE:FREQ=DAILY"], "0001-01-01T02:00:00Z", timezone="America/New_York")

    assert caught.value.argument == "start"
    assert "is outside the years 1 to 9999 once in America/New_York" in str(caught.value)


@pytest.mark.parametrize(
    ("line", "item"),
    [
        ("RRULE:FREQ=DAILY;UNTIL=00010101T000000", "UNTIL '00010101T000000'"),
        ("RDATE;TZID=America/New_York:99991231T230000", "RDATE '99991231T230000'"),
        ("EXDATE;TZID=Asia/Tokyo:00010101T000000", "EXDATE '00010101T000000'"),
    ],
)
def test_a_line_instant_outside_the_calendar_in_utc_names_recurrence(line: str, item: str) -> None:
    with pytest.raises(RecurrenceError) as caught:
        expand_occurrences(["RRULE:FREQ=DAILY", line], "0001-01-01T00:00:00Z", timezone="Asia/Tokyo", limit=1)

    assert caught.value.argument == "recurrence"
    assert caught.value.value == line
    assert f"{item} {_OUT_OF_RANGE}" in str(caught.value)


def test_a_graph_start_date_outside_the_calendar_in_utc_names_recurrence() -> None:
    # 08:00 on 1 January 0001 at UTC+14 is still the year 0 in UTC.
    pattern = {"pattern": {"type": "daily"}, "range": {"type": "noEnd", "startDate": "0001-01-01"}}

    with pytest.raises(RecurrenceError) as caught:
        expand_occurrences(pattern, "2027-03-01T18:00:00Z", timezone="Etc/GMT-14")

    assert caught.value.argument == "recurrence"
    assert caught.value.value == "0001-01-01"
    assert f"Graph field 'range.startDate' at 08:00:00 in Etc/GMT-14 {_OUT_OF_RANGE}" in str(caught.value)


def test_a_window_ending_on_the_last_day_of_9999_keeps_the_occurrences() -> None:
    # window_end + one day overflowed inside the expansion, which took it for the series' end.
    found = expand_occurrences(
        ["RRULE:FREQ=DAILY"],
        "2027-03-01T09:00:00Z",
        window_start="2027-03-01T00:00:00Z",
        window_end="9999-12-31T12:00:00Z",
        limit=2,
    )

    assert found == [
        datetime(2027, 3, 1, 9, tzinfo=timezone.utc),
        datetime(2027, 3, 2, 9, tzinfo=timezone.utc),
    ]


def test_an_until_before_the_year_1000_is_written_with_four_digits() -> None:
    found = expand_occurrences(
        ["RRULE:FREQ=YEARLY;UNTIL=00080101T000000Z"],
        "0005-06-01T00:00:00Z",
        window_start="0001-01-01T00:00:00Z",
    )

    assert [instant.year for instant in found] == [5, 6, 7]


_EXTREME_INSTANTS = [
    datetime.min.replace(tzinfo=timezone(timedelta(hours=14))),
    datetime.min.replace(tzinfo=timezone(timedelta(hours=-14))),
    datetime.max.replace(tzinfo=timezone(timedelta(hours=14))),
    datetime.max.replace(tzinfo=timezone(timedelta(hours=-14))),
    datetime(9999, 12, 31, 12, tzinfo=timezone.utc),
    datetime(2027, 3, 1, 9, tzinfo=timezone.utc),
]

_EXTREME_RECURRENCES: list[Any] = [
    ["RRULE:FREQ=DAILY"],
    ["RRULE:FREQ=WEEKLY;WKST=SU;BYDAY=MO,FR"],
    ["RRULE:FREQ=MONTHLY;BYMONTHDAY=-1"],
    ["RRULE:FREQ=YEARLY;COUNT=3"],
    ["RRULE:FREQ=DAILY;UNTIL=99991231T235959", "RDATE;VALUE=DATE:99991231", "EXDATE;VALUE=DATE:00010101"],
    {
        "pattern": {"type": "weekly", "daysOfWeek": ["monday"]},
        "range": {"type": "noEnd", "startDate": "0001-01-01"},
    },
    {
        "pattern": {"type": "absoluteMonthly", "dayOfMonth": 31},
        "range": {"type": "endDate", "startDate": "9999-11-01", "endDate": "9999-12-31"},
    },
]


def test_extreme_instants_return_a_list_or_raise_recurrence_error() -> None:
    outcomes = {"list": 0, "error": 0}
    for recurrence, start, window_start, window_end, zone in itertools.product(
        _EXTREME_RECURRENCES,
        _EXTREME_INSTANTS,
        _EXTREME_INSTANTS,
        [None, *_EXTREME_INSTANTS],
        [None, "Pacific/Kiritimati", "Etc/GMT+12"],
    ):
        try:
            found = expand_occurrences(
                recurrence, start, timezone=zone, window_start=window_start, window_end=window_end, limit=3
            )
        except RecurrenceError:
            outcomes["error"] += 1
        except Exception as exc:  # Any other error is the bug: name the inputs that raised it.
            pytest.fail(f"{recurrence!r} {start!r} {window_start!r} {window_end!r} {zone!r} raised {exc!r}")
        else:
            assert isinstance(found, list)
            outcomes["list"] += 1

    # Both outcomes occur, so the loop exercises the expansion and not only the argument checks.
    assert outcomes["list"] > 0
    assert outcomes["error"] > 0
