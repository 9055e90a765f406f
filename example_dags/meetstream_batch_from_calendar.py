"""
Every hour, keep a bot on each meeting of the next 24 hours that the company records, and only there.

``SyncCalendarBotsOperator`` reads the calendar's next ``hours_ahead`` hours (a series' occurrences
with its moved and cancelled ones applied), keeps the meetings whose title matches
``title_pattern`` and that the recording ``rules`` allow (here: meetings with someone from outside
``example.com``, not declined by the calendar's owner, with no opt-out marker such as
``#norecord``), and makes MeetStream's bots match: a bot for each new meeting, the same bot moved
when its meeting moves, cancelled when its meeting is cancelled, deleted or no longer qualifies
(an owner declines, every outsider leaves). The task log shows the reason for every meeting left
out. It owns only the bots it made (their deduplication keys start with this DAG's sync id),
so it never fights another DAG over a meeting, and a run with nothing changed writes nothing.
``wait_until_listed`` then waits, in the triggerer, until MeetStream lists every bot the run
added or moved; a run that changed nothing skips it.

To adapt it: set the ``rules`` param (the keys of
:class:`~airflow_provider_meetstream.rules.RecordingRules`), ``title_pattern`` (a Python regular
expression, searched case-insensitively), ``hours_ahead``, and the sync's ``bot_config``.
Meetings that another DAG records (this project's other examples take the demo calendar's
stand-up, monthly review and customer sync) should stay out of the pattern, or each would get a
bot from both.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

with DAG(
    dag_id="meetstream_batch_from_calendar",
    description="Hourly: keep bots on the next 24 hours of meetings the recording rules allow.",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={
        "title_pattern": Param("data team", type="string", description="Regex on the title"),
        "hours_ahead": Param(24, type="integer", minimum=1, maximum=24 * 28),
        "rules": Param(
            {
                "internal_domains": ["example.com"],
                "record": "external",
                "skip_declined": True,
                # opt_out_markers left out: the defaults, #norecord, #nobot, [no bot], [no recording].
            },
            type="object",
            description="Recording rules: the keys of airflow_provider_meetstream.rules.RecordingRules",
        ),
    },
    # Each request is retried by the hook already; a task retry covers an outage longer than that.
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
    tags=["meetstream", "example", "batch"],
) as dag:
    sync = SyncCalendarBotsOperator(
        task_id="sync_bots",
        title_pattern="{{ params.title_pattern }}",
        # As JSON: a template renders to text unless the DAG renders native objects.
        rules="{{ params.rules | tojson }}",
        # From now: a late or backfilled run still looks at the meetings that have not begun.
        lookahead="{{ params.hours_ahead * 3600 }}",
        bot_config={"bot_name": "Airflow notetaker"},
        # Each key of the report is an XCom of its own too, so the sensor can take sync.output["bot_ids"].
        multiple_outputs=True,
    )

    @task.short_circuit
    def anything_to_wait_for(report: dict) -> bool:
        """Skip the wait when the run added and moved nothing."""
        return bool(report["bot_ids"])

    ListScheduledSensor(
        task_id="wait_until_listed",
        # The sync's list itself: a template would hand the sensor its text instead.
        bot_ids=sync.output["bot_ids"],
        deferrable=True,
        poke_interval=30,
        timeout=30 * 60,
    ).set_upstream(anything_to_wait_for(sync.output))
