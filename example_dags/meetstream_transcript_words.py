"""
Each time a transcript lands, count its words per speaker: every transcript once.

Scheduled on two assets: ``meetstream://meetings``, one event per meeting that
``meetstream_harvest`` landed (``extra["transcript_uri"]``), and ``meetstream://transcripts``, one
event per transcript ``meetstream_transcripts_to_storage`` wrote (``extra["uri"]``). Airflow may
fold several queued events into one run, so each run reads every triggering event. A transcript is
JSON lines, one segment a line, the words under ``transcript``. Triggered by hand, it reads the
``uri`` param instead.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset, Param, task

TRANSCRIPTS = Asset("meetstream://transcripts")
MEETINGS = Asset("meetstream://meetings")


def transcript_uris(extra: dict | None) -> list[str]:
    """
    The transcripts an asset event announces.

    :param extra: The event's ``extra``: a landed meeting (``transcript_uri``), a written
        transcript (``uri``), or on Airflow 2 a harvest run's ``{"meetings": [...]}``.
    """
    if not extra:
        return []
    meetings = extra.get("meetings") if isinstance(extra.get("meetings"), list) else [extra]
    found = []
    for meeting in meetings:
        uri = meeting.get("transcript_uri") or (None if "transcript_uri" in meeting else meeting.get("uri"))
        if uri:
            found.append(str(uri))
    return found


def words_per_speaker(uri: str) -> dict[str, int]:
    """
    Count the words each speaker said in a transcript written by ``FetchTranscriptOperator``.

    :param uri: The transcript's JSON lines, any ``ObjectStoragePath`` URI.
    """
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    counts: Counter[str] = Counter()
    for line in ObjectStoragePath(uri).read_text(encoding="utf-8").splitlines():
        segment = json.loads(line)
        counts[segment.get("speaker") or "Unknown"] += len(str(segment.get("transcript") or "").split())
    return dict(counts.most_common())


with DAG(
    dag_id="meetstream_transcript_words",
    description="On each new transcript: words per speaker.",
    schedule=(MEETINGS | TRANSCRIPTS),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"uri": Param("", type="string", description="A transcript, when triggered by hand")},
    default_args={"retries": 3, "retry_delay": timedelta(seconds=10)},
    tags=["meetstream", "example", "transcripts"],
) as dag:
    # One XCom, the dict: inferred from the return type, multiple_outputs would push each URI as an
    # XCom key of its own, which Airflow 3.0's task API refuses for a key with a slash.
    @task(multiple_outputs=False)
    def count_words(
        params: dict, triggering_asset_events=None, triggering_dataset_events=None
    ) -> dict[str, dict[str, int]]:
        """Print and return the words per speaker of every transcript that triggered this run."""
        # Airflow 2 names the events after datasets.
        triggering = triggering_asset_events or triggering_dataset_events or {}
        events = [event for batch in triggering.values() for event in batch]
        uris = [uri for event in events for uri in transcript_uris(event.extra)]
        if params["uri"]:
            uris.append(params["uri"])
        counts = {uri: words_per_speaker(uri) for uri in dict.fromkeys(uris)}
        for uri, per_speaker in counts.items():
            print(f"Words per speaker in {uri}:")
            for speaker, words in per_speaker.items():
                print(f"  {speaker:<12} {words}")
        return counts

    count_words()
