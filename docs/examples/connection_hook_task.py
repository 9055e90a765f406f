"""A task that uses MeetStreamHook directly: list the bots waiting to join their meetings."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

with DAG(
    dag_id="docs_connection_hook_task",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    # [START hook_in_a_task]
    @task
    def list_waiting_bots() -> list[str]:
        """The ids of the bots MeetStream lists as scheduled, oldest first."""
        # Imported in the task: the DAG file stays cheap to parse.
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

        # The connection is read here, not when the DAG is parsed; `with` closes the HTTP session.
        with MeetStreamHook(meetstream_conn_id="meetstream_default") as hook:
            return [bot["bot_id"] for bot in hook.list_scheduled_bots(limit=100)]

    list_waiting_bots()
    # [END hook_in_a_task]
