"""
Send a bot to a meeting no calendar holds, wait until it leaves, and store its transcript.

``CreateBotOperator`` sends the bot now (a retry gets the same bot back, never a second one);
``BotStatusSensor`` waits in the triggerer until it has left the meeting; ``FetchTranscriptOperator``
waits for the transcript and writes ``<base_path>/<bot_id>/transcript.jsonl`` and
``transcript.txt`` beside it, then emits an event of ``meetstream://transcripts``.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset, Param

from airflow_provider_meetstream.operators.bots import CreateBotOperator
from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator
from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor

TRANSCRIPTS = Asset("meetstream://transcripts")

with DAG(
    dag_id="docs_after_bot_to_storage",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "meeting_link": Param("https://us02web.zoom.us/j/81234567890", type="string"),
        "base_path": Param("file:///tmp/meetstream-transcripts", type="string"),
    },
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
) as dag:
    # [START bot_to_storage]
    bot = CreateBotOperator(
        task_id="create_bot",
        meeting_link="{{ params.meeting_link }}",
        bot_config={"bot_name": "Airflow notetaker"},
    )
    done = BotStatusSensor(
        task_id="wait_until_left",
        bot_ids=bot.output,  # CreateBotOperator's XCom names the bot
        deferrable=True,
        poke_interval=60,
        timeout=6 * 3600,
    )
    fetch = FetchTranscriptOperator(
        task_id="fetch_transcript",
        bot_id=bot.output,
        base_path="{{ params.base_path }}",  # s3://..., gs://... with their provider and storage_conn_id
        write_text=True,  # transcript.txt beside the JSON lines
        transcript_timeout=3600,
        outlets=[TRANSCRIPTS],
    )
    bot >> done >> fetch
    # [END bot_to_storage]
