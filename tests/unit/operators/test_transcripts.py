"""CreateBotOperator, FetchTranscriptOperator, TranscriptReadyTrigger: a bot to its transcript in storage."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, Mock
from urllib.parse import quote

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import TaskDeferred
from meetstream_fakes import API_KEY, BASE, FakeTime, events_of

from airflow_provider_meetstream.exceptions import (
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotReadyError,
    MeetStreamStorageError,
    MeetStreamTimeoutError,
)
from airflow_provider_meetstream.operators import transcripts as transcripts_module
from airflow_provider_meetstream.operators.bots import IDEMPOTENCY_NAMESPACE, CreateBotOperator
from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator
from airflow_provider_meetstream.triggers.transcripts import TranscriptReadyTrigger
from airflow_provider_meetstream.utils import transcripts

LINK = "https://zoom.us/j/123456789"
CREATED = {"bot_id": "bot_1", "transcript_id": "tr_1", "meeting_url": LINK, "status": "Joining", "extra": "x"}
SEGMENTS = [
    {"speaker": "Ada", "transcript": "Shall we start?", "start_time": 0.5, "end_time": 2.0},
    {"speaker": "Grace", "transcript": "Yes, Ada.", "start_time": 2.0, "end_time": 3.5},
    {"speaker": "Ada", "transcript": "Good.", "start_time": 3.5, "end_time": 65.25},
]
TRANSCRIPT_URL = f"{BASE}/transcript/tr_1/get_transcript"

pytestmark = pytest.mark.usefixtures("default_connection")


def context(run_id: str = "manual__1", map_index: int = -1, try_number: int = 1, **extra: Any) -> Any:
    ti = Mock(dag_id="d", task_id="t", run_id=run_id, map_index=map_index, try_number=try_number)
    return {"ti": ti, **extra}


class TestCreateBot:
    def test_sends_one_key_per_task_instance_and_returns_a_small_xcom(self) -> None:
        operator = CreateBotOperator(task_id="t", meeting_link=LINK, bot_config={"bot_name": "Notes"})
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", [{"status_code": 201, "json": CREATED}])
            first = operator.execute(context(try_number=1))
            mock.post(f"{BASE}/bots/create_bot", [{"status_code": 507, "json": CREATED}])
            retry = operator.execute(context(try_number=2))
            operator.execute(context(map_index=3))
            operator.execute(context(run_id="manual__2"))
        assert (
            first
            == retry
            == {"bot_id": "bot_1", "transcript_id": "tr_1", "meeting_url": LINK, "status": "Joining"}
        )
        keys = [request.headers["Idempotency-Key"] for request in mock.request_history]
        assert keys[0] == keys[1] == str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, "d\nt\nmanual__1\n-1"))
        assert len(set(keys)) == 3
        assert mock.request_history[0].json() == {"meeting_link": LINK, "bot_name": "Notes"}
        assert API_KEY not in json.dumps(first)

    def test_a_given_key_wins(self) -> None:
        operator = CreateBotOperator(task_id="t", meeting_link=LINK, idempotency_key="shared-42")
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=201, json=CREATED)
            operator.execute(context())
        assert mock.last_request.headers["Idempotency-Key"] == "shared-42"

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"meeting_link": "zoom.us/j/1"}, "meeting_link"),
            ({"meeting_link": LINK, "bot_config": {"join_at": "2027-01-01T09:00"}}, "join_at"),
            ({"meeting_link": LINK, "bot_config": {"meeting_link": LINK}}, "bot_config"),
            ({"meeting_link": LINK, "idempotency_key": "é"}, "idempotency_key"),
        ],
    )
    def test_literal_mistakes_fail_at_parse_time(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            CreateBotOperator(task_id="t", **kwargs)
        assert caught.value.argument == argument

    def test_a_templated_link_is_checked_once_rendered(self) -> None:
        operator = CreateBotOperator(task_id="t", meeting_link="{{ params.link }}")
        operator.meeting_link = "None"
        with rm.Mocker() as mock, pytest.raises(MeetStreamInputError):
            operator.execute(context())
        assert mock.call_count == 0


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
            "bot_details": {"bot_id": "bot_1", "meeting_url": LINK, "custom_attributes": {"event_id": "e7"}}
        }
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={**detail, "transcript_id": "tr_1"})
            mock.get(
                TRANSCRIPT_URL,
                [{"status_code": 202}, {"status_code": 202}, {"json": []}, {"json": {"message": SEGMENTS}}],
            )
            result = operator.execute(context())
        assert fake_time.waits == [30, 30, 30]
        written = tmp_path / "bot_1" / "tr_1.jsonl"
        assert result == {
            "uri": f"file://{written}",
            "text_uri": None,
            "segments": 3,
            "speakers": ["Ada", "Grace"],
            "duration_seconds": 64.75,
            "bot_id": "bot_1",
            "transcript_id": "tr_1",
            "meeting_url": LINK,
            "event_id": "e7",
        }
        assert lines(written)[1] == {
            "bot_id": "bot_1",
            "transcript_id": "tr_1",
            "meeting_url": LINK,
            "event_id": "e7",
            "speaker": "Grace",
            "transcript": "Yes, Ada.",
            "start_time": 2.0,
            "end_time": 3.5,
        }
        assert [path.name for path in tmp_path.rglob("*")] == ["bot_1", "tr_1.jsonl"]
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
            mock.get(TRANSCRIPT_URL, json=SEGMENTS)
            assert operator.execute(context())["transcript_id"] == "tr_1"

    @pytest.mark.parametrize("as_json", [False, True], ids=["native", "json"])
    def test_takes_a_create_bot_xcom(self, tmp_path: Path, fake_time: FakeTime, as_json: bool) -> None:
        operator = FetchTranscriptOperator(task_id="f", bot_id="{{ x }}", base_path=f"file://{tmp_path}")
        xcom = {k: CREATED[k] for k in ("bot_id", "transcript_id", "meeting_url", "status")}
        operator.bot_id = json.dumps(xcom) if as_json else xcom
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {"bot_id": "bot_1"}})
            mock.get(TRANSCRIPT_URL, json=SEGMENTS)
            result = operator.execute(context())
        assert (result["transcript_id"], result["meeting_url"]) == ("tr_1", LINK)
        assert not any("transcriptions" in request.path for request in mock.request_history)

    def test_a_python_repr_of_the_xcom_is_refused_with_the_native_way(self, tmp_path: Path) -> None:
        operator = FetchTranscriptOperator(task_id="f", bot_id="{{ x }}", base_path=f"file://{tmp_path}")
        operator.bot_id = str({k: CREATED[k] for k in ("bot_id", "transcript_id", "meeting_url", "status")})
        with rm.Mocker() as mock, pytest.raises(MeetStreamInputError) as caught:
            operator.execute(context())
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
                operator.execute(context())
        assert fake_time.waits == [60, 60, 30]
        assert fake_time.now == 150
        assert list(tmp_path.iterdir()) == []

    def test_memory_store_rerun_leaves_one_object_per_transcript(
        self, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from importlib.metadata import version

        from airflow.providers.common.compat.sdk import ObjectStoragePath

        if version("apache-airflow").startswith("2."):
            # Airflow 2 knows only file:// and its providers' schemes (Airflow 3 serves every
            # fsspec one); memory:// stands in for a provider's.
            import airflow.io as airflow2_io
            import fsspec

            schemes = airflow2_io._register_filesystems()
            monkeypatch.setitem(schemes, "memory", lambda conn_id, options=None: fsspec.filesystem("memory"))

        base = f"memory:///runs/{uuid.uuid4().hex}"
        operator = FetchTranscriptOperator(task_id="f", bot_id="bot_1", base_path=base, write_text=True)
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/bots/bot_1/detail",
                json={"bot_details": {"bot_id": "bot_1", "transcript_id": "tr_1"}},
            )
            mock.get(TRANSCRIPT_URL, json=SEGMENTS[:1])
            operator.execute(context())
            mock.get(TRANSCRIPT_URL, json=SEGMENTS)
            result = operator.execute(context())
        folder = ObjectStoragePath(f"{base}/bot_1")
        assert sorted(path.name for path in folder.iterdir()) == ["tr_1.jsonl", "tr_1.txt"]
        assert ObjectStoragePath(result["uri"]) == folder / "tr_1.jsonl"
        assert len(ObjectStoragePath(result["uri"]).read_text().splitlines()) == 3
        assert ObjectStoragePath(result["text_uri"]).read_text() == (
            "Ada: Shall we start?\nGrace: Yes, Ada.\nAda: Good.\n"
        )

    def test_a_failed_write_leaves_no_temporary_object(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        def broken(self: Any, target: Any) -> Any:
            raise OSError("disk gone")

        monkeypatch.setattr(type(ObjectStoragePath(f"file://{tmp_path}")), "rename", broken)
        with pytest.raises(OSError, match="disk gone"):
            transcripts_module.write_atomically(ObjectStoragePath(f"file://{tmp_path}/a.jsonl"), "{}\n")
        assert list(tmp_path.iterdir()) == []

    def test_ids_become_one_path_segment(self, tmp_path: Path, fake_time: FakeTime) -> None:
        operator = FetchTranscriptOperator(
            task_id="f", bot_id="../b", transcript_id="t/1", base_path=f"file://{tmp_path}"
        )
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/..%2Fb/detail", json={"bot_details": {}})
            mock.get(f"{BASE}/transcript/t%2F1/get_transcript", json=SEGMENTS)
            result = operator.execute(context())
        assert result["uri"] == f"file://{tmp_path}/..%2Fb/t%2F1.jsonl"
        assert (tmp_path / "..%2Fb" / "t%2F1.jsonl").exists()

    def test_ids_too_long_for_a_file_name_are_cut_deterministically(self, tmp_path: Path) -> None:
        # Validation takes ids of up to 1,024 characters; a file system holds 255 bytes a name.
        bot_id, transcript_id = "b" * 1024, "é" * 1000
        operator = FetchTranscriptOperator(
            task_id="f", bot_id=bot_id, transcript_id=transcript_id, base_path=f"file://{tmp_path}"
        )
        segment = quote(transcript_id, safe="")
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/{bot_id}/detail", json={"bot_details": {}})
            mock.get(f"{BASE}/transcript/{segment}/get_transcript", json=SEGMENTS)
            first = operator.execute(context())
            again = operator.execute(context())
        assert again == first
        (written,) = tmp_path.rglob("*.jsonl")
        assert all(len(part.encode()) <= 150 for part in written.relative_to(tmp_path).parts[:-1])
        assert len(written.name.encode()) <= 150 + len(".jsonl")
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
            result = operator.execute(context())
        (line,) = lines(tmp_path / "bot_1" / "tr_1.jsonl")
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
            mock.get(TRANSCRIPT_URL, json=SEGMENTS)
            with pytest.raises(MeetStreamStorageError) as caught:
                operator.execute(context())
        assert (caught.value.bot_id, caught.value.transcript_id) == ("bot_1", "tr_1")
        assert "transcript tr_1 of bot bot_1" in str(caught.value)
        assert "No space left on device" in str(caught.value)
        assert [path.name for path in tmp_path.rglob("*") if path.is_file()] == []

    def test_a_later_run_removes_the_temporaries_a_killed_worker_left(self, tmp_path: Path) -> None:
        folder = tmp_path / "bot_1"
        folder.mkdir()
        stale = folder / f".tr_1.jsonl.{'0' * 32}.tmp"
        stale.write_text('{"half": ')
        unrelated = folder / ".tr_2.jsonl.0123.tmp"
        unrelated.write_text("another transcript's")
        operator = FetchTranscriptOperator(
            task_id="f", bot_id="bot_1", transcript_id="tr_1", base_path=f"file://{tmp_path}"
        )
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {}})
            mock.get(TRANSCRIPT_URL, json=SEGMENTS)
            operator.execute(context())
        assert sorted(path.name for path in folder.iterdir()) == [".tr_2.jsonl.0123.tmp", "tr_1.jsonl"]

    def test_only_the_objects_own_temporaries_are_removed(self, tmp_path: Path) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        # The transcript "abc.jsonl" writes ".abc.jsonl.jsonl.<hex>.tmp": not a leftover of "abc".
        in_flight = tmp_path / f".abc.jsonl.jsonl.{'1' * 32}.tmp"
        in_flight.write_text("being written")
        transcripts_module.write_atomically(ObjectStoragePath(f"file://{tmp_path}/abc.jsonl"), "{}\n")
        assert sorted(path.name for path in tmp_path.iterdir()) == [in_flight.name, "abc.jsonl"]

    def test_a_store_that_cannot_list_still_keeps_the_written_object(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        def refused(self: Any) -> Any:
            raise PermissionError("s3:ListBucket denied")

        monkeypatch.setattr(type(ObjectStoragePath(f"file://{tmp_path}")), "iterdir", refused)
        transcripts_module.write_atomically(ObjectStoragePath(f"file://{tmp_path}/a.jsonl"), "{}\n")
        assert (tmp_path / "a.jsonl").read_text() == "{}\n"

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
        events: dict[Any, Any] = {first: Mock(extra={}), second: Mock(extra={})}
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/bot_1/detail", json={"bot_details": {"bot_id": "bot_1"}})
            mock.get(TRANSCRIPT_URL, json=SEGMENTS)
            result = operator.execute(context(outlet_events=events))
        assert events[first].extra == result
        assert events[second].extra == {}

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
                operator.execute(context())
            trigger = caught.value.trigger
            assert isinstance(trigger, TranscriptReadyTrigger)
            assert (trigger.bot_id, trigger.transcript_id, trigger.timeout) == ("bot_1", "tr_1", 900.0)
            assert caught.value.timeout.total_seconds() > 900
            kwargs = caught.value.kwargs
            mock.get(TRANSCRIPT_URL, json=SEGMENTS)
            result = operator.execute_complete(
                context(), {"status": "success", "transcript_id": "tr_1"}, **kwargs
            )
        assert result["segments"] == 3
        assert (tmp_path / "bot_1" / "tr_1.jsonl").exists()

    def test_timeout_and_error_events_fail(self) -> None:
        operator = FetchTranscriptOperator(task_id="f", bot_id="bot_1", deferrable=True)
        target = {"bot_id": "bot_1", "transcript_id": "tr_1", "meeting_url": None, "event_id": None}
        with pytest.raises(MeetStreamTimeoutError, match="streaming"):
            operator.execute_complete({}, {"status": "timeout", "message": "streaming-only"}, target=target)
        with pytest.raises(MeetStreamError, match="boom"):
            operator.execute_complete({}, {"status": "error", "message": "boom"}, target=target)


class TestTrigger:
    @staticmethod
    def events(**kwargs: Any) -> list[Any]:
        return events_of(
            TranscriptReadyTrigger(meetstream_conn_id="ms", bot_id="bot_1", poll_interval=0.01, **kwargs)
        )

    def test_ready_after_202_without_the_segments_in_the_event(self, client: AsyncMock) -> None:
        not_ready = MeetStreamNotReadyError("processing", status_code=202)
        client.get_transcript.side_effect = [not_ready, not_ready, SEGMENTS]
        (event,) = self.events(transcript_id="tr_1", timeout=10)
        assert event == {"status": "success", "transcript_id": "tr_1"}
        assert client.get_transcript.await_count == 3
        client.get_transcript.assert_awaited_with("tr_1", raw=False)
        client.get_bot_detail.assert_not_awaited()

    def test_finds_the_transcript_id_first(self, client: AsyncMock) -> None:
        client.get_bot_detail.side_effect = [{"bot_id": "bot_1"}, {"bot_id": "bot_1"}]
        client.list_transcriptions.side_effect = [[], [{"transcript_id": "tr_9", "status": "success"}]]
        client.get_transcript.return_value = SEGMENTS
        (event,) = self.events(timeout=10)
        assert event == {"status": "success", "transcript_id": "tr_9"}

    def test_a_streaming_only_transcript_times_out(self, client: AsyncMock) -> None:
        client.get_transcript.side_effect = MeetStreamNotReadyError("processing", status_code=202)
        (event,) = self.events(transcript_id="tr_1", timeout=0.05)
        assert event["status"] == "timeout"
        assert "streaming-only" in event["message"]

    def test_an_exception_is_an_error_event_without_the_key(self, client: AsyncMock) -> None:
        client.get_transcript.side_effect = RuntimeError(f"echo {API_KEY}")
        (event,) = self.events(transcript_id="tr_1", timeout=10)
        assert event == {"status": "error", "message": "RuntimeError: echo ***"}

    def test_serialize_round_trip(self) -> None:
        trigger = TranscriptReadyTrigger(
            meetstream_conn_id="ms", bot_id="b", transcript_id=None, raw=True, timeout=5.0, started_at=1.0e9
        )
        classpath, kwargs = trigger.serialize()
        assert classpath == "airflow_provider_meetstream.triggers.transcripts.TranscriptReadyTrigger"
        assert json.loads(json.dumps(kwargs)) == kwargs
        assert TranscriptReadyTrigger(**kwargs).serialize() == (classpath, kwargs)


class TestRendering:
    def test_segment_record_puts_words_under_transcript(self) -> None:
        record = transcripts.segment_record(
            {"speakerName": "Ada", "text": "Hi", "timestamp": "2027-01-01T10:00:00Z"},
            {"bot_id": "b", "transcript_id": "t", "meeting_url": None, "event_id": None},
        )
        assert record == {
            "bot_id": "b",
            "transcript_id": "t",
            "speaker": "Ada",
            "transcript": "Hi",
            "speakerName": "Ada",
            "text": "Hi",
            "timestamp": "2027-01-01T10:00:00Z",
        }

    @pytest.mark.parametrize(
        ("segments", "expected"),
        [
            (SEGMENTS, 64.75),
            ([{"timestamp": "2027-01-01T10:00:00Z"}, {"timestamp": "2027-01-01T10:30:00Z"}], 1800.0),
            ([{"start": "1.5", "end": 4}], 2.5),
            ([{"speaker": "A", "transcript": "no timings"}], None),
            ([{"start_time": True, "end_time": 3}], None),
        ],
    )
    def test_duration(self, segments: list, expected: float | None) -> None:
        assert transcripts.duration_seconds(segments) == expected

    def test_plain_text_names_an_unknown_speaker(self) -> None:
        assert transcripts.plain_text([{"transcript": "hello"}]) == "Unknown: hello\n"

    @pytest.mark.parametrize("brk", ["\n", "\r\n", "\r", "\u2028", "\x0b", "\x85"])
    def test_one_segment_is_one_line_whatever_its_text_holds(self, brk: str) -> None:
        forged = [
            {"speaker": f"Eve{brk}Injected", "transcript": f"fake line{brk}Mallory: more"},
            {"speaker": "Ada", "transcript": "Real."},
        ]
        text = transcripts.plain_text(forged)
        assert text.splitlines() == ["Eve Injected: fake line Mallory: more", "Ada: Real."]
