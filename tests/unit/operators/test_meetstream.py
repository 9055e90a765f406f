"""ScheduleEventOperator and UnscheduleEventOperator: the request each sends, its checks, its templates."""

from __future__ import annotations

import pytest
import requests_mock as rm
from meetstream_fakes import API_KEY, BASE, NOBODY, OTHER_BASE, SCHEDULED_URL

from airflow_provider_meetstream.exceptions import MeetStreamInputError, MeetStreamNotFoundError
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator, UnscheduleEventOperator

pytestmark = pytest.mark.usefixtures("default_connection")


class TestScheduleEventOperator:
    def test_execute_returns_the_answer(self) -> None:
        op = ScheduleEventOperator(
            task_id="t",
            event_id="evt/1",
            deduplication_key="k",
            bot_config={"bot_name": "N"},
            occurrence_date="2027-03-15T09:00:00-04:00",
        )
        answer = {
            "scheduled": True,
            "bot_id": "b1",
            "schedule_id": "s1",
            "scheduled_time": "2027-03-15T12:57:00Z",
        }
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(f"{BASE}/calendar/schedule/evt%2F1", json=answer)
            assert op.execute({}) == answer
        assert mock.last_request.json() == {
            "deduplication_key": "k",
            "bot_config": {"bot_name": "N"},
            "occurrence_date": "2027-03-15T13:00:00Z",
        }

    def test_series_flags_are_sent_only_when_set(self) -> None:
        op = ScheduleEventOperator(
            task_id="t",
            event_id="e",
            deduplication_key="k",
            schedule_all_occurrences=True,
            occurrence_limit=4,
        )
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, json={"bot_id": "b"})
            op.execute({})
        assert mock.last_request.json() == {
            "deduplication_key": "k",
            "bot_config": {},
            "schedule_all_occurrences": True,
            "occurrence_limit": 4,
        }

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"event_id": ""}, "event_id"),
            ({"deduplication_key": "x" * 2001}, "deduplication_key"),
            ({"bot_config": "not a dict"}, "bot_config"),
            ({"occurrence_date": "2027-01-01T09:00:00"}, "occurrence_date"),
            ({"occurrence_limit": 0}, "occurrence_limit"),
            ({"if_already_scheduled": "ignore"}, "if_already_scheduled"),
            ({"if_other_bot": "ignore"}, "if_other_bot"),
            ({"schedule_all_occurrences": "yes"}, "schedule_all_occurrences"),
        ],
    )
    def test_literal_values_are_checked_at_construction(self, kwargs: dict, argument: str) -> None:
        arguments = {"task_id": "t", "event_id": "e", "deduplication_key": "k", **kwargs}
        with pytest.raises(MeetStreamInputError) as caught:
            ScheduleEventOperator(**arguments)
        assert caught.value.argument == argument

    def test_templated_values_are_checked_at_execute(self) -> None:
        op = ScheduleEventOperator(
            task_id="t", event_id="{{ params.e }}", deduplication_key="k", occurrence_limit="{{ params.n }}"
        )
        op.event_id, op.occurrence_limit = "e", "0"  # as rendered
        with rm.Mocker() as mock:
            with pytest.raises(MeetStreamInputError) as caught:
                op.execute({})
            assert not mock.called
        assert caught.value.argument == "occurrence_limit"

    def test_rendered_number_is_sent_as_int(self) -> None:
        op = ScheduleEventOperator(
            task_id="t", event_id="e", deduplication_key="k", occurrence_limit="{{ x }}"
        )
        op.occurrence_limit = "12"
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, json={"bot_id": "b"})
            op.execute({})
        assert mock.last_request.json()["occurrence_limit"] == 12

    def test_every_templated_argument_reaches_the_request(self, other_connection: str) -> None:
        op = ScheduleEventOperator(
            task_id="t",
            event_id="{{ params.event_id }}",
            deduplication_key="review-{{ params.event_id }}",
            bot_config={"bot_name": "{{ params.bot_name }}"},
            occurrence_date="{{ params.occurrence }}",
            occurrence_limit="{{ params.limit }}",
            meetstream_conn_id="{{ params.conn_id }}",
        )
        params = {
            "event_id": "evt_7",
            "bot_name": "Notes",
            "occurrence": "2027-03-15T09:00:00-04:00",
            "limit": 3,
            "conn_id": other_connection,
        }
        op.render_template_fields({"params": params})
        with rm.Mocker() as mock:
            mock.get(f"{OTHER_BASE}/calendar/scheduled", json=NOBODY)
            mock.post(f"{OTHER_BASE}/calendar/schedule/evt_7", json={"bot_id": "b"})
            op.execute({})
        assert mock.last_request.json() == {
            "deduplication_key": "review-evt_7",
            "bot_config": {"bot_name": "Notes"},
            "occurrence_date": "2027-03-15T13:00:00Z",
            "occurrence_limit": 3,
        }

    def test_a_dag_file_builds_it_without_its_connection_or_a_request(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Parsing a DAG file builds the task: the connection and MeetStream are the worker's business.
        monkeypatch.delenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT")
        with rm.Mocker() as mock:
            ScheduleEventOperator(
                task_id="t", event_id="e", deduplication_key="k", bot_config={"bot_name": "N"}
            )
        assert not mock.called

    @pytest.mark.parametrize("status", [401, 403])
    def test_a_refused_key_names_the_connection_and_fails_without_retry(self, status: int) -> None:
        from airflow.providers.common.compat.sdk import AirflowFailException

        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, status_code=status, json={"detail": "Invalid token."})
            with pytest.raises(AirflowFailException) as caught:
                op.execute({})
        assert "Invalid token." in str(caught.value)
        assert "Airflow connection 'meetstream_default'" in str(caught.value)
        assert API_KEY not in str(caught.value)
        assert mock.call_count == 1


