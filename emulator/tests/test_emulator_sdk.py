"""
MeetStream's official Python SDK (``meetstream-sdk`` 1.0) against the emulator, over real sockets.

The cheapest proof that the emulator speaks MeetStream's API as MeetStream's own client sees it
(paths quoted by the SDK, its headers, 202 as "not ready", 507 as a replay, errors mapped by status),
not only as our provider does. ``bots.list``, meeting data and media: test_emulator_sdk_meeting_data.py.
Not served, so not tested: chats, summaries, separate streams, screenshots, data deletion, interaction,
re-transcription, calendar connections, auto-schedule, ``mia``, ``google_logins``, ``zoom``, ``storage``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import meetstream
import pytest

from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
LINK = "https://us02web.zoom.us/j/5550001"
# The SDK quotes path parameters with safe="": this id must arrive as one segment.
ODD_ID = "team/sync 1"
CALENDAR = [
    {
        "id": "evt_zoom",
        "start_time": "2027-03-01T10:00:00Z",
        "end_time": "2027-03-01T10:30:00Z",
        "meeting_url": "https://us02web.zoom.us/j/111",
    },
    {
        "id": "evt_meet",
        "start_time": "2027-03-01T11:00:00Z",
        "end_time": "2027-03-01T11:30:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    },
    {
        "id": ODD_ID,
        "start_time": "2027-03-01T12:00:00Z",
        "end_time": "2027-03-01T12:45:00Z",
        "meeting_url": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x",
    },
]


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    meetstream_emulator.admin.set_clock(NOW)
    meetstream_emulator.admin.load_events(CALENDAR)
    return meetstream_emulator


def client(server: EmulatorServer, api_key: str, **options: Any) -> meetstream.MeetStream:
    # No retries unless a test asks: an unexpected 5xx fails at once instead of sleeping.
    options.setdefault("max_retries", 0)
    return meetstream.MeetStream(api_key=api_key, base_url=server.api_url, timeout=10, **options)


@pytest.fixture
def sdk(emulator: EmulatorServer) -> Iterator[meetstream.MeetStream]:
    with client(emulator, emulator.api_key) as ms:
        yield ms


def schedule(sdk: meetstream.MeetStream, event_id: str, key: str, **bot_config: Any) -> dict[str, Any]:
    answer: dict[str, Any] = sdk.calendar.schedule_event(
        event_id, {"deduplication_key": key, "bot_config": bot_config}
    )
    return answer


def create(sdk: meetstream.MeetStream, idempotency_key: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = sdk.bots.create(
        {"meeting_link": LINK, "bot_name": "Notes"}, idempotency_key=idempotency_key
    )
    return answer


def status_of(sdk: meetstream.MeetStream, bot_id: str) -> str:
    value: str = sdk.bots.status(bot_id)["status"]
    return value


def scheduled_bots(sdk: meetstream.MeetStream) -> list[dict[str, Any]]:
    bots: list[dict[str, Any]] = sdk.calendar.list_scheduled_bots()["scheduled_bots"]
    return bots


def last_request(server: EmulatorServer) -> dict[str, Any]:
    return server.admin.requests()[-1]


# -- calendar ------------------------------------------------------------------------------------


def test_events_pages_with_limit_and_the_next_cursor_reaches_the_last_page(
    sdk: meetstream.MeetStream,
) -> None:
    window = {"time_min": "2027-03-01T00:00:00+00:00", "time_max": "2027-03-02T00:00:00+00:00"}
    first = sdk.calendar.events(params={**window, "limit": 2})
    assert [event["id"] for event in first["results"]] == ["evt_zoom", "evt_meet"]
    assert first["has_more"] is True
    assert isinstance(first["next"], str)
    assert [event["meeting_platform"] for event in first["results"]] == ["zoom", "google_meet"]
    assert {"id", "start_time", "end_time", "calendar_id", "meeting_url", "bots", "raw"} <= set(
        first["results"][0]
    )

    second = sdk.calendar.events(params={"limit": 2, "cursor": first["next"]})
    assert [event["id"] for event in second["results"]] == [ODD_ID]
    assert (second["has_more"], second["next"]) == (False, None)


def test_schedule_event_quotes_an_id_with_a_slash_and_a_space_as_one_segment(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    scheduled = schedule(sdk, ODD_ID, "sync-key", bot_name="Notes")
    assert last_request(emulator)["path"] == "/api/v1/calendar/schedule/team%2Fsync%201"
    assert scheduled["scheduled"] is True
    assert scheduled["updated_existing"] is False
    assert (scheduled["event_id"], scheduled["schedule_group"]) == (ODD_ID, "microsoft_teams")
    # Three minutes before the 12:00 start.
    assert datetime.fromisoformat(scheduled["scheduled_time"]) == datetime(
        2027, 3, 1, 11, 57, tzinfo=timezone.utc
    )
    assert scheduled["bot_config"]["bot_name"] == "Notes"

    # The seed's default: a repeat with the same key updates the schedule in place.
    again = schedule(sdk, ODD_ID, "sync-key", bot_name="Notes")
    assert again["updated_existing"] is True
    assert (again["bot_id"], again["schedule_id"]) == (scheduled["bot_id"], scheduled["schedule_id"])
    (event,) = [e for e in sdk.calendar.events()["results"] if e["id"] == ODD_ID]
    assert [(bot["bot_id"], bot["deduplication_key"]) for bot in event["bots"]] == [
        (scheduled["bot_id"], "sync-key")
    ]


def test_list_scheduled_bots_shows_the_bot_with_its_event_and_key(sdk: meetstream.MeetStream) -> None:
    scheduled = schedule(sdk, "evt_zoom", "zoom-key")
    (bot,) = scheduled_bots(sdk)
    assert (bot["bot_id"], bot["status"], bot["platform"], bot["is_scheduled"]) == (
        scheduled["bot_id"],
        "Scheduled",
        "zoom",
        True,
    )
    assert datetime.fromisoformat(bot["scheduled_join_time"]) == datetime(
        2027, 3, 1, 9, 57, tzinfo=timezone.utc
    )
    assert (bot["custom_attributes"]["event_id"], bot["custom_attributes"]["deduplication_key"]) == (
        "evt_zoom",
        "zoom-key",
    )


def test_reschedule_bot_moves_its_join_time(sdk: meetstream.MeetStream) -> None:
    bot_id = schedule(sdk, "evt_zoom", "zoom-key")["bot_id"]
    new_time = datetime(2027, 3, 1, 9, 50, tzinfo=timezone.utc)
    answer = sdk.calendar.reschedule_bot(bot_id, new_time.isoformat())
    assert (answer["bot_id"], answer["updated_fields"], answer["schedule_updated"]) == (
        bot_id,
        ["scheduled_join_time"],
        True,
    )
    (listed,) = scheduled_bots(sdk)
    assert datetime.fromisoformat(listed["scheduled_join_time"]) == new_time
    assert datetime.fromisoformat(sdk.bots.status(bot_id)["scheduled_join_time"]) == new_time


def test_delete_scheduled_bot_cancels_it_and_drops_it_from_the_list(sdk: meetstream.MeetStream) -> None:
    bot_id = schedule(sdk, "evt_zoom", "zoom-key")["bot_id"]
    assert sdk.calendar.delete_scheduled_bot(bot_id)["bot_id"] == bot_id
    assert scheduled_bots(sdk) == []
    assert status_of(sdk, bot_id) == "Cancelled"


def test_unschedule_event_without_a_body_cancels_its_schedules(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    scheduled = schedule(sdk, ODD_ID, "sync-key")
    answer = sdk.calendar.unschedule_event(ODD_ID)
    request = last_request(emulator)
    assert (request["method"], request["path"], request["body"]) == (
        "DELETE",
        "/api/v1/calendar/schedule/team%2Fsync%201",
        None,
    )
    assert (answer["unscheduled"], answer["event_id"], answer["bots_deleted"]) == (True, ODD_ID, 1)
    assert answer["cancelled_schedules"] == [scheduled["schedule_id"]]
    assert status_of(sdk, scheduled["bot_id"]) == "Cancelled"
    # Nothing left to unschedule.
    with pytest.raises(meetstream.NotFoundError):
        sdk.calendar.unschedule_event(ODD_ID)


# -- bots ----------------------------------------------------------------------------------------


def test_create_bot_replayed_with_its_idempotency_key_answers_507_with_the_original_bot(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    first = create(sdk, idempotency_key="idem-1")
    replay = create(sdk, idempotency_key="idem-1")
    assert (replay["bot_id"], replay["transcript_id"]) == (first["bot_id"], first["transcript_id"])
    sent = emulator.admin.requests()[-2:]
    assert [(entry["status"], entry["headers"].get("idempotency-key")) for entry in sent] == [
        (201, "idem-1"),
        (507, "idem-1"),
    ]
    assert [bot["bot_id"] for bot in emulator.admin.state()["bots"]] == [first["bot_id"]]


def test_status_and_detail_describe_the_created_bot(sdk: meetstream.MeetStream) -> None:
    created = create(sdk)
    status = sdk.bots.status(created["bot_id"])
    assert (status["bot_id"], status["status"], status["meeting_url"]) == (created["bot_id"], "Joining", LINK)
    details = sdk.bots.detail(created["bot_id"])["bot_details"]
    assert (details["bot_id"], details["transcript_id"], details["bot_name"]) == (
        created["bot_id"],
        created["transcript_id"],
        "Notes",
    )


def test_remove_bot_makes_the_bot_leave_and_keeps_its_transcript(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    created = create(sdk)
    emulator.admin.advance_clock(60)
    assert status_of(sdk, created["bot_id"]) == "InMeeting"
    answer = sdk.bots.remove(created["bot_id"])
    assert (answer["bot_id"], answer["status"]) == (created["bot_id"], "Stopped")
    assert status_of(sdk, created["bot_id"]) == "Stopped"
    assert [
        item["transcript_id"] for item in sdk.transcripts.list_for_bot(created["bot_id"])["transcriptions"]
    ] == [created["transcript_id"]]


# -- transcripts ---------------------------------------------------------------------------------


def test_transcript_raises_not_ready_until_the_meeting_end_plus_processing(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    created = create(sdk)
    bot_id, transcript_id = created["bot_id"], created["transcript_id"]
    assert sdk.transcripts.list_for_bot(bot_id)["transcriptions"] == [
        {"transcript_id": transcript_id, "status": "processing", "bot_id": bot_id}
    ]
    with pytest.raises(meetstream.NotReadyError) as not_ready:
        sdk.transcripts.get(transcript_id)
    assert not_ready.value.status == 202
    assert last_request(emulator)["query"] == "raw=false"

    meeting_end = datetime.fromisoformat(sdk.bots.status(bot_id)["meeting_end_time"])
    ready_at = meeting_end + timedelta(seconds=emulator.admin.config()["transcript_delay_seconds"])
    emulator.admin.set_clock(ready_at - timedelta(seconds=1))
    with pytest.raises(meetstream.NotReadyError):
        sdk.transcripts.get(transcript_id)

    emulator.admin.set_clock(ready_at)
    segments = sdk.transcripts.get(transcript_id)
    assert isinstance(segments, list)
    assert segments
    assert all(isinstance(s["transcript"], str) and s["transcript"] and s["speaker"] for s in segments)
    assert sdk.transcripts.list_for_bot(bot_id)["transcriptions"][0]["status"] == "completed"


def test_bounded_wait_for_a_transcript_that_never_comes_raises_not_ready(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    created = create(sdk)
    emulator.admin.set_bot_outcome(created["bot_id"], transcript="never")
    emulator.admin.advance_clock(timedelta(days=1))
    emulator.admin.clear_requests()
    with pytest.raises(meetstream.NotReadyError) as not_ready:
        sdk.transcripts.wait_for(created["transcript_id"], timeout=0.2, interval=0.05)
    # The SDK's own message once its bound is spent, not the single 202 of one poll.
    assert "streaming-only" in not_ready.value.message
    polls = emulator.admin.requests()
    assert polls
    assert {(entry["path"], entry["status"]) for entry in polls} == {
        (f"/api/v1/transcript/{created['transcript_id']}/get_transcript", 202)
    }


# -- errors --------------------------------------------------------------------------------------


def test_an_unknown_bot_raises_not_found_carrying_the_request_id(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    with pytest.raises(meetstream.NotFoundError) as error:
        sdk.bots.status("bot_missing")
    assert error.value.status == 404
    assert "bot_missing" in error.value.message
    assert error.value.request_id == last_request(emulator)["request_id"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda ms: ms.calendar.schedule_event("evt_zoom", {"bot_config": {}}), "deduplication_key"),
        (lambda ms: ms.bots.create({"bot_name": "Notes"}), "meeting_link"),
        (lambda ms: ms.calendar.events(params={"limit": 0}), "limit"),
    ],
    ids=["schedule-without-key", "create-without-link", "events-limit-zero"],
)
def test_a_bad_request_raises_bad_request_naming_the_field(
    sdk: meetstream.MeetStream, call: Callable[[meetstream.MeetStream], object], field: str
) -> None:
    with pytest.raises(meetstream.BadRequestError) as error:
        call(sdk)
    assert error.value.status == 400
    assert field in error.value.message


def test_a_wrong_key_raises_permission_error_with_status_403(emulator: EmulatorServer) -> None:
    with client(emulator, "not-a-key") as ms, pytest.raises(meetstream.PermissionError) as error:
        ms.calendar.list_scheduled_bots()
    assert error.value.status == 403


def test_another_tenants_bot_raises_permission_error(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    bot_id = create(sdk)["bot_id"]
    with client(emulator, emulator.api_keys[1]) as other, pytest.raises(meetstream.PermissionError) as error:
        other.bots.status(bot_id)
    assert error.value.status == 403


def test_a_bearer_header_raises_authentication_error_with_status_401(emulator: EmulatorServer) -> None:
    # default_headers override the SDK's own "Token" header: the MCP server's scheme, not the API's.
    bearer = {"Authorization": f"Bearer {emulator.api_key}"}
    with (
        client(emulator, emulator.api_key, default_headers=bearer) as ms,
        pytest.raises(meetstream.AuthenticationError) as error,
    ):
        ms.calendar.list_scheduled_bots()
    assert error.value.status == 401


def test_in_409_mode_a_second_schedule_raises_conflict_naming_the_existing_bot(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    emulator.admin.set_config(conflict_mode="409")
    first = schedule(sdk, "evt_meet", "meet-key")
    with pytest.raises(meetstream.ConflictError) as conflict:
        schedule(sdk, "evt_meet", "meet-key")
    assert conflict.value.status == 409
    assert isinstance(conflict.value.body, dict)
    assert conflict.value.body["bot_id"] == first["bot_id"]
    assert [bot["bot_id"] for bot in scheduled_bots(sdk)] == [first["bot_id"]]


def test_an_injected_429_with_retry_after_is_retried_once_and_succeeds(emulator: EmulatorServer) -> None:
    emulator.admin.set_faults(sequence=[429], retry_after=0)
    with client(emulator, emulator.api_key) as ms, pytest.raises(meetstream.RateLimitError) as limited:
        ms.calendar.list_scheduled_bots()
    # The SDK read the emulator's Retry-After header.
    assert (limited.value.status, limited.value.retry_after) == (429, 0.0)

    emulator.admin.set_faults(sequence=[429], retry_after=0)
    emulator.admin.clear_requests()
    with client(emulator, emulator.api_key, max_retries=1) as ms:
        assert ms.calendar.list_scheduled_bots() == {"scheduled_bots": []}
    assert [entry["status"] for entry in emulator.admin.requests()] == [429, 200]


# -- async ---------------------------------------------------------------------------------------


def test_the_async_client_schedules_reads_status_and_replays_a_create(emulator: EmulatorServer) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with meetstream.AsyncMeetStream(
            api_key=emulator.api_key, base_url=emulator.api_url, timeout=10, max_retries=0
        ) as ms:
            scheduled = await ms.calendar.schedule_event(
                ODD_ID, {"deduplication_key": "async-key", "bot_config": {}}
            )
            status = await ms.bots.status(scheduled["bot_id"])
            body = {"meeting_link": LINK}
            created = await ms.bots.create(body, idempotency_key="idem-async")
            replayed = await ms.bots.create(body, idempotency_key="idem-async")
            return [scheduled, status, created, replayed]

    scheduled, status, created, replayed = asyncio.run(scenario())
    assert scheduled["event_id"] == ODD_ID
    assert (status["bot_id"], status["status"], status["event_id"]) == (
        scheduled["bot_id"],
        "Scheduled",
        ODD_ID,
    )
    assert replayed["bot_id"] == created["bot_id"]
    assert [entry["status"] for entry in emulator.admin.requests()] == [200, 200, 201, 507]
