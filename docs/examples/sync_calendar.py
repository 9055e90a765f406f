"""Keep one bot on each "data team" meeting of the next 24 hours, as the calendar changes."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

with DAG(
    dag_id="docs_sync_calendar",
    schedule=None,  # hourly in production: "@hourly"
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
) as dag:
    # [START sync_calendar]
    SyncCalendarBotsOperator(
        task_id="sync_bots",
        title_pattern="data team",  # a regex, searched case-insensitively
        lookahead=timedelta(hours=24),  # from now
        bot_config={"bot_name": "Notetaker"},
        # sync_id defaults to "<dag_id>.<task_id>": the sync owns the bots whose key starts with it
        # dry_run=True logs the plan and writes nothing; take_over=True replaces other owners' bots
    )
    # [END sync_calendar]
