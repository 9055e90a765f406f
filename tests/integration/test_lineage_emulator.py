"""Lineage against the emulator: the operators' OpenLineage facets, and what the hook tells the collector."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from airflow.providers.common.compat.sdk import TaskDeferred
from calendar_events import event
from meetstream_fakes import events_of as run_trigger

from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.bots import CreateBotOperator
from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator
from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator
from airflow_provider_meetstream.utils import lineage

pytest.importorskip("airflow.providers.openlineage", reason="the facets are the OpenLineage provider's types")

LINK = "https://us02web.zoom.us/j/5550001"
SYNC = "lineage.sync"
#: A meeting of 30 minutes, then the emulator's 2 minutes of processing its transcript.
MEETING, PROCESSING = timedelta(minutes=30), timedelta(minutes=2)


def names(datasets: list[Any]) -> list[tuple[str, str]]:
    return [(dataset.namespace, dataset.name) for dataset in datasets]


def bot_input(frozen: Any, bot_id: str) -> tuple[str, str]:
    """A bot as the facets name it: the emulator's ``meetstream://127.0.0.1:<port>``, ``bots/<id>``."""
    port = frozen.emulator.api_url.split(":")[2].split("/")[0]
    return f"meetstream://127.0.0.1:{port}", f"bots/{bot_id}"


def fetch(bot: Any, base: Path, **kwargs: Any) -> FetchTranscriptOperator:
    kwargs.setdefault("poll_interval", 0.05)
    kwargs.setdefault("transcript_timeout", 30)
    return FetchTranscriptOperator(task_id="fetch", bot_id=bot, base_path=f"file://{base}", **kwargs)


class TestFetchTranscriptFacets:
    def test_the_bot_read_and_the_objects_written(self, meetstream_frozen_now, tmp_path: Path) -> None:
        bot = MeetStreamHook().create_bot(LINK)
        meetstream_frozen_now.emulator.admin.advance_clock(MEETING + PROCESSING)
        operator = fetch(bot, tmp_path, write_text=True)
        assert names(operator.get_openlineage_facets_on_complete(None).outputs) == []
        operator.execute({})
        facets = operator.get_openlineage_facets_on_complete(None)
        folder = tmp_path / bot["bot_id"]
        assert names(facets.inputs) == [bot_input(meetstream_frozen_now, bot["bot_id"])]
        assert names(facets.outputs) == [
            ("file", str(folder / "transcript.jsonl")),
            ("file", str(folder / "transcript.txt")),
        ]
        assert sorted(path.name for path in folder.iterdir()) == ["transcript.jsonl", "transcript.txt"]
        assert meetstream_frozen_now.emulator.api_key not in repr(facets)

    def test_the_deferred_path_reports_too(self, meetstream_frozen_now, tmp_path: Path) -> None:
        bot = MeetStreamHook().create_bot(LINK)
        meetstream_frozen_now.emulator.admin.advance_clock(MEETING)
        with pytest.raises(TaskDeferred) as deferred:
            fetch(bot, tmp_path, deferrable=True).execute({})
        meetstream_frozen_now.emulator.admin.advance_clock(PROCESSING)
        (ready,) = run_trigger(deferred.value.trigger)
        # Airflow resumes the task on a new operator: what it records there is all the facets know.
        resumed = fetch(bot, tmp_path, deferrable=True)
        resumed.execute_complete({}, ready, **deferred.value.kwargs)
        facets = resumed.get_openlineage_facets_on_complete(None)
        assert names(facets.inputs) == [bot_input(meetstream_frozen_now, bot["bot_id"])]
        assert names(facets.outputs) == [("file", str(tmp_path / bot["bot_id"] / "transcript.jsonl"))]

    def test_a_run_that_wrote_nothing_reports_nothing(self, meetstream_frozen_now, tmp_path: Path) -> None:
        bot = MeetStreamHook().create_bot(LINK)
        meetstream_frozen_now.emulator.admin.set_bot_outcome(bot["bot_id"], transcript="never")
        meetstream_frozen_now.emulator.admin.advance_clock(MEETING + PROCESSING)
        operator = fetch(bot, tmp_path, transcript_timeout=0.2)
        with pytest.raises(Exception, match="streaming-only"):
            operator.execute({})
        facets = operator.get_openlineage_facets_on_complete(None)
        assert (facets.inputs, facets.outputs) == ([], [])


