"""ExpandRecurringEventOperator and ScheduleRecurringEventOperator: own checks, templates and reports."""

from __future__ import annotations

import pytest
import requests_mock as rm
from meetstream_fakes import NOBODY, OTHER_BASE, SCHEDULED_URL

from airflow_provider_meetstream.exceptions import MeetStreamAPIError, MeetStreamInputError
from airflow_provider_meetstream.operators.recurring import (
    ExpandRecurringEventOperator,
    ScheduleRecurringEventOperator,
)

#: A weekly series rendered from params: 09:00 New York, so 14:00Z before 2027-03-14 and 13:00Z after;
#: the window drops the first Monday and the limit keeps two.
SERIES = {
    "event_id": "evt_standup",
    "key": "standup",
    "freq": "WEEKLY",
    "start": "2027-03-01T09:00:00-05:00",
    "zone": "America/New_York",
    "limit": 2,
    "window_start": "2027-03-08T00:00:00Z",
    "window_end": "2027-06-01T00:00:00Z",
}
#: Every templated series argument of the recurring operators, as a template of ``SERIES``.
TEMPLATED_SERIES = {
    "event_id": "{{ params.event_id }}",
    "deduplication_key": "{{ params.key }}",
    "recurrence": ["RRULE:FREQ={{ params.freq }}"],
    "start": "{{ params.start }}",
    "timezone": "{{ params.zone }}",
    "occurrence_limit": "{{ params.limit }}",
    "window_start": "{{ params.window_start }}",
    "window_end": "{{ params.window_end }}",
    "meetstream_conn_id": "{{ params.conn_id }}",
}
OCCURRENCES = ["2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z"]

pytestmark = pytest.mark.usefixtures("default_connection")


class TestExpandRecurringEventOperator:
    def test_every_templated_argument_reaches_the_occurrences(self, other_connection: str) -> None:
        op = ExpandRecurringEventOperator(task_id="expand", **TEMPLATED_SERIES)
        op.render_template_fields({"params": {**SERIES, "conn_id": other_connection}})
        with rm.Mocker() as mock:
            result = op.execute({})
        assert not mock.called  # the rule and the start are given: no event to look up
        assert op.hook.meetstream_conn_id == other_connection
        assert result == [
            {"event_id": "evt_standup", "occurrence_date": moment, "deduplication_key": f"standup:{moment}"}
            for moment in OCCURRENCES
        ]


class TestScheduleRecurringEventOperator:
    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"mode": "both"}, "mode"),
            ({"max_concurrency": 0}, "max_concurrency"),
            ({"bot_config": []}, "bot_config"),
            ({"allow_partial_failure": "no"}, "allow_partial_failure"),
            ({"mode": "server", "window_end": "2027-01-01T00:00:00Z"}, "window_end"),
            ({"mode": "server", "recurrence": ["RRULE:FREQ=DAILY"]}, "recurrence"),
        ],
    )
    def test_bulk_checks_literals(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            ScheduleRecurringEventOperator(
                **{"task_id": "t", "event_id": "e", "deduplication_key": "k", **kwargs}
            )
        assert caught.value.argument == argument

    def test_every_templated_argument_reaches_the_requests(self, other_connection: str) -> None:
        op = ScheduleRecurringEventOperator(
            task_id="b", bot_config={"bot_name": "{{ params.bot_name }}"}, **TEMPLATED_SERIES
        )
        op.render_template_fields({"params": {**SERIES, "bot_name": "Notes", "conn_id": other_connection}})
        with rm.Mocker() as mock:
            mock.get(f"{OTHER_BASE}/calendar/scheduled", json=NOBODY)
            mock.post(f"{OTHER_BASE}/calendar/schedule/evt_standup", json={"bot_id": "b"})
            report = op.execute({})
        sent = sorted(
            (request.json() for request in mock.request_history if request.method == "POST"),
            key=lambda body: body["occurrence_date"],
        )
        assert sent == [
            {
                "deduplication_key": f"standup:{moment}",
                "bot_config": {"bot_name": "Notes"},
                "occurrence_date": moment,
            }
            for moment in OCCURRENCES
        ]
        assert report["occurrences_scheduled"] == 2


class TestServerMode:
    def test_an_answer_without_series_fields_is_an_error(self) -> None:
        op = ScheduleRecurringEventOperator(task_id="b", event_id="e", deduplication_key="k", mode="server")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, json={"scheduled": True, "bot_id": "b1", "schedule_id": "s1"})
            with pytest.raises(MeetStreamAPIError, match='use mode="client"'):
                op.execute({})

    def test_report_from_series_fields(self) -> None:
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id="e", deduplication_key="k", mode="server", allow_partial_failure=True
        )
        answer = {
            "bot_id": "b1",
            "total_occurrences": 3,
            "schedules_created": [
                {
                    "occurrence_date": "2027-01-04T14:00:00Z",
                    "bot_id": "b1",
                    "schedule_id": "s1",
                    "scheduled_time": "t",
                }
            ],
            "failed_occurrences": [{"occurrence_date": "2027-01-11T14:00:00Z", "error": "ended"}, "odd item"],
        }
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, json=answer)
            report = op.execute({})
        assert report == {
            "event_id": "e",
            "total_occurrences": 3,
            "occurrences_scheduled": 1,
            "occurrences_failed": 2,
            "occurrences_skipped": 0,
            "schedules_created": [
                {
                    "occurrence_date": "2027-01-04T14:00:00Z",
                    "bot_id": "b1",
                    "schedule_id": "s1",
                    "scheduled_time": "t",
                }
            ],
            "failed_occurrences": [
                {"occurrence_date": "2027-01-11T14:00:00Z", "error": "ended"},
                {"occurrence_date": "unknown", "error": "odd item"},
            ],
            "skipped_occurrences": [],
        }
