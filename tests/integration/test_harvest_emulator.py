"""HarvestMeetingsOperator against the emulator: the sync's meetings land by themselves, once each."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from calendar_events import event, weekly

from airflow_provider_meetstream.exceptions import MeetStreamInputError, MeetStreamStorageError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator
from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator
from airflow_provider_meetstream.utils import landing

SYNC = "tests.sync"
TITLES = "sync|stand-up|review"
#: Past the last meeting's end and the emulator's processing delay (120 s).
AFTER = timedelta(hours=6)


@pytest.fixture
def calendar(meetstream_frozen_now):
    """Three meetings in the next hours, each with a bot of the sync, and one of another team."""
    now = meetstream_frozen_now.now
    admin = meetstream_frozen_now.emulator.admin
    admin.load_events(
        [
            event("evt_sync", now + timedelta(hours=1)),
            event("evt_review", now + timedelta(hours=2), title="Pipeline review", minutes=45),
            weekly("evt_standup", now + timedelta(hours=3)),
            event("evt_other", now + timedelta(hours=1), title="Other team's sync"),
        ]
    )
    SyncCalendarBotsOperator(
        task_id="sync",
        sync_id=SYNC,
        title_pattern="^(Customer sync|Pipeline review|Stand-up)$",
        lookahead=timedelta(hours=5),
    ).execute({})
    MeetStreamHook().schedule_event("evt_other", deduplication_key="another-team|evt_other")
    return meetstream_frozen_now


def harvest(frozen, base: Path | str, **kwargs: Any) -> dict[str, Any]:
    """One run, with the test's clock at the emulator's now."""
    kwargs.setdefault("sync_id", SYNC)
    path = base if isinstance(base, str) else f"file://{base}"
    with time_machine.travel(frozen.emulator.admin.now(), tick=False):
        return HarvestMeetingsOperator(task_id="harvest", base_path=path, **kwargs).execute({})


def read_meeting(base: Path, bot_id: str) -> dict[str, Any]:
    return json.loads((base / bot_id / "meeting.json").read_text())


def sync_bots(frozen) -> list[dict[str, Any]]:
    return [
        bot
        for bot in frozen.emulator.admin.state()["bots"]
        if str(bot["deduplication_key"]).startswith(f"{SYNC}|")
    ]


def test_every_meeting_lands_once_and_a_second_run_writes_nothing(calendar, tmp_path: Path) -> None:
    bots = sync_bots(calendar)
    assert len(bots) == 3
    early = harvest(calendar, tmp_path)
    assert early["counts"] == {"landed": 0, "pending": 0, "failed": 0, "skipped": 0}
    calendar.emulator.admin.advance_clock(AFTER)
    first = harvest(calendar, tmp_path)
    assert first["counts"] == {"landed": 3, "pending": 0, "failed": 0, "skipped": 0}
    assert {item["title"] for item in first["landed"]} == {"Customer sync", "Pipeline review", "Stand-up"}
    for item in first["landed"]:
        folder = tmp_path / item["bot_id"]
        assert sorted(path.name for path in folder.iterdir()) == [
            "meeting.json",
            "participants.jsonl",
            "speaker_timeline.jsonl",
            "transcript.jsonl",
        ]
        meeting = read_meeting(tmp_path, item["bot_id"])
        assert (meeting["schema_version"], meeting["outcome"], meeting["status"]) == (1, "landed", "Done")
        assert meeting["title"] == item["title"]
        assert meeting["speakers"]
        assert item["uri"] == f"file://{folder}/meeting.json"
        assert item["transcript_uri"] == f"file://{folder}/transcript.jsonl"
        segments = [json.loads(line) for line in (folder / "transcript.jsonl").read_text().splitlines()]
        assert {segment["speaker"] for segment in segments} == set(meeting["speakers"])
    calendar.emulator.admin.clear_requests()
    second = harvest(calendar, tmp_path)
    assert second["counts"] == {"landed": 0, "pending": 0, "failed": 0, "skipped": 3}
    assert {r["method"] for r in calendar.emulator.admin.requests()} == {"GET"}
    # An idle run reads the bots' listing and nothing else.
    assert {r["path"] for r in calendar.emulator.admin.requests()} == {"/api/v1/bots"}


def test_other_teams_bots_are_never_harvested(calendar, tmp_path: Path) -> None:
    calendar.emulator.admin.advance_clock(AFTER)
    ours = harvest(calendar, tmp_path / "ours")
    assert "evt_other" not in {item["event_id"] for item in ours["landed"]}
    theirs = harvest(calendar, tmp_path / "theirs", sync_id=None, key_prefix="another-team|")
    assert [(item["event_id"], item["title"]) for item in theirs["landed"]] == [
        ("evt_other", "Other team's sync")
    ]


def test_a_meeting_still_processing_is_pending_then_lands(calendar, tmp_path: Path) -> None:
    admin = calendar.emulator.admin
    # Just past the last meeting's end: every bot is Stopped, its data still processing.
    admin.advance_clock(timedelta(hours=3, minutes=16))
    result = harvest(calendar, tmp_path)
    assert result["counts"]["pending"] >= 1
    assert all("processing" in item["reason"] for item in result["pending"])
    assert not any((tmp_path / item["bot_id"] / "meeting.json").exists() for item in result["pending"])
    admin.advance_clock(timedelta(minutes=5))
    assert harvest(calendar, tmp_path)["counts"]["landed"] == len(result["pending"])


def test_refused_and_cancelled_bots(calendar, tmp_path: Path) -> None:
    admin = calendar.emulator.admin
    denied, *_ = sync_bots(calendar)
    admin.set_bot_outcome(denied["bot_id"], status="Denied", reason="The host did not admit the bot.")
    admin.advance_clock(AFTER)
    first = harvest(calendar, tmp_path)
    assert first["counts"] == {"landed": 2, "pending": 0, "failed": 1, "skipped": 0}
    (failed,) = first["failed"]
    assert (failed["bot_id"], failed["status"], failed["reason"]) == (
        denied["bot_id"],
        "Denied",
        "The host did not admit the bot.",
    )
    meeting = read_meeting(tmp_path, denied["bot_id"])
    assert (meeting["outcome"], meeting["objects"], meeting["reason"]) == (
        "failed",
        {},
        "The host did not admit the bot.",
    )
    assert sorted(p.name for p in (tmp_path / denied["bot_id"]).iterdir()) == ["meeting.json"]
    # Never fetched again.
    assert harvest(calendar, tmp_path)["counts"] == {"landed": 0, "pending": 0, "failed": 0, "skipped": 3}


def test_a_transcript_that_never_comes_fails_the_meeting_after_the_timeout(calendar, tmp_path: Path) -> None:
    admin = calendar.emulator.admin
    bot, *_ = sync_bots(calendar)
    admin.set_bot_outcome(bot["bot_id"], transcript="never")
    admin.advance_clock(AFTER)
    first = harvest(calendar, tmp_path, transcript_timeout=timedelta(hours=12))
    assert [item["bot_id"] for item in first["pending"]] == [bot["bot_id"]]
    admin.advance_clock(timedelta(hours=12))
    later = harvest(calendar, tmp_path, transcript_timeout=timedelta(hours=12))
    assert [item["bot_id"] for item in later["failed"]] == [bot["bot_id"]]
    assert later["failed"][0]["reason"] == "the transcript was still processing 12 h after the meeting"
    meeting = read_meeting(tmp_path, bot["bot_id"])
    assert (meeting["outcome"], meeting["objects"]) == ("failed", {})
    # Settled: never fetched again.
    assert harvest(calendar, tmp_path, transcript_timeout=timedelta(hours=12))["counts"]["failed"] == 0


def test_a_three_day_outage_is_caught_up_and_a_late_one_is_reported(calendar, tmp_path: Path) -> None:
    admin = calendar.emulator.admin
    admin.advance_clock(timedelta(days=3))
    caught_up = harvest(calendar, tmp_path)
    assert caught_up["counts"]["landed"] == 3
    # Ten days later MeetStream has deleted the data of a meeting the harvest never saw.
    admin.load_events([event("evt_late", admin.now() + timedelta(hours=1))], replace=False)
    MeetStreamHook().schedule_event("evt_late", deduplication_key=f"{SYNC}|late")
    admin.advance_clock(timedelta(days=10))
    late = harvest(calendar, tmp_path, lookback=timedelta(days=30))
    (failed,) = late["failed"]
    assert "no longer has the meeting's data" in failed["reason"]
    assert read_meeting(tmp_path, failed["bot_id"])["outcome"] == "failed"
    assert harvest(calendar, tmp_path, lookback=timedelta(days=30))["counts"]["failed"] == 0


def test_audio_is_streamed_to_storage(calendar, tmp_path: Path) -> None:
    admin = calendar.emulator.admin
    admin.set_config(audio_bytes=300_000)
    admin.advance_clock(AFTER)
    with mock.patch.object(landing, "write_atomically", wraps=landing.write_atomically) as write:
        result = harvest(calendar, tmp_path, include_audio=True)
    assert result["counts"]["landed"] == 3
    for item in result["landed"]:
        audio = tmp_path / item["bot_id"] / "audio.wav"
        assert audio.stat().st_size == 300_000
        assert audio.read_bytes()[:4] == b"RIFF"
        assert read_meeting(tmp_path, item["bot_id"])["objects"]["audio"] == "audio.wav"
    assert write.call_count == 3 * 5


def test_memory_storage_and_no_secret_in_any_object(calendar, memory_storage: str) -> None:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    calendar.emulator.admin.advance_clock(AFTER)
    result = harvest(calendar, memory_storage, include_audio=True)
    assert result["counts"]["landed"] == 3
    base = ObjectStoragePath(memory_storage)
    texts = [
        path.read_text() for path in base.rglob("*") if path.is_file() and not path.name.startswith("audio")
    ]
    assert len(texts) == 12
    for text in [*texts, json.dumps(result)]:
        assert calendar.emulator.api_key not in text
        assert "/_media/" not in text


def test_a_run_killed_before_meeting_json_lands_the_meeting_again(calendar, tmp_path: Path) -> None:
    calendar.emulator.admin.advance_clock(AFTER)
    real = landing.write_atomically

    def crash_on_meeting_json(path, write):
        if path.name == "meeting.json":
            raise OSError("disk full")
        return real(path, write)

    with (
        mock.patch.object(landing, "write_atomically", crash_on_meeting_json),
        pytest.raises(MeetStreamStorageError, match="disk full"),
    ):
        harvest(calendar, tmp_path)
    assert not list(tmp_path.rglob("meeting.json"))
    again = harvest(calendar, tmp_path)
    assert again["counts"]["landed"] == 3
    assert not list(tmp_path.rglob("*.tmp"))


def test_explicit_ids_and_the_scope_rules(calendar, tmp_path: Path) -> None:
    calendar.emulator.admin.advance_clock(AFTER)
    first, *_ = sync_bots(calendar)
    result = harvest(calendar, tmp_path, sync_id=None, bot_ids=[first["bot_id"]])
    assert [item["bot_id"] for item in result["landed"]] == [first["bot_id"]]
    for scope in ({}, {"sync_id": SYNC, "key_prefix": "x"}):
        with pytest.raises(MeetStreamInputError, match="exactly one scope"):
            HarvestMeetingsOperator(task_id="h", base_path=f"file://{tmp_path}", **{"sync_id": None, **scope})


def test_recording_links_stay_out_of_urllib3s_debug_lines_and_the_masker(
    calendar, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The harvest streams each link at once and keeps it from the masker, whose cost grows with
    # every secret it holds; urllib3's lines, which carry the path and query, show *** instead.
    from airflow_provider_meetstream.hooks import base

    masked: list[str] = []
    monkeypatch.setattr(base, "mask_secret", lambda secret, name=None: masked.append(secret))
    calendar.emulator.admin.advance_clock(AFTER)
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        result = harvest(calendar, tmp_path, include_audio=True)
    assert result["counts"]["landed"] == 3
    downloads = [
        r.getMessage()
        for r in caplog.records
        if r.name == "urllib3.connectionpool" and "***" in r.getMessage()
    ]
    assert len(downloads) == 3
    assert not [r.getMessage() for r in caplog.records if "/_media/" in r.getMessage()]
    assert [secret for secret in masked if "/_media/" in secret] == []
