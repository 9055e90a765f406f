"""
An hourly DAG whose wait can outlast the hour: one run at a time, the next one queued behind it.

``wait_until_finished`` waits, in the triggerer, until every bot the sync added or moved has left
its meeting, which may be hours away. ``max_active_runs=1`` keeps the next hourly run queued until
this one ends, so two runs never sync and land the same meetings side by side; the runs it
queued then start one after the other and catch up (the sync and the harvest are idempotent).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator
from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator
from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor

# [START max_active_runs]
with DAG(
    dag_id="docs_recipe_max_active_runs",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # a run still waiting holds the next one back
    params={"base_path": Param("file:///tmp/meetstream-meetings", type="string")},
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
) as dag:
    sync = SyncCalendarBotsOperator(
        task_id="sync_bots",
        title_pattern="data team",
        rules={"internal_domains": ["example.com"], "record": "external"},
        lookahead=timedelta(hours=24),
        multiple_outputs=True,  # sync.output["bot_ids"]: the bots it added or moved
    )

    @task.short_circuit(ignore_downstream_trigger_rules=False)  # skip the wait, not the landing
    def anything_added(report: dict) -> bool:
        return bool(report["bot_ids"])

    wait = BotStatusSensor(
        task_id="wait_until_finished",
        bot_ids=sync.output["bot_ids"],
        deferrable=True,  # the wait holds no worker slot, only the run
        poke_interval=5 * 60,
        timeout=26 * 3600,  # the last meeting of the 24-hour window, and its length
    )
    land = HarvestMeetingsOperator(
        task_id="land_meetings",
        sync_id="docs_recipe_max_active_runs.sync_bots",
        base_path="{{ params.base_path }}",
        trigger_rule="none_failed",  # lands what earlier runs' bots recorded, even with no wait
    )
    anything_added(sync.output) >> wait >> land
# [END max_active_runs]
