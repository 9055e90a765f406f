"""
Schedule a MeetStream bot for one calendar event and, in parallel, wait until MeetStream lists it.

``wait_until_listed`` does not depend on the scheduling: it starts with ``find_event`` and watches
the scheduled list for the bot of this DAG's deduplication key (``min_count=1``) while
``find_event`` looks the event up and ``schedule_bot`` schedules it. So its first check usually
finds nothing yet, and it waits: in the triggerer when the deployment sets ``[operators]
default_deferrable = True`` (it must run ``airflow triggerer``), otherwise in reschedule mode,
which frees the worker slot between checks too and is what ``airflow dags test`` runs. Waiting on
the deduplication key rather than on the bot id is what lets it start before the bot exists; it is
also how a DAG waits for a bot that another system schedules.

To adapt it:

- Create the ``meetstream_default`` connection: type ``meetstream``, password = your MeetStream API
  key, host left empty for ``https://api.meetstream.ai``. ``make demo`` points it at the local
  emulator instead.
- Trigger the DAG with the ``event_id`` param: MeetStream's id of the event (the ``id`` field of
  ``GET /calendar/events``), not Google's or Outlook's. The default is an event of the emulator's
  demo calendar. A wrong id fails ``find_event`` before any bot is scheduled.
- Change ``bot_config`` to what your bot should do (``bot_name``, ``callback_url``,
  ``recording_config``...). The deduplication key makes re-runs update the same schedule.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

# Stable across re-runs of this DAG, so a retry or a second run updates the same schedule; the
# sensor waits for the bot by the same key.
DEDUPLICATION_KEY = "{{ dag.dag_id }}:{{ params.event_id }}"

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
    # Each request is retried by the hook already; a task retry covers an outage longer than that.
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
    tags=["meetstream", "example"],
) as dag:

    @task
    def find_event(params: dict | None = None) -> str:
        """Fail early, with MeetStream's answer, when the calendar has no such event; return its start."""
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

        with MeetStreamHook() as hook:
            return hook.get_event((params or {})["event_id"])["start_time"]

    schedule_bot = ScheduleEventOperator(
        task_id="schedule_bot",
        event_id="{{ params.event_id }}",
        deduplication_key=DEDUPLICATION_KEY,
        bot_config={"bot_name": "{{ params.bot_name }}", "video_required": False},
    )

    find_event() >> schedule_bot

    # Not downstream of schedule_bot: it starts waiting before the bot exists. `deferrable` is left
    # to [operators] default_deferrable, so the same DAG defers where a triggerer runs.
    wait_until_listed = ListScheduledSensor(
        task_id="wait_until_listed",
        deduplication_key=DEDUPLICATION_KEY,
        min_count=1,
        mode="reschedule",
        poke_interval=10,
        timeout=10 * 60,
    )
