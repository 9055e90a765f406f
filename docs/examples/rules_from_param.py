"""Record only the meetings the company's recording rules allow, the rules taken from a Param."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

with DAG(
    dag_id="docs_rules_from_param",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # [START rules_param]
    params={
        "rules": Param(
            {
                "internal_domains": ["example.com"],  # a subdomain counts as its domain
                "record": "external",  # at least one attendee from outside them
            },
            type="object",
            description="The keys of airflow_provider_meetstream.rules.RecordingRules",
        ),
    },
    # [END rules_param]
) as dag:
    # [START rules_sync]
    SyncCalendarBotsOperator(
        task_id="sync_bots",
        title_pattern="data team",
        # As JSON: a template renders text unless the DAG sets render_template_as_native_obj.
        rules="{{ params.rules | tojson }}",
        bot_config={"bot_name": "Notetaker"},
    )
    # [END rules_sync]
