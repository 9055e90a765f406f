"""
Every hour, land every finished meeting of the hourly sync in storage, with nobody at the keyboard.

``HarvestMeetingsOperator`` lists the workspace's bots, keeps those ``meetstream_batch_from_calendar``
scheduled (its sync id is the prefix of their deduplication keys), and lands each one whose
meeting ended in the last ``lookback_hours`` and has not landed yet: ``transcript.jsonl``,
``participants.jsonl``, ``speaker_timeline.jsonl`` and last ``meeting.json``, in a folder per bot
under ``base_path``. A meeting still processing stays pending until a later run; one whose bot was
refused lands as a failed meeting (``meeting.json`` with the status and reason); one that landed
is skipped, so a run with nothing new writes nothing. An outage shorter than ``lookback_hours`` is
caught up by the next run. Each landed meeting emits one event of ``meetstream://meetings``, its
``extra`` naming ``meeting.json`` (``uri``) and the transcript (``transcript_uri``), on which
``meetstream_transcript_words`` is scheduled.

To adapt it: point ``base_path`` at your bucket (``s3://…`` with the Amazon provider and a
``storage_conn_id``), and ``sync_id`` at your sync (``"<dag_id>.<task_id>"`` by default). The
meetings are a table: ``SELECT * FROM read_json('<base_path>/*/meeting.json')`` in DuckDB.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset, Param

from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator

MEETINGS = Asset("meetstream://meetings")

with DAG(
    dag_id="meetstream_harvest",
    description="Hourly: land every finished meeting of the calendar sync in storage.",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # Two runs at once would land the same meetings twice over (harmless, but twice the requests).
    max_active_runs=1,
    params={
        "base_path": Param("file:///tmp/meetstream-meetings", type="string"),
        "lookback_hours": Param(7 * 24, type="integer", minimum=1, maximum=366 * 24),
    },
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
    tags=["meetstream", "example", "harvest"],
) as dag:
    HarvestMeetingsOperator(
        task_id="harvest",
        sync_id="meetstream_batch_from_calendar.sync_bots",
        base_path="{{ params.base_path }}",
        lookback="{{ params.lookback_hours * 3600 }}",
        outlets=[MEETINGS],
    )
