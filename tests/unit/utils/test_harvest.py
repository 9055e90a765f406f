"""The harvest's decisions: scope, each status's fate, the bots read from MeetStream, meeting.json."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.utils import harvest

UTC = timezone.utc
NOW = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "fate"),
    [
        ("Done", harvest.LAND),
        ("Stopped", harvest.LAND),
        ("Denied", harvest.FAIL),
        ("NotAllowed", harvest.FAIL),
        ("Error", harvest.FAIL),
        ("Cancelled", harvest.SKIP),
        ("Scheduled", harvest.WAIT),
        ("Joining", harvest.WAIT),
        ("InMeeting", harvest.WAIT),
        ("SomethingNew", harvest.WAIT),
    ],
)
def test_each_status_has_its_fate(status: str, fate: str) -> None:
    assert harvest.fate(status) == fate


class TestScope:
    def test_a_sync_owns_the_keys_it_makes(self) -> None:
        scope = harvest.scope_of("crm.sync", None, None)
        assert scope.prefix == "crm.sync|"
        assert scope.takes(harvest.Bot("b1", "Done", deduplication_key="crm.sync|uid@x"))
        # Another sync whose id starts the same owns nothing of this one.
        assert not scope.takes(harvest.Bot("b2", "Done", deduplication_key="crm.sync.eu|uid@x"))
        assert not scope.takes(harvest.Bot("b3", "Done"))

    def test_a_key_prefix_and_explicit_ids(self) -> None:
        assert harvest.scope_of(None, "team-a/", None).takes(
            harvest.Bot("b", "Done", deduplication_key="team-a/1")
        )
        scope = harvest.scope_of(None, None, ["b1", {"bot_id": "b2"}])
        assert scope.bot_ids == ("b1", "b2")
        assert scope.takes(harvest.Bot("b2", "Done"))
        assert not scope.takes(harvest.Bot("b3", "Done"))

    @pytest.mark.parametrize(
        ("sync_id", "key_prefix", "bot_ids"),
        [(None, None, None), ("", "", []), ("s", "p", None), ("s", None, ["b"]), (None, "p", ["b"])],
    )
    def test_exactly_one_scope(self, sync_id: object, key_prefix: object, bot_ids: object) -> None:
        with pytest.raises(MeetStreamInputError, match="exactly one scope") as refused:
            harvest.scope_of(sync_id, key_prefix, bot_ids)
        assert "other teams' meetings" in str(refused.value)

    def test_a_sync_id_with_the_separator_is_refused(self) -> None:
        with pytest.raises(MeetStreamInputError, match="sync_id"):
            harvest.scope_of("a|b", None, None)


class TestBotRead:
    def test_a_listed_calendar_bot(self) -> None:
        bot = harvest.Bot.read(
            {
                "bot_id": "b1",
                "status": "Done",
                "transcript_id": "t1",
                "meeting_url": "https://meet.google.com/x",
                "start_time": "2027-01-13T08:57:00+00:00",
                "end_time": "2027-01-13T09:30:00Z",
                "custom_attributes": {
                    "event_id": "evt_1",
                    "deduplication_key": "s|uid",
                    "occurrence_date": "2027-01-13T09:00:00+00:00",
                },
            }
        )
        assert (bot.event_id, bot.deduplication_key, bot.transcript_id) == ("evt_1", "s|uid", "t1")
        assert bot.end == datetime(2027, 1, 13, 9, 30, tzinfo=UTC)
        assert bot.ended_before(NOW)
        assert not bot.ended_before(bot.end)

    def test_a_status_answer_and_unreadable_times(self) -> None:
        bot = harvest.Bot.read(
            {"bot_id": "b", "status": "Denied", "reason": "No.", "meeting_end_time": "soon", "event_id": "e"}
        )
        assert (bot.status, bot.reason, bot.event_id, bot.end) == ("Denied", "No.", "e", None)
        # An unknown end is kept in the window: the harvest cannot tell.
        assert harvest.in_window(bot, NOW, timedelta(days=1))

    def test_the_window(self) -> None:
        old = harvest.Bot("b", "Done", end=NOW - timedelta(days=8))
        recent = harvest.Bot("b", "Done", end=NOW - timedelta(days=6))
        assert [harvest.in_window(bot, NOW, timedelta(days=7)) for bot in (old, recent)] == [False, True]


@pytest.mark.parametrize(
    ("config", "live_only"),
    [
        ({"recording_config": {"transcript": {"provider": {"deepgram_streaming": {}}}}}, True),
        ({"recording_config": {"transcript": {"provider": {"deepgram": {}}}}}, False),
        (
            {"recording_config": {"transcript": {"provider": {"deepgram": {}, "assemblyai_streaming": {}}}}},
            False,
        ),
        ({"recording_config": {"transcript": {"provider": {}}}}, False),
        ({}, False),
        (None, False),
        ({"recording_config": "streaming"}, False),
    ],
)
def test_streaming_only(config: object, live_only: bool) -> None:
    assert harvest.streaming_only(config) is live_only


def test_jsonl_puts_the_bot_beside_each_item() -> None:
    text = harvest.jsonl([{"fullName": "Ada"}, {"bot_id": "other"}], {"bot_id": "b1", "event_id": None})
    assert text == '{"bot_id": "b1", "fullName": "Ada"}\n{"bot_id": "b1"}\n'


def test_meeting_record_is_one_row_of_the_meetings_table() -> None:
    bot = harvest.Bot("b1", "Done", event_id="e1", deduplication_key="s|k", transcript_id="t1")
    record = harvest.meeting_record(
        bot,
        outcome="landed",
        title="Sync",
        start=NOW,
        end=NOW + timedelta(minutes=30),
        platform="zoom",
        landed_at=NOW + timedelta(hours=1),
        landed_by={"dag_id": "d", "task_id": "t", "run_id": "r", "map_index": -1, "try_number": 2},
        objects={"transcript": "transcript.jsonl"},
        transcript={"status": "landed", "segments": 3},
        speakers=["Ada"],
        duration_seconds=12.5,
        participants=2,
        reason=None,
    )
    assert record["schema_version"] == harvest.SCHEMA_VERSION == 1
    assert (record["start_time"], record["landed_at"]) == (
        NOW.isoformat(),
        (NOW + timedelta(hours=1)).isoformat(),
    )
    assert list(record)[:3] == ["schema_version", "bot_id", "event_id"]
    assert record["objects"] == {"transcript": "transcript.jsonl"}
    assert record["landed_by"]["try_number"] == 2
