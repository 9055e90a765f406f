"""Schedule a bot for one calendar event, then wait until MeetStream lists it."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

with DAG(
    dag_id="docs_scheduling_one_event",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"event_id": Param("evt_demo_zoom_sync", type="string", minLength=1)},
) as dag:
    # [START schedule_one_event]
    schedule_bot = ScheduleEventOperator(
        task_id="schedule_bot",
        event_id="{{ params.event_id }}",
        # Stable across runs: a retry or a second run updates the same schedule.
        deduplication_key="{{ dag.dag_id }}:{{ params.event_id }}",
        bot_config={"bot_name": "Notetaker"},
        if_other_bot="fail",  # the default: another owner's bot on the meeting fails the task
    )
    # [END schedule_one_event]

    # [START wait_until_listed]
    wait_until_listed = ListScheduledSensor(
        task_id="wait_until_listed",
        bot_ids=schedule_bot.output,  # the operator's XCom names the bot
        deferrable=True,  # waits in the triggerer between checks
        poke_interval=30,
        timeout=15 * 60,
    )
    # [END wait_until_listed]
