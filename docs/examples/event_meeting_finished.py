"""
On Airflow 3: a run for each meeting that ends, started by the triggerer, landing that meeting.

An ``AssetWatcher`` runs ``BotFinishedTrigger`` in the triggerer: each bot of the sync that
finishes (its data ready, or refused) becomes an event of ``meetstream://bots/finished``, which
starts this DAG. The run lands the bots its triggering events name (Airflow may fold several
events into one run) with the harvest's own code. Triggered by hand, it lands the ``bot_ids``
param. On Airflow 2 this file defines no DAG: run the hourly harvest instead.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, AirflowSkipException, Asset, Param, task

from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator

# [START watcher]
try:
    from airflow.sdk import AssetWatcher

    from airflow_provider_meetstream.triggers.bot_finished import BotFinishedTrigger
except ImportError:  # Airflow 2: no AssetWatcher, no BotFinishedTrigger
    AssetWatcher = None

if AssetWatcher is not None:
    FINISHED = Asset(
        "meetstream://bots/finished",
        watchers=[
            AssetWatcher(
                name="docs_bot_finished",
                trigger=BotFinishedTrigger(sync_id="docs_recipe_sync_then_land.sync_bots", poll_interval=60),
            )
        ],
    )
    # [END watcher]

    # [START consumer]
    with DAG(
        dag_id="docs_event_meeting_finished",
        schedule=[FINISHED],
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        params={
            "base_path": Param("file:///tmp/meetstream-meetings", type="string"),
            "bot_ids": Param([], type="array", description="Bots to land when triggered by hand"),
        },
    ) as dag:

        @task
        def finished_bots(triggering_asset_events=None, params=None) -> list[str]:
            """Every bot the triggering events announce, each once; else the bot_ids param."""
            bot_ids = {
                event.extra["payload"]["bot_id"]: None
                for events in (triggering_asset_events or {}).values()
                for event in events
                if (event.extra or {}).get("payload", {}).get("bot_id")
            }
            found = list(bot_ids) or list((params or {}).get("bot_ids") or [])
            if not found:
                raise AirflowSkipException("No finished bot in the triggering events.")
            return found

        HarvestMeetingsOperator(
            task_id="land_meetings",
            bot_ids=finished_bots(),
            base_path="{{ params.base_path }}",
        )
    # [END consumer]
