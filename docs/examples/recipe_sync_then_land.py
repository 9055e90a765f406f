"""
Every hour: keep a bot on each meeting the company records, then land every meeting that ended.

The sync makes MeetStream's bots match the next 24 hours of the calendar; the harvest, scoped to
the bots that sync made, lands each finished meeting once under ``base_path``: a folder per bot
with ``transcript.jsonl``, ``participants.jsonl``, ``speaker_timeline.jsonl`` and, last,
``meeting.json``. A run with nothing new writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset, Param

from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator
from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator

# [START sync_then_land]
MEETINGS = Asset("meetstream://meetings")

with DAG(
    dag_id="docs_recipe_sync_then_land",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={"base_path": Param("file:///tmp/meetstream-meetings", type="string")},
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
) as dag:
    sync = SyncCalendarBotsOperator(
        task_id="sync_bots",  # its sync id: "docs_recipe_sync_then_land.sync_bots"
        title_pattern="data team",
        rules={"internal_domains": ["example.com"], "record": "external"},
        lookahead=timedelta(hours=24),
        bot_config={"bot_name": "Airflow notetaker"},
    )
    harvest = HarvestMeetingsOperator(
        task_id="land_meetings",
        sync_id="docs_recipe_sync_then_land.sync_bots",  # only the bots this DAG's sync made
        base_path="{{ params.base_path }}",
        lookback=timedelta(days=7),  # an outage shorter than this is caught up
        outlets=[MEETINGS],  # one asset event per landed meeting
    )
    sync >> harvest
# [END sync_then_land]
