"""Every upcoming occurrence of a monthly Microsoft Graph series, in one task."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator

with DAG(
    dag_id="docs_recurring_bulk",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"occurrence_limit": Param(6, type="integer", minimum=1, maximum=1000)},
) as dag:
    # [START recurring_bulk]
    ScheduleRecurringEventOperator(
        task_id="record_reviews",
        event_id="evt_demo_teams_monthly_review",
        deduplication_key="monthly-review",
        occurrence_limit="{{ params.occurrence_limit }}",
        bot_config={"bot_name": "Review notetaker"},
        max_concurrency=8,  # threads sharing one pool of keep-alive connections
        allow_partial_failure=False,  # fail when an occurrence failed; a re-run fills the gaps
        mode="client",  # or "server": MeetStream expands the series in one request
    )
    # [END recurring_bulk]
