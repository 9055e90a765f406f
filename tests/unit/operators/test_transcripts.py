"""FetchTranscriptOperator: a bot's transcript waited for, in a worker or deferred, and written to storage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock, Mock
from urllib.parse import quote

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import TaskDeferred
from meetstream_fakes import API_KEY, BASE, ZOOM_CREATED, ZOOM_LINK, ZOOM_SEGMENTS, FakeTime, task_context

from airflow_provider_meetstream.exceptions import (
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamStorageError,
    MeetStreamTimeoutError,
)
from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator
from airflow_provider_meetstream.triggers.transcripts import TranscriptReadyTrigger

TRANSCRIPT_URL = f"{BASE}/transcript/tr_1/get_transcript"

pytestmark = pytest.mark.usefixtures("default_connection")


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class TestFetchTranscript:
    def test_waits_through_202_then_writes_json_lines(self, tmp_path: Path, fake_time: FakeTime) -> None:
        operator = FetchTranscriptOperator(
            task_id="f",
            bot_id="bot_1",
            base_path=f"file://{tmp_path}",
            poll_interval=30,
            transcript_timeout=600,
        )
        detail = {
            "bot_details": {
                "bot_id": "bot_1",
                "meeting_url": ZOOM_LINK,
                "custom_attributes": {"event_id": "e7"},
            }
        }
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={**detail, "transcript_id": "tr_1"})
            mock.get(
                TRANSCRIPT_URL,
                [
                    {"status_code": 202},
                    {"status_code": 202},
                    {"json": []},
                    {"json": {"message": ZOOM_SEGMENTS}},
                ],
            )
            result = operator.execute(task_context())
        assert fake_time.waits == [30, 30, 30]
        written = tmp_path / "bot_1" / "transcript.jsonl"
        assert result == {
            "uri": f"file://{written}",
            "text_uri": None,
            "segments": 3,
            "speakers": ["Ada", "Grace"],
            "duration_seconds": 64.75,
            "bot_id": "bot_1",
            "transcript_id": "tr_1",
            "meeting_url": ZOOM_LINK,
            "event_id": "e7",
        }
        assert lines(written)[1] == {
            "bot_id": "bot_1",
            "transcript_id": "tr_1",
            "meeting_url": ZOOM_LINK,
            "event_id": "e7",
            "speaker": "Grace",
            "transcript": "Yes, Ada.",
            "start_time": 2.0,
            "end_time": 3.5,
        }
        assert [path.name for path in tmp_path.rglob("*")] == ["bot_1", "transcript.jsonl"]
        assert API_KEY not in json.dumps(result)

    def test_finds_the_transcript_through_transcriptions(self, tmp_path: Path, fake_time: FakeTime) -> None:
        operator = FetchTranscriptOperator(task_id="f", bot_id="bot_1", base_path=f"file://{tmp_path}")
        listed = [
            {"transcript_id": "tr_0", "status": "processing"},
            {"transcript_id": "tr_1", "status": "Completed"},
        ]
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {"bot_id": "bot_1"}})
            mock.get(f"{BASE}/bots/bot_1/transcriptions", json={"transcriptions": listed})
            mock.get(TRANSCRIPT_URL, json=ZOOM_SEGMENTS)
            assert operator.execute(task_context())["transcript_id"] == "tr_1"

    @pytest.mark.parametrize("as_json", [False, True], ids=["native", "json"])
    def test_takes_a_create_bot_xcom(self, tmp_path: Path, fake_time: FakeTime, as_json: bool) -> None:
        operator = FetchTranscriptOperator(task_id="f", bot_id="{{ x }}", base_path=f"file://{tmp_path}")
        xcom = {k: ZOOM_CREATED[k] for k in ("bot_id", "transcript_id", "meeting_url", "status")}
        operator.bot_id = json.dumps(xcom) if as_json else xcom
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {"bot_id": "bot_1"}})
            mock.get(TRANSCRIPT_URL, json=ZOOM_SEGMENTS)
            result = operator.execute(task_context())
        assert (result["transcript_id"], result["meeting_url"]) == ("tr_1", ZOOM_LINK)
        assert not any("transcriptions" in request.path for request in mock.request_history)

    def test_a_python_repr_of_the_xcom_is_refused_with_the_native_way(self, tmp_path: Path) -> None:
        operator = FetchTranscriptOperator(task_id="f", bot_id="{{ x }}", base_path=f"file://{tmp_path}")
        operator.bot_id = str(
            {k: ZOOM_CREATED[k] for k in ("bot_id", "transcript_id", "meeting_url", "status")}
        )
        with rm.Mocker() as mock, pytest.raises(MeetStreamInputError) as caught:
            operator.execute(task_context())
        assert not mock.called
        assert caught.value.argument == "bot_id"
        assert "create_bot.output" in str(caught.value)

    def test_a_streaming_only_transcript_ends_in_a_bounded_timeout(
        self, tmp_path: Path, fake_time: FakeTime
    ) -> None:
        operator = FetchTranscriptOperator(
            task_id="f",
            bot_id="bot_1",
            base_path=f"file://{tmp_path}",
            poll_interval=60,
            transcript_timeout=150,
        )
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/bots/bot_1/detail",
                json={"bot_details": {"bot_id": "bot_1", "transcript_id": "tr_1"}},
            )
            mock.get(TRANSCRIPT_URL, status_code=202)
            with pytest.raises(MeetStreamTimeoutError, match="not ready after 150 s"):
                operator.execute(task_context())
        assert fake_time.waits == [60, 60, 30]
        assert fake_time.now == 150
        assert list(tmp_path.iterdir()) == []

    def test_memory_store_rerun_leaves_one_object_per_transcript(
        self, fake_time: FakeTime, memory_storage: str
    ) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        base = memory_storage
        operator = FetchTranscriptOperator(task_id="f", bot_id="bot_1", base_path=base, write_text=True)
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/bots/bot_1/detail",
                json={"bot_details": {"bot_id": "bot_1", "transcript_id": "tr_1"}},
            )
            mock.get(TRANSCRIPT_URL, json=ZOOM_SEGMENTS[:1])
            operator.execute(task_context())
            mock.get(TRANSCRIPT_URL, json=ZOOM_SEGMENTS)
            result = operator.execute(task_context())
        folder = ObjectStoragePath(f"{base}/bot_1")
        assert sorted(path.name for path in folder.iterdir()) == ["transcript.jsonl", "transcript.txt"]
        assert ObjectStoragePath(result["uri"]) == folder / "transcript.jsonl"
        assert ObjectStoragePath(result["text_uri"]) == folder / "transcript.txt"
        assert len(ObjectStoragePath(result["uri"]).read_text().splitlines()) == 3
        assert ObjectStoragePath(result["text_uri"]).read_text() == (
            "Ada: Shall we start?\nGrace: Yes, Ada.\nAda: Good.\n"
        )

    def test_ids_become_one_path_segment(self, tmp_path: Path, fake_time: FakeTime) -> None:
        operator = FetchTranscriptOperator(
            task_id="f", bot_id="../b", transcript_id="t/1", base_path=f"file://{tmp_path}"
        )
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/..%2Fb/detail", json={"bot_details": {}})
            mock.get(f"{BASE}/transcript/t%2F1/get_transcript", json=ZOOM_SEGMENTS)
            result = operator.execute(task_context())
        assert result["uri"] == f"file://{tmp_path}/..%2Fb/transcript.jsonl"
        assert [path.name for path in tmp_path.rglob("*")] == ["..%2Fb", "transcript.jsonl"]

    def test_ids_too_long_for_a_file_name_are_cut_deterministically(self, tmp_path: Path) -> None:
        # Validation takes ids of up to 1,024 characters; a file system holds 255 bytes a name.
        bot_id, transcript_id = "b" * 1024, "é" * 1000
        operator = FetchTranscriptOperator(
            task_id="f", bot_id=bot_id, transcript_id=transcript_id, base_path=f"file://{tmp_path}"
        )
        segment = quote(transcript_id, safe="")
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/{bot_id}/detail", json={"bot_details": {}})
            mock.get(f"{BASE}/transcript/{segment}/get_transcript", json=ZOOM_SEGMENTS)
            first = operator.execute(task_context())
            again = operator.execute(task_context())
        assert again == first
        (written,) = tmp_path.rglob("*.jsonl")
        folder, name = written.relative_to(tmp_path).parts
        assert len(folder.encode()) <= 150
        assert name == "transcript.jsonl"
        assert {(line["bot_id"], line["transcript_id"]) for line in lines(written)} == {
            (bot_id, transcript_id)
        }

    def test_a_lone_surrogate_in_a_segment_is_written_and_reads_back(self, tmp_path: Path) -> None:
        broken = [
            {"speaker": "Ada\udc80", "transcript": "half a pair: \ud83d", "start_time": 0, "end_time": 1}
        ]
        operator = FetchTranscriptOperator(
            task_id="f", bot_id="bot_1", transcript_id="tr_1", base_path=f"file://{tmp_path}", write_text=True
        )
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {}})
            mock.get(TRANSCRIPT_URL, text=json.dumps(broken))
            result = operator.execute(task_context())
        (line,) = lines(tmp_path / "bot_1" / "transcript.jsonl")
        assert (line["speaker"], line["transcript"]) == ("Ada\udc80", "half a pair: \ud83d")
        assert (
            Path(result["text_uri"].removeprefix("file://")).read_text() == "Ada\ufffd: half a pair: \ufffd\n"
        )

    def test_a_write_failure_is_a_typed_error_naming_the_bot_and_the_transcript(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        def broken(self: Any, target: Any) -> Any:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(type(ObjectStoragePath(f"file://{tmp_path}")), "rename", broken)
        operator = FetchTranscriptOperator(
            task_id="f", bot_id="bot_1", transcript_id="tr_1", base_path=f"file://{tmp_path}"
        )
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {}})
            mock.get(TRANSCRIPT_URL, json=ZOOM_SEGMENTS)
            with pytest.raises(MeetStreamStorageError) as caught:
                operator.execute(task_context())
        assert (caught.value.bot_id, caught.value.transcript_id) == ("bot_1", "tr_1")
        assert "transcript tr_1 of bot bot_1" in str(caught.value)
        assert "No space left on device" in str(caught.value)
        assert [path.name for path in tmp_path.rglob("*") if path.is_file()] == []

    def test_a_later_run_removes_the_temporaries_a_killed_worker_left(self, tmp_path: Path) -> None:
        folder = tmp_path / "bot_1"
        folder.mkdir()
        stale = folder / f".transcript.jsonl.{'0' * 32}.tmp"
        stale.write_text('{"half": ')
        # A harvest landing the same bot's participants beside it, at the same moment.
        unrelated = folder / f".participants.jsonl.{'1' * 32}.tmp"
        unrelated.write_text("another object's")
        operator = FetchTranscriptOperator(
            task_id="f", bot_id="bot_1", transcript_id="tr_1", base_path=f"file://{tmp_path}"
        )
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {}})
            mock.get(TRANSCRIPT_URL, json=ZOOM_SEGMENTS)
            operator.execute(task_context())
        assert sorted(path.name for path in folder.iterdir()) == [unrelated.name, "transcript.jsonl"]

    def test_first_asset_outlet_gets_the_metadata(self, tmp_path: Path, fake_time: FakeTime) -> None:
        from airflow.providers.common.compat.sdk import Asset

        first, second = Asset("meetstream://transcripts"), Asset("meetstream://other")
        operator = FetchTranscriptOperator(
            task_id="f",
            bot_id="bot_1",
            transcript_id="tr_1",
            base_path=f"file://{tmp_path}",
            outlets=[first, second],
        )
        # By URI: Airflow 3.0's assets are not hashable, and Airflow 2's datasets have no name.
        events = {first.uri: Mock(extra={}), second.uri: Mock(extra={})}
        accessors = MagicMock()
        accessors.__getitem__.side_effect = lambda asset: events[asset.uri]
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {"bot_id": "bot_1"}})
            mock.get(TRANSCRIPT_URL, json=ZOOM_SEGMENTS)
            result = operator.execute(task_context(outlet_events=accessors))
        assert events[first.uri].extra == result
        assert events[second.uri].extra == {}

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"bot_id": ""}, "bot_id"),
            ({"bot_id": {"transcript_id": "t"}}, "bot_id"),
            # A line break is a character of an opaque id like any other; a NUL is not.
            ({"bot_id": "b", "transcript_id": "a\x00b"}, "transcript_id"),
            ({"bot_id": "b", "transcript_timeout": 0}, "transcript_timeout"),
            ({"bot_id": "b", "poll_interval": "60"}, "poll_interval"),
            ({"bot_id": "b", "write_text": "yes"}, "write_text"),
        ],
    )
    def test_literal_mistakes_fail_at_parse_time(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            FetchTranscriptOperator(task_id="f", **kwargs)
        assert caught.value.argument == argument


class TestDeferral:
    def test_defers_then_writes_on_resume(self, tmp_path: Path) -> None:
        operator = FetchTranscriptOperator(
            task_id="f",
            bot_id="bot_1",
            base_path=f"file://{tmp_path}",
            deferrable=True,
            transcript_timeout=900,
        )
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/bots/bot_1/detail",
                json={"bot_details": {"bot_id": "bot_1", "transcript_id": "tr_1"}},
            )
            mock.get(TRANSCRIPT_URL, status_code=202)
            with pytest.raises(TaskDeferred) as caught:
                operator.execute(task_context())
            trigger = caught.value.trigger
            assert isinstance(trigger, TranscriptReadyTrigger)
            assert (trigger.bot_id, trigger.transcript_id, trigger.timeout) == ("bot_1", "tr_1", 900.0)
            assert caught.value.timeout.total_seconds() > 900
            kwargs = caught.value.kwargs
            mock.get(TRANSCRIPT_URL, json=ZOOM_SEGMENTS)
            result = operator.execute_complete(
                task_context(), {"status": "success", "transcript_id": "tr_1"}, **kwargs
            )
        assert result["segments"] == 3
        assert (tmp_path / "bot_1" / "transcript.jsonl").exists()

    def test_timeout_and_error_events_fail(self) -> None:
        operator = FetchTranscriptOperator(task_id="f", bot_id="bot_1", deferrable=True)
        target = {"bot_id": "bot_1", "transcript_id": "tr_1", "meeting_url": None, "event_id": None}
        with pytest.raises(MeetStreamTimeoutError, match="streaming"):
            operator.execute_complete({}, {"status": "timeout", "message": "streaming-only"}, target=target)
        with pytest.raises(MeetStreamError, match="boom"):
            operator.execute_complete({}, {"status": "error", "message": "boom"}, target=target)
