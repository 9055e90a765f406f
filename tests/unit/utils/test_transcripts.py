"""A transcript's segments as records, plain text and a duration, whatever fields MeetStream names."""

from __future__ import annotations

import pytest
from meetstream_fakes import ZOOM_SEGMENTS

from airflow_provider_meetstream.utils import transcripts


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
            (ZOOM_SEGMENTS, 64.75),
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
