"""One mapped task per upcoming occurrence of a weekly Google Calendar series."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.operators.recurring import ExpandRecurringEventOperator

with DAG(
    dag_id="docs_recurring_mapped",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"occurrence_limit": Param(4, type="integer", minimum=1, maximum=100)},
) as dag:
    # [START recurring_mapped]
    occurrences = ExpandRecurringEventOperator(
        task_id="expand",
        event_id="evt_demo_standup_weekly",
        deduplication_key="standup",  # each occurrence's key is "standup:<its UTC start>"
        occurrence_limit="{{ params.occurrence_limit }}",
    )
    ScheduleEventOperator.partial(
        task_id="schedule",
        bot_config={"bot_name": "Stand-up notetaker"},
        if_other_bot="skip",  # one occurrence held by another team is not an error of the series
        map_index_template="{{ task.occurrence_date }}",  # each mapped task is named after its date
    ).expand_kwargs(occurrences.output)
    # [END recurring_mapped]