@pytest.fixture
def two_meetings(meetstream_frozen_now) -> dict[str, str]:
    """Two ended meetings of the sync, the second's bot refused by its host: their bot ids, by outcome."""
    admin = meetstream_frozen_now.emulator.admin
    now = meetstream_frozen_now.now
    admin.load_events(
        [event("evt_first", now + timedelta(hours=1)), event("evt_second", now + timedelta(hours=2))]
    )
    hook = MeetStreamHook()
    landed = hook.schedule_event("evt_first", deduplication_key=f"{SYNC}|first")["bot_id"]
    failed = hook.schedule_event("evt_second", deduplication_key=f"{SYNC}|second")["bot_id"]
    admin.set_bot_outcome(failed, status="Denied", reason="The host did not admit the bot.")
    admin.set_config(audio_bytes=1000)
    admin.advance_clock(timedelta(hours=6))
    return {"landed": landed, "failed": failed}


def harvest(frozen: Any, base: Path) -> HarvestMeetingsOperator:
    """One harvest run, with the test's clock at the emulator's now; the operator, to read its facets."""
    operator = HarvestMeetingsOperator(
        task_id="harvest", base_path=f"file://{base}", sync_id=SYNC, include_audio=True
    )
    with time_machine.travel(frozen.emulator.admin.now(), tick=False):
        operator.execute({})
    return operator


class TestHarvestFacets:
    def test_exactly_what_the_run_wrote_and_the_bots_it_read(
        self, meetstream_frozen_now, two_meetings: dict[str, str], tmp_path: Path
    ) -> None:
        operator = harvest(meetstream_frozen_now, tmp_path)
        facets = operator.get_openlineage_facets_on_complete(None)
        landed, failed = tmp_path / two_meetings["landed"], tmp_path / two_meetings["failed"]
        assert names(facets.inputs) == [
            bot_input(meetstream_frozen_now, two_meetings["landed"]),
            bot_input(meetstream_frozen_now, two_meetings["failed"]),
        ]
        # In the order written, meeting.json last for each meeting; the failed one has nothing else.
        assert names(facets.outputs) == [
            *(
                ("file", str(landed / name))
                for name in ("transcript.jsonl", "participants.jsonl", "speaker_timeline.jsonl", "audio.wav")
            ),
            ("file", str(landed / "meeting.json")),
            ("file", str(failed / "meeting.json")),
        ]
        written = {("file", str(path)) for path in tmp_path.rglob("*") if path.is_file()}
        assert set(names(facets.outputs)) <= written
        assert written - set(names(facets.outputs)) == set()

    def test_meetings_landed_before_are_not_this_runs(
        self, meetstream_frozen_now, two_meetings: dict[str, str], tmp_path: Path
    ) -> None:
        harvest(meetstream_frozen_now, tmp_path)
        again = harvest(meetstream_frozen_now, tmp_path).get_openlineage_facets_on_complete(None)
        assert (again.inputs, again.outputs) == ([], [])


def collected(collector: Any) -> tuple[set[str], set[str]]:
    assets = collector.collected_assets
    return {info.asset.uri for info in assets.inputs}, {info.asset.uri for info in assets.outputs}


class TestHookLineage:
    def test_a_bot_created_then_its_transcript_fetched(
        self, meetstream_frozen_now, collector: Any, tmp_path: Path
    ) -> None:
        host = lineage.authority(meetstream_frozen_now.emulator.api_url)
        bot = CreateBotOperator(task_id="create", meeting_link=LINK, idempotency_key="lineage").execute({})
        meetstream_frozen_now.emulator.admin.advance_clock(MEETING + PROCESSING)
        fetch(bot["bot_id"], tmp_path).execute({})
        inputs, outputs = collected(collector)
        assert outputs == {f"meetstream://{host}/bots/{bot['bot_id']}"}
        assert inputs == {
            f"meetstream://{host}/bots/{bot['bot_id']}",
            f"meetstream://{host}/transcripts/{bot['transcript_id']}",
        }

    def test_a_harvest_reads_the_bots_it_lands(
        self, meetstream_frozen_now, two_meetings: dict[str, str], collector: Any, tmp_path: Path
    ) -> None:
        host = lineage.authority(meetstream_frozen_now.emulator.api_url)
        harvest(meetstream_frozen_now, tmp_path)
        inputs, outputs = collected(collector)
        # The refused bot's meeting.json comes from the bots' listing: its own data is never read.
        bots = {uri for uri in inputs if "/bots/" in uri}
        assert bots == {f"meetstream://{host}/bots/{two_meetings['landed']}"}
        assert {uri.split("/")[3] for uri in inputs} == {"bots", "transcripts"}
        assert outputs == set()
