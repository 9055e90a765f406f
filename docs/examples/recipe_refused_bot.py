"""
Land every meeting of one team's bots, and report the ones that did not happen, without failing.

A bot the host refused (``Denied``, ``NotAllowed``) or that broke (``Error``) lands as a failed
meeting: a ``meeting.json`` with ``outcome: "failed"``, the status and the reason, and it is
never fetched again. A ``Cancelled`` bot never met and is skipped. Neither fails the run: the
harvest's XCom lists them, and ``report`` turns that list into a log line a human reads.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator

log = logging.getLogger(__name__)

with DAG(
    dag_id="docs_recipe_refused_bot",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={
        "base_path": Param("file:///tmp/meetstream-meetings", type="string"),
        "key_prefix": Param("sales|", type="string"),
    },
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
) as dag:
    # [START refused_bot]
    harvest = HarvestMeetingsOperator(
        task_id="land_meetings",
        key_prefix="{{ params.key_prefix }}",  # the bots whose deduplication key starts so
        base_path="{{ params.base_path }}",
    )

    @task
    def report(result: dict) -> dict:
        """Say which meetings did not land and why; the run itself succeeds."""
        for item in result["failed"]:
            log.warning("Not recorded: %s (%s): %s", item["title"], item["status"], item["reason"])
        return result["counts"]

    report(harvest.output)
    # [END refused_bot]
