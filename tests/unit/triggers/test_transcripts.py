"""TranscriptReadyTrigger with no server: its run() driven to one event, and its serialized form."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import AsyncMock

from meetstream_fakes import API_KEY, ZOOM_SEGMENTS, events_of

from airflow_provider_meetstream.exceptions import MeetStreamNotReadyError
from airflow_provider_meetstream.triggers.transcripts import TranscriptReadyTrigger


class TestTrigger:
    @staticmethod
    def events(**kwargs: Any) -> list[Any]:
        return events_of(
            TranscriptReadyTrigger(meetstream_conn_id="ms", bot_id="bot_1", poll_interval=0.01, **kwargs)
        )

    def test_ready_after_202_without_the_segments_in_the_event(self, client: AsyncMock) -> None:
        not_ready = MeetStreamNotReadyError("processing", status_code=202)
        client.get_transcript.side_effect = [not_ready, not_ready, ZOOM_SEGMENTS]
        (event,) = self.events(transcript_id="tr_1", timeout=10)
        assert event == {"status": "success", "transcript_id": "tr_1"}
        assert client.get_transcript.await_count == 3
        client.get_transcript.assert_awaited_with("tr_1", raw=False)
        client.get_bot_detail.assert_not_awaited()

    def test_finds_the_transcript_id_first(self, client: AsyncMock) -> None:
        client.get_bot_detail.side_effect = [{"bot_id": "bot_1"}, {"bot_id": "bot_1"}]
        client.list_transcriptions.side_effect = [[], [{"transcript_id": "tr_9", "status": "success"}]]
        client.get_transcript.return_value = ZOOM_SEGMENTS
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
