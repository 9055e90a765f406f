"""
Record every occurrence of a recurring meeting, one mapped task per occurrence.

``ExpandRecurringEventOperator`` reads the series from the event's ``raw`` payload (Google's
``RRULE``/``EXDATE`` lines or Outlook's ``patternedRecurrence``), expands it in the meeting's own
time zone (a 09:00 New York stand-up stays at 09:00 across DST) and returns one set of arguments per
upcoming occurrence. A mapped ``ScheduleEventOperator`` then schedules each occurrence, named by its
date in the UI, with its own retries. Finally ``ListScheduledSensor`` waits until MeetStream lists
every bot.

To adapt it:

- ``event_id``: MeetStream's id of the series master (the ``id`` of ``GET /calendar/events``).
- ``occurrence_limit``: how many upcoming occurrences to schedule. Keep it far below Airflow's
  ``max_map_length`` (1024 by default); ``ScheduleRecurringEventOperator`` schedules hundreds in one
  task instead.
- The deduplication key of each occurrence is ``"<key>:<UTC start>"``, so re-runs and backfills
  update the same schedules instead of adding bots.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.operators.recurring import ExpandRecurringEventOperator
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

with DAG(
    dag_id="meetstream_recurring_mapped",
    description="Expand a recurring meeting and schedule a bot per occurrence with dynamic task mapping.",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "event_id": Param("evt_demo_standup_weekly", type="string", minLength=1),
        "occurrence_limit": Param(20, type="integer", minimum=1, maximum=200),
    },
    # Each request is retried by the hook already; a task retry covers an outage longer than that.
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
    tags=["meetstream", "example", "recurring"],
) as dag:
    occurrences = ExpandRecurringEventOperator(
        task_id="expand_occurrences",
        event_id="{{ params.event_id }}",
        deduplication_key="{{ dag.dag_id }}:{{ params.event_id }}",
        occurrence_limit="{{ params.occurrence_limit }}",
    )

    schedule_occurrence = ScheduleEventOperator.partial(
        task_id="schedule_occurrence",
        bot_config={"bot_name": "Stand-up notetaker"},
        map_index_template="{{ task.occurrence_date }}",
    ).expand_kwargs(occurrences.output)

    @task
    def bot_ids_of(scheduled: list[dict]) -> list[str]:
        """The bot id of every scheduled occurrence, for the sensor."""
        return [answer["bot_id"] for answer in scheduled]

    ListScheduledSensor(
        task_id="wait_until_all_listed",
        bot_ids=bot_ids_of(schedule_occurrence.output),
        mode="reschedule",
        poke_interval=30,
        timeout=15 * 60,
    )
