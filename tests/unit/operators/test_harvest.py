"""HarvestMeetingsOperator with its hook replaced: arguments, the run's choices, and its asset events."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from meetstream_fakes import task_context

from airflow_provider_meetstream.exceptions import (
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamNotReadyError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator

UTC = timezone.utc
NOW = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
SYNC = "s"


def listed(
    bot_id: str, status: str = "Done", *, ended: timedelta = timedelta(hours=1), **fields: Any
) -> dict:
    end = NOW - ended
    return {
        "bot_id": bot_id,
        "status": status,
        "transcript_id": f"t_{bot_id}",
        "start_time": (end - timedelta(minutes=30)).isoformat(),
        "end_time": end.isoformat(),
        "custom_attributes": {"event_id": f"e_{bot_id}", "deduplication_key": f"{SYNC}|{bot_id}"},
        **fields,
    }


def fake_hook(bots: list[dict], **answers: Any) -> mock.MagicMock:
    hook = mock.MagicMock(spec=MeetStreamHook)
    hook.__enter__.return_value = hook
    hook.iter_bots.side_effect = lambda **kwargs: iter(bots)
    hook.iter_events.side_effect = lambda **kwargs: iter([])
    hook.get_transcript.return_value = [
        {"speaker": "Ada", "transcript": "Hi.", "start_time": 0, "end_time": 1}
    ]
    hook.get_participants.return_value = [{"fullName": "Ada"}]
    hook.get_speaker_timeline.return_value = [{"speaker": "Ada", "start_time": 0, "end_time": 1}]
    hook.get_bot_detail.return_value = {"bot_config": {}}
    for name, value in answers.items():
        setattr(hook, name, value)
    return hook


def run(hook: mock.MagicMock, base: Path, context: dict | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("sync_id", SYNC)
    operator = HarvestMeetingsOperator(task_id="h", base_path=f"file://{base}", **kwargs)
    with mock.patch.object(HarvestMeetingsOperator, "hook", hook), time_machine.travel(NOW, tick=False):
        return operator.execute(context if context is not None else task_context())


class TestArguments:
    @pytest.mark.parametrize(
        ("arguments", "named"),
        [
            ({"lookback": 0}, "lookback"),
            ({"lookback": "a week"}, "lookback"),
            ({"transcript_timeout": -1}, "transcript_timeout"),
            ({"max_meetings": 0}, "max_meetings"),
            ({"max_concurrency": 0}, "max_concurrency"),
            ({"include_audio": "yes"}, "include_audio"),
            ({"base_path": ""}, "base_path"),
            ({"sync_id": None}, "sync_id/key_prefix/bot_ids"),
            ({"bot_ids": ["a/../b", 3]}, "bot_ids"),
        ],
    )
    def test_bad_arguments_are_refused_at_parse_time(self, arguments: dict, named: str) -> None:
        arguments = {"base_path": "file:///tmp/x", "sync_id": SYNC, **arguments}
        if "bot_ids" in arguments:
            arguments["sync_id"] = None
        with pytest.raises(MeetStreamInputError) as refused:
            HarvestMeetingsOperator(task_id="h", **arguments)
        assert refused.value.argument == named

    def test_templated_arguments_wait_for_their_rendering(self) -> None:
        operator = HarvestMeetingsOperator(
            task_id="h",
            base_path="{{ params.base }}",
            sync_id="{{ params.sync }}",
            lookback="{{ params.hours * 3600 }}",
            max_meetings="{{ params.n }}",
        )
        operator.lookback, operator.max_meetings = "7200", "3"
        assert operator._setting("lookback") == timedelta(hours=2)
        assert operator._setting("max_meetings") == 3
        for name in ("base_path", "sync_id", "key_prefix", "bot_ids", "lookback", "max_meetings"):
            assert name in operator.template_fields


class TestRun:
    def test_fates_and_the_report(self, tmp_path: Path) -> None:
        bots = [
            listed("done"),
            listed("denied", "Denied", reason="The host said no."),
            listed("cancelled", "Cancelled"),
            listed("in_meeting", "InMeeting", ended=-timedelta(minutes=5)),
            listed("too_old", ended=timedelta(days=8)),
            {**listed("other_team"), "custom_attributes": {"deduplication_key": "other|x"}},
        ]
        hook = fake_hook(bots)
        report = run(hook, tmp_path)
        assert report["counts"] == {"landed": 1, "pending": 0, "failed": 1, "skipped": 1}
        assert [item["bot_id"] for item in report["landed"]] == ["done"]
        assert report["failed"][0]["reason"] == "The host said no."
        assert report["skipped"][0]["reason"] == "the bot never met (Cancelled)"
        # A folder a bot, and the note of the run that announced them.
        assert sorted(path.name for path in tmp_path.iterdir()) == [
            ".meetstream-harvest-runs",
            "denied",
            "done",
        ]
        # Only the meeting that landed was read; the refused one was never fetched.
        assert [call.args for call in hook.get_participants.call_args_list] == [("done",)]
        again = run(fake_hook(bots), tmp_path)
        assert again["counts"] == {"landed": 0, "pending": 0, "failed": 0, "skipped": 3}

    def test_processing_data_leaves_the_meeting_pending_and_errors_do_too(self, tmp_path: Path) -> None:
        not_ready = MeetStreamNotReadyError("processing", status_code=202)
        hook = fake_hook([listed("a"), listed("b")])
        hook.get_speaker_timeline.side_effect = [not_ready, MeetStreamServerError("down", status_code=503)]
        report = run(hook, tmp_path, max_concurrency=1)
        assert report["counts"] == {"landed": 0, "pending": 2, "failed": 0, "skipped": 0}
        assert [item["reason"] for item in report["pending"]] == [
            "the speaker timeline is still processing",
            "MeetStreamServerError: MeetStream answered 503: down",
        ]
        assert list(tmp_path.iterdir()) == []

    def test_gone_data_lands_as_a_failed_meeting(self, tmp_path: Path) -> None:
        hook = fake_hook([listed("a")])
        hook.get_transcript.side_effect = MeetStreamNotFoundError("deleted", status_code=404)
        report = run(hook, tmp_path)
        assert report["counts"]["failed"] == 1
        meeting = json.loads((tmp_path / "a" / "meeting.json").read_text())
        assert (meeting["outcome"], meeting["objects"]) == ("failed", {})
        assert "no longer has the meeting's data" in meeting["reason"]

    def test_a_live_only_transcription_lands_without_a_transcript(self, tmp_path: Path) -> None:
        hook = fake_hook([listed("a")])
        hook.get_transcript.side_effect = MeetStreamNotReadyError("processing", status_code=202)
        hook.get_bot_detail.return_value = {
            "bot_config": {"recording_config": {"transcript": {"provider": {"deepgram_streaming": {}}}}}
        }
        report = run(hook, tmp_path)
        assert report["counts"]["landed"] == 1
        assert report["landed"][0]["transcript_uri"] is None
        meeting = json.loads((tmp_path / "a" / "meeting.json").read_text())
        assert meeting["transcript"]["status"] == "none"
        assert "live only" in meeting["reason"]

    def test_max_meetings_lands_the_oldest_first(self, tmp_path: Path) -> None:
        bots = [listed(f"b{i}", ended=timedelta(hours=i + 1)) for i in range(5)]
        report = run(fake_hook(bots), tmp_path, max_meetings=2)
        assert [item["bot_id"] for item in report["landed"]] == ["b4", "b3"]
        assert run(fake_hook(bots), tmp_path, max_meetings=2)["counts"]["landed"] == 2

    def test_a_retry_announces_what_a_killed_try_landed_and_a_cleared_task_does_not(
        self, tmp_path: Path
    ) -> None:
        bots = [listed("a"), listed("b")]
        timeline = [{"speaker": "Ada", "start_time": 0, "end_time": 1}]
        killed = fake_hook(bots)
        killed.get_speaker_timeline.side_effect = [timeline, RuntimeError("the worker was killed")]
        with pytest.raises(RuntimeError):
            run(killed, tmp_path, task_context(try_number=1), max_concurrency=1)
        assert json.loads((tmp_path / "a" / "meeting.json").read_text())["landed_by"]["try_number"] == 1
        retry = run(fake_hook(bots), tmp_path, task_context(try_number=2))
        # Airflow recorded no event of the killed try: the retry announces its meeting with its own.
        assert [item["bot_id"] for item in retry["landed"]] == ["a", "b"]
        assert retry["landed"][0]["transcript_uri"] == f"file://{tmp_path}/a/transcript.jsonl"
        cleared = run(fake_hook(bots), tmp_path, task_context(try_number=3))
        assert cleared["counts"] == {"landed": 0, "pending": 0, "failed": 0, "skipped": 2}
        # Another run's retry never announces this run's meetings.
        other = run(fake_hook(bots), tmp_path, task_context(run_id="scheduled__2", try_number=2))
        assert other["counts"]["skipped"] == 2

    def test_a_clear_after_success_then_a_kill_still_announces_what_the_killed_try_landed(
        self, tmp_path: Path
    ) -> None:
        run(fake_hook([listed("a")]), tmp_path, task_context(try_number=1))
        later = [
            listed("a"),
            listed("b", "Denied", ended=timedelta(hours=4)),
            listed("c", ended=timedelta(hours=3)),
            listed("d", ended=timedelta(hours=2)),
        ]

        def participants(bot_id: str) -> list[dict]:
            if bot_id == "d":
                raise RuntimeError("the worker was killed")
            return [{"fullName": "Ada"}]

        killed = fake_hook(later)
        killed.get_participants.side_effect = participants
        with pytest.raises(RuntimeError):
            run(killed, tmp_path, task_context(try_number=2), max_concurrency=1)
        assert [(tmp_path / bot / "meeting.json").exists() for bot in "bcd"] == [True, True, False]
        retry = run(fake_hook(later), tmp_path, task_context(try_number=3))
        # c, landed by the killed try, is announced now; b, a failed meeting, never is.
        assert sorted(item["bot_id"] for item in retry["landed"]) == ["c", "d"]
        assert sorted(item["bot_id"] for item in retry["skipped"]) == ["a", "b"]

    def test_an_odd_name_and_a_calendar_that_fails_do_not_stop_the_run(self, tmp_path: Path) -> None:
        hook = fake_hook([listed("a")])
        hook.get_participants.return_value = [{"fullName": "Bro\udc80ken"}]
        hook.iter_events.side_effect = MeetStreamServerError("down", status_code=503)
        report = run(hook, tmp_path)
        assert report["counts"]["landed"] == 1
        assert report["landed"][0]["title"] is None
        line = (tmp_path / "a" / "participants.jsonl").read_text(encoding="utf-8")
        assert json.loads(line)["fullName"] == "Bro\udc80ken"

    def test_a_transcript_timeout_as_long_as_the_lookback_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(MeetStreamInputError, match="shorter than lookback"):
            run(fake_hook([]), tmp_path, lookback=timedelta(hours=6), transcript_timeout=timedelta(hours=6))

    def test_explicit_ids_are_read_one_by_one(self, tmp_path: Path) -> None:
        hook = fake_hook([])
        hook.get_bot_status.side_effect = lambda bot_id: listed(bot_id, ended=timedelta(days=30))
        report = run(hook, tmp_path, sync_id=None, bot_ids=["x"])
        assert [item["bot_id"] for item in report["landed"]] == ["x"]
        hook.iter_bots.assert_not_called()


class TestAssetEvents:
    def test_airflow_3_one_event_per_landed_meeting_through_an_alias(self, tmp_path: Path) -> None:
        pytest.importorskip("airflow.sdk")
        from airflow.sdk import Asset, AssetAlias

        meetings = Asset("meetstream://meetings")
        operator = HarvestMeetingsOperator(
            task_id="h", base_path="file:///x", sync_id=SYNC, outlets=[meetings]
        )
        (alias,) = operator.outlets
        assert isinstance(alias, AssetAlias)
        assert alias.name == "meetstream-harvest:meetstream://meetings"
        # By name: Airflow 3.0's assets and aliases are not hashable.
        added: dict[str, list] = defaultdict(list)
        events = mock.MagicMock()
        events.__getitem__.side_effect = lambda key: mock.Mock(
            add=lambda asset, extra: added[key.name].append((asset, extra))
        )
        report = run(
            fake_hook([listed("a"), listed("b")]),
            tmp_path,
            task_context(outlet_events=events),
            outlets=[meetings],
        )
        assert [(asset, extra["bot_id"]) for asset, extra in added[alias.name]] == [
            (meetings, "a"),
            (meetings, "b"),
        ]
        assert added[alias.name][0][1] == report["landed"][0]
        # Nothing landed, no event.
        added.clear()
        run(
            fake_hook([listed("a"), listed("b")]),
            tmp_path,
            task_context(outlet_events=events),
            outlets=[meetings],
        )
        assert added == {}
