"""
On Airflow 3: land each meeting the moment its bot finishes, in a run the triggerer starts.

An ``AssetWatcher`` runs ``BotFinishedTrigger`` in the triggerer: it lists the workspace's bots
every ``poll_interval`` seconds and yields one event per bot of the hourly sync that finishes (its
data ready, or failed), each becoming an event of ``meetstream://bots/finished`` that starts this
DAG. No DAG polls, and nothing is triggered by hand. Airflow may fold events that arrive together
into one run, so the run lands every bot of its triggering events, with the harvest's own code
(``HarvestMeetingsOperator`` scoped to those bot ids), and each landed meeting is an event of
``meetstream://meetings`` (its ``extra`` naming the transcript), on which
``meetstream_transcript_words`` is scheduled. Triggered by hand, it lands the ``bot_ids`` param.
The meetings land under the ``base_path`` param, else the Airflow Variable
``meetstream_meetings_path``, else ``file:///tmp/meetstream-meetings``.

``meetstream_harvest`` stays on, hourly: it lands whatever an event missed (the meetings that had
ended before the watcher's first start, or while no triggerer ran) and skips what landed here.

On Airflow 2 there is no ``AssetWatcher``: this file defines no DAG, and ``meetstream_harvest``
is the way.
"""

from __future__ import annotations

import logging
import os

import pendulum
from airflow.providers.common.compat.sdk import DAG, AirflowSkipException, Asset, Param, task

from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator

SYNC_ID = "meetstream_batch_from_calendar.sync_bots"
POLL_INTERVAL = float(os.environ.get("MEETSTREAM_FINISHED_POLL_INTERVAL", "60"))
MEETINGS = Asset("meetstream://meetings")

try:
    from airflow.sdk import AssetWatcher

    from airflow_provider_meetstream.triggers.bot_finished import BotFinishedTrigger
except ImportError:  # Airflow 2
    AssetWatcher = None


def finished_bot_ids(events: dict | None) -> list[str]:
    """
    The bots a run's triggering asset events announce, each once, in order.

    :param events: ``triggering_asset_events``: by asset, the events whose ``extra["payload"]`` is
        the trigger's event.
    """
    found: dict[str, None] = {}
    for asset_events in (events or {}).values():
        for event in asset_events:
            payload = (event.extra or {}).get("payload") or {}
            if payload.get("bot_id"):
                found[str(payload["bot_id"])] = None
    return list(found)


if AssetWatcher is None:
    logging.getLogger(__name__).info(
        "meetstream_meeting_finished needs Airflow 3 (AssetWatcher): not defined; meetstream_harvest lands "
        "the meetings hourly."
    )
else:
    FINISHED = Asset(
        "meetstream://bots/finished",
        watchers=[
            AssetWatcher(
                name="meetstream_bot_finished",
                # Read when the DAG is parsed: the e2e suite polls every few seconds.
                trigger=BotFinishedTrigger(sync_id=SYNC_ID, poll_interval=POLL_INTERVAL),
            )
        ],
    )

    with DAG(
        dag_id="meetstream_meeting_finished",
        description="On each finished bot of the sync: land its meeting now (Airflow 3).",
        schedule=[FINISHED],
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        params={
            # None: the Variable meetstream_meetings_path, else file:///tmp/meetstream-meetings.
            "base_path": Param(None, type=["null", "string"]),
            "bot_ids": Param([], type="array", description="Bots to land when triggered by hand."),
        },
        tags=["meetstream", "example", "harvest"],
    ) as dag:

        @task
        def finished_bots(
            triggering_asset_events: dict | None = None, params: dict | None = None
        ) -> list[str]:
            """The bots to land: those of the triggering events, or the ``bot_ids`` param."""
            bot_ids = finished_bot_ids(triggering_asset_events) or list((params or {}).get("bot_ids") or [])
            if not bot_ids:
                raise AirflowSkipException("No finished bot in the triggering events, and no bot_ids param.")
            return bot_ids

        HarvestMeetingsOperator(
            task_id="land_meetings",
            bot_ids=finished_bots(),
            base_path="{{ params.base_path or var.value.get('meetstream_meetings_path', "
            "'file:///tmp/meetstream-meetings') }}",
            outlets=[MEETINGS],
        )
