"""
Record every occurrence of a recurring meeting in one task, up to ``occurrence_limit``.

``ScheduleRecurringEventOperator`` expands the series in the meeting's own time zone and schedules
each occurrence on a small thread pool that shares one keep-alive connection: 52 occurrences take
about as long as a handful of requests. It fails when any occurrence failed (unless
``allow_partial_failure``) and a re-run schedules only what is missing, because each occurrence's
deduplication key is derived from the series key and its UTC start. ``mode="server"`` lets
MeetStream expand the series instead, in one request.

To adapt it: set ``event_id`` to MeetStream's id of the series master, ``occurrence_limit`` to how
many upcoming occurrences to cover, and ``bot_config`` to what the bots should do.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator

with DAG(
    dag_id="meetstream_recurring_bulk",
    description="Schedule a bot for every occurrence of a recurring meeting in one task.",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "event_id": Param("evt_demo_teams_monthly_review", type="string", minLength=1),
        "occurrence_limit": Param(52, type="integer", minimum=1, maximum=1000),
    },
    # Each request is retried by the hook already; a task retry re-runs only what is missing.
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
    tags=["meetstream", "example", "recurring"],
) as dag:
    ScheduleRecurringEventOperator(
        task_id="schedule_all_occurrences",
        event_id="{{ params.event_id }}",
        deduplication_key="{{ dag.dag_id }}:{{ params.event_id }}",
        occurrence_limit="{{ params.occurrence_limit }}",
        bot_config={
            "bot_name": "Review notetaker",
            "recording_config": {"transcript": {"provider": "default"}},
        },
        max_concurrency=8,
        mode="client",
    )
