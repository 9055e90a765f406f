"""The example DAGs load cleanly and run under ``dag.test()`` against a mocked MeetStream."""

from __future__ import annotations

import importlib.util

import pytest
import requests_mock as rm
from meetstream_fakes import BASE

AIRFLOW_3 = importlib.util.find_spec("airflow.sdk") is not None

pytestmark = pytest.mark.usefixtures("default_connection")
EVENT = {
    "id": "evt_demo_zoom_sync",
    "start_time": "2027-01-05T15:00:00+00:00",
    "end_time": "2027-01-05T15:45:00+00:00",
    "meeting_url": "https://us02web.zoom.us/j/81234567890",
}


def test_dagbag_has_no_import_errors(dagbag) -> None:
    bag = dagbag
    assert bag.import_errors == {}
    # meetstream_meeting_finished needs Airflow 3's AssetWatcher: on Airflow 2 its file defines no DAG.
    watched = ["meetstream_meeting_finished"] if AIRFLOW_3 else []
    assert sorted(bag.dags) == [
        "meetstream_batch_from_calendar",
        "meetstream_harvest",
        *watched,
        "meetstream_recurring_bulk",
        "meetstream_recurring_mapped",
        "meetstream_schedule_event",
        "meetstream_transcript_words",
        "meetstream_transcripts_to_storage",
    ]
    for dag in bag.dags.values():
        assert dag.description, dag.dag_id
        assert "meetstream" in dag.tags


def test_schedule_event_dag_runs(dagbag) -> None:
    from airflow.utils.state import DagRunState, TaskInstanceState

    dag = dagbag.get_dag("meetstream_schedule_event")
    scheduled = {
        "scheduled": True,
        "bot_id": "bot_77",
        "schedule_id": "sch_77",
        "event_id": "evt_demo_zoom_sync",
    }
    listed = {
        "bot_id": "bot_77",
        "status": "Scheduled",
        "custom_attributes": {
            "event_id": "evt_demo_zoom_sync",
            "deduplication_key": "meetstream_schedule_event:evt_demo_zoom_sync",
        },
    }
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/calendar/events", json={"results": [EVENT], "next": None})
        mock.post(f"{BASE}/calendar/schedule/evt_demo_zoom_sync", json=scheduled)
        mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": [listed]})
        run = dag.test()
    assert run.state == DagRunState.SUCCESS
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {
        "find_event": TaskInstanceState.SUCCESS,
        "schedule_bot": TaskInstanceState.SUCCESS,
        "wait_until_listed": TaskInstanceState.SUCCESS,
    }
    (post,) = [request for request in mock.request_history if request.method == "POST"]
    assert post.json() == {
        "deduplication_key": "meetstream_schedule_event:evt_demo_zoom_sync",
        "bot_config": {"bot_name": "Airflow notetaker", "video_required": False},
    }
    lists = [request for request in mock.request_history if request.path.endswith("/calendar/scheduled")]
    assert lists
    assert all(request.qs == {"limit": ["100"]} for request in lists)


def test_schedule_event_dag_fails_when_meetstream_refuses(dagbag) -> None:
    from airflow.utils.state import DagRunState, TaskInstanceState

    dag = dagbag.get_dag("meetstream_schedule_event")
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/calendar/events", json={"results": [EVENT], "next": None})
        # The sensor does not wait on schedule_bot: an answer it cannot retry ends it too.
        mock.get(f"{BASE}/calendar/scheduled", status_code=403, json={"message": "Invalid API key."})
        mock.post(
            rm.ANY, status_code=400, json={"message": "Cannot schedule bot as calendar event has ended."}
        )
        run = dag.test()
    assert run.state == DagRunState.FAILED
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["schedule_bot"] == TaskInstanceState.FAILED
    assert states["wait_until_listed"] == TaskInstanceState.FAILED


BAD_INPUT_DAG = """
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator

with DAG("meetstream_bad_input", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
         params={"limit": "0"}) as dag:
    ScheduleEventOperator(task_id="schedule", event_id="evt_1", deduplication_key="k",
                          occurrence_limit="{{ params.limit }}", retries=3, retry_delay=timedelta(seconds=0))
"""


def test_bad_rendered_input_fails_the_task_without_retries(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from airflow.utils.state import DagRunState, TaskInstanceState

    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    (tmp_path / "bad_input.py").write_text(BAD_INPUT_DAG)
    # dag.test() serializes the DAG from its bundle: make this folder the dags folder for this test.
    from airflow import settings

    monkeypatch.setattr(settings, "DAGS_FOLDER", str(tmp_path))
    bag = DagBag(dag_folder=str(tmp_path))
    assert bag.import_errors == {}
    dag = bag.get_dag("meetstream_bad_input")
    with rm.Mocker() as mock:
        run = dag.test()
    assert not mock.called
    assert run.state == DagRunState.FAILED
    (ti,) = run.get_task_instances()
    # MeetStreamInputError is an AirflowFailException: no retry, although three were allowed.
    assert ti.state == TaskInstanceState.FAILED
    assert ti.try_number == 1
