"""Cancel the bot of one calendar event, then wait until MeetStream no longer lists it."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_meetstream.operators.meetstream import UnscheduleEventOperator
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

with DAG(
    dag_id="docs_scheduling_unschedule",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"event_id": Param("evt_demo_zoom_sync", type="string", minLength=1)},
) as dag:
    # [START unschedule_event]
    cancel = UnscheduleEventOperator(
        task_id="cancel",
        event_id="{{ params.event_id }}",
        cancel_all_occurrences=True,
        missing_ok=True,  # the default: nothing to cancel is a success, so the DAG can run twice
    )
    gone = ListScheduledSensor(
        task_id="wait_until_gone",
        event_id="{{ params.event_id }}",
        wait_for="gone",
        deferrable=True,
        poke_interval=30,
        timeout=15 * 60,
    )
    cancel >> gone
    # [END unschedule_event]
