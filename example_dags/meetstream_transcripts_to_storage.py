"""
Send a bot to a meeting, or take the bots another DAG scheduled; wait until they leave; store each transcript.

Trigger it with ``bot_ids`` (for example the bots the hourly ``meetstream_batch_from_calendar``
added: its ``sync_bots`` XCom lists them), or with none and a ``meeting_link``: then
``create_bot`` sends a bot there now (``CreateBotOperator``; its ``Idempotency-Key`` comes from the
task instance, so a retry never sends a second bot). ``wait_for_meetings`` waits, in the triggerer,
until every bot has left its meeting; a bot that was refused (``Denied``, ``NotAllowed``...) fails
it at once. ``fetch_transcript`` then runs once per bot (mapped over the ids), waits for the
transcript within ``transcript_timeout`` (a streaming-only transcription provider never makes one)
and writes it through object storage as ``<base_path>/<bot_id>/transcript.jsonl`` and
``transcript.txt`` beside it: one folder a bot, the layout ``meetstream_harvest`` lands meetings in.
Each transcript written emits an event of the asset ``meetstream://transcripts`` whose ``extra``
says where it landed (``uri``), which ``meetstream_transcript_words`` is scheduled on.

To adapt it: point ``base_path`` at your bucket (``s3://…`` with the Amazon provider and a
``storage_conn_id``), and set ``bot_config`` (``recording_config`` chooses the transcription
provider). ``make demo`` runs it against the local emulator with the batch DAG's bots.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset, Param, task

from airflow_provider_meetstream.operators.bots import CreateBotOperator
from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator
from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor

TRANSCRIPTS = Asset("meetstream://transcripts")

with DAG(
    dag_id="meetstream_transcripts_to_storage",
    description="A bot's meeting (or several bots') to a transcript file each, announced as an asset.",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "bot_ids": Param([], type="array", items={"type": "string"}, description="Bots to fetch"),
        "meeting_link": Param(
            "https://us02web.zoom.us/j/81234567890", type="string", description="Used without bot_ids"
        ),
        "base_path": Param("file:///tmp/meetstream-transcripts", type="string"),
    },
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
    tags=["meetstream", "example", "transcripts"],
) as dag:

    @task.branch
    def given_or_new(params: dict) -> list[str]:
        """Use the bots given, or send one to ``meeting_link`` first."""
        return ["bot_ids"] if params["bot_ids"] else ["create_bot", "bot_ids"]

    create = CreateBotOperator(
        task_id="create_bot",
        meeting_link="{{ params.meeting_link }}",
        bot_config={"bot_name": "Airflow notetaker"},
    )

    @task(trigger_rule="none_failed_min_one_success")
    def bot_ids(params: dict, ti=None) -> list[str]:
        """The bots whose transcripts to fetch."""
        if params["bot_ids"]:
            return list(params["bot_ids"])
        return [ti.xcom_pull(task_ids="create_bot")["bot_id"]]

    ids = bot_ids()
    wait = BotStatusSensor(
        task_id="wait_for_meetings",
        bot_ids=ids,
        deferrable=True,
        poke_interval=30,
        timeout=6 * 3600,
    )
    fetch = FetchTranscriptOperator.partial(
        task_id="fetch_transcript",
        base_path="{{ params.base_path }}",
        write_text=True,
        deferrable=True,
        poll_interval=30,
        transcript_timeout=3600,
        outlets=[TRANSCRIPTS],
    ).expand(bot_id=ids)

    choice = given_or_new()
    choice >> [create, ids]
    create >> ids
    ids >> wait >> fetch
