"""
Test your own DAG against the MeetStream emulator with pytest: copy this file next to your DAG.

The ``meetstream-emulator`` distribution registers a pytest plugin: installed
(``pip install meetstream-emulator``), its fixtures exist in every session with no import and
no conftest. Here they run the DAG of ``recipe_sync_then_land.py`` (put yours in ``DAG_FILE``)
under ``dag.test()``, which records its run in Airflow's metadata database: run pytest with an
``AIRFLOW_HOME`` whose database is migrated (``airflow db migrate``) and, on Airflow 3, with
``AIRFLOW__CORE__DAGS_FOLDER`` at your DAGs' folder (``dag.test()`` serializes the DAGs there).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

DAG_FILE = Path(__file__).with_name("recipe_sync_then_land.py")

# [START frozen_now]
# The emulator reset with the demo calendar, AIRFLOW_CONN_MEETSTREAM_DEFAULT pointing at it, and
# both clocks at one instant (Wednesday 2027-01-13 10:00 UTC), so the test never depends on its day.
pytestmark = pytest.mark.usefixtures("meetstream_frozen_now")
# [END frozen_now]


def run_dag(**conf: object) -> dict[str, str]:
    """Run the DAG once under dag.test(); assert it succeeded; its task states by task id."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    bag = DagBag(
        dag_folder=str(DAG_FILE),
    )
    assert bag.import_errors == {}
    (dag,) = bag.dags.values()
    dag_run = dag.test(run_conf=conf)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    return states


# [START schedules]
def test_schedules_the_meetings_the_rules_allow(meetstream_conn_env, tmp_path: Path) -> None:
    run_dag(base_path=f"file://{tmp_path}")
    held = {s["event_id"] for s in meetstream_conn_env.admin.state()["schedules"]}
    # The demo calendar's "data team" meetings with someone from outside example.com.
    assert held == {"evt_demo_data_sync", "evt_demo_data_review", "evt_demo_data_daily"}


def test_a_second_run_writes_nothing(meetstream_conn_env, tmp_path: Path) -> None:
    run_dag(base_path=f"file://{tmp_path}")
    meetstream_conn_env.admin.clear_requests()
    run_dag(base_path=f"file://{tmp_path}")
    assert [r["method"] for r in meetstream_conn_env.admin.requests() if r["method"] != "GET"] == []


def test_an_outage_is_retried(meetstream_conn_env, tmp_path: Path) -> None:
    meetstream_conn_env.admin.set_faults(sequence=[503, 503])  # the first two requests fail
    run_dag(base_path=f"file://{tmp_path}")
    assert len(meetstream_conn_env.admin.state()["schedules"]) == 3


# [END schedules]


# [START after_the_meetings]
def test_every_meeting_lands_after_it_ends(meetstream_conn_env, tmp_path: Path) -> None:
    admin = meetstream_conn_env.admin
    run_dag(base_path=f"file://{tmp_path}")
    admin.advance_clock(timedelta(hours=25))  # past every meeting, and the transcripts' delay
    with time_machine.travel(admin.now(), tick=True):  # the DAG's "now" follows the emulator's
        run_dag(base_path=f"file://{tmp_path}")
    meetings = [json.loads(p.read_text()) for p in tmp_path.glob("*/meeting.json")]
    assert {m["event_id"] for m in meetings} == {
        "evt_demo_data_sync",
        "evt_demo_data_review",
        "evt_demo_data_daily",
    }
    assert {m["outcome"] for m in meetings} == {"landed"}


# [END after_the_meetings]