class TestUnscheduleEventOperator:
    def test_execute(self) -> None:
        op = UnscheduleEventOperator(task_id="t", event_id="e1", cancel_all_occurrences=True)
        with rm.Mocker() as mock:
            mock.delete(f"{BASE}/calendar/schedule/e1", json={"unscheduled": True, "schedules_cancelled": 3})
            assert op.execute({})["schedules_cancelled"] == 3
        assert mock.last_request.json() == {"cancel_all_occurrences": True}

    def test_missing_is_success_by_default(self) -> None:
        op = UnscheduleEventOperator(task_id="t", event_id="e1")
        with rm.Mocker() as mock:
            mock.delete(rm.ANY, status_code=404, json={"message": "Nothing scheduled"})
            assert op.execute({}) == {"unscheduled": False, "missing": True, "event_id": "e1"}

    def test_missing_fails_when_asked(self) -> None:
        op = UnscheduleEventOperator(task_id="t", event_id="e1", missing_ok=False)
        with rm.Mocker() as mock:
            mock.delete(rm.ANY, status_code=404, json={"message": "Nothing scheduled"})
            with pytest.raises(MeetStreamNotFoundError):
                op.execute({})

    def test_bad_from_date(self) -> None:
        with pytest.raises(MeetStreamInputError, match="from_date"):
            UnscheduleEventOperator(task_id="t", event_id="e1", from_date="tomorrow")

    def test_every_templated_argument_reaches_the_request(self, other_connection: str) -> None:
        op = UnscheduleEventOperator(
            task_id="t",
            event_id="{{ params.event_id }}",
            from_date="{{ params.since }}",
            meetstream_conn_id="{{ params.conn_id }}",
        )
        params = {"event_id": "evt_7", "since": "2027-03-15T09:00:00-04:00", "conn_id": other_connection}
        op.render_template_fields({"params": params})
        with rm.Mocker() as mock:
            mock.delete(
                f"{OTHER_BASE}/calendar/schedule/evt_7", json={"unscheduled": True, "schedules_cancelled": 2}
            )
            assert op.execute({})["schedules_cancelled"] == 2
        assert mock.last_request.json() == {"from_date": "2027-03-15T13:00:00Z"}
