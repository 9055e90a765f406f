"""
Schedule a MeetStream bot for one calendar event, then wait until MeetStream lists it.

To adapt it:

- Create the ``meetstream_default`` connection: type ``meetstream``, password = your MeetStream API
  key, host left empty for ``https://api.meetstream.ai``. ``make demo`` points it at the local
  emulator instead.
- Trigger the DAG with the ``event_id`` param: MeetStream's id of the event (the ``id`` field of
  ``GET /calendar/events``), not Google's or Outlook's. The default is an event of the emulator's
  demo calendar.
- Change ``bot_config`` to what your bot should do (``bot_name``, ``callback_url``,
  ``recording_config``...). The deduplication key makes re-runs update the same schedule.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

with DAG(
    dag_id="meetstream_schedule_event",
    description="Schedule a MeetStream bot for one calendar event and wait until it is listed.",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "event_id": Param(
            "evt_demo_zoom_sync", type="string", minLength=1, description="MeetStream event id"
        ),
        "bot_name": Param("Airflow notetaker", type="string", description="The bot's display name"),
    },
    tags=["meetstream", "example"],
) as dag:
    schedule_bot = ScheduleEventOperator(
        task_id="schedule_bot",
        event_id="{{ params.event_id }}",
        # Stable across re-runs of this DAG, so a retry or a second run updates the same schedule.
        deduplication_key="{{ dag.dag_id }}:{{ params.event_id }}",
        bot_config={"bot_name": "{{ params.bot_name }}", "video_required": False},
    )

    wait_until_listed = ListScheduledSensor(
        task_id="wait_until_listed",
        bot_ids="{{ ti.xcom_pull(task_ids='schedule_bot')['bot_id'] }}",
        mode="reschedule",
        poke_interval=30,
        timeout=15 * 60,
    )

    schedule_bot >> wait_until_listed
