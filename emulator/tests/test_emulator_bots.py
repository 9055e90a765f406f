"""The emulator's bots outside calendars, the bot lifecycle and transcripts, over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from meetstream_emulator.admin import EmulatorAdminError
from meetstream_emulator.bots import BOT_SETTINGS
from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=timezone.utc)
LINK = "https://us02web.zoom.us/j/5550001"
CALENDAR = [
    {
        "id": "evt_zoom",
        "start_time": "2027-01-04T13:00:00Z",
        "end_time": "2027-01-04T13:45:00Z",
        "meeting_url": "https://us02web.zoom.us/j/123",
    },
    {
        "id": "evt_meet",
        "start_time": "2027-01-04T13:00:00Z",
        "end_time": "2027-01-04T13:45:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    },
]


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    meetstream_emulator.admin.set_clock(NOW)
    meetstream_emulator.admin.load_events(CALENDAR)
    return meetstream_emulator


def client(server: EmulatorServer, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.api_url, headers={"Authorization": f"Token {key}"}, timeout=10)


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with client(emulator, emulator.api_keys[0]) as http:
        yield http


@pytest.fixture
def other(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with client(emulator, emulator.api_keys[1]) as http:
        yield http


def create(http: httpx.Client, key: str | None = None, **body: Any) -> httpx.Response:
    body.setdefault("meeting_link", LINK)
    headers = {"Idempotency-Key": key} if key else {}
    return http.post("/bots/create_bot", json=body, headers=headers)


def created(http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = create(http, **body)
    assert response.status_code == 201, response.text
    payload: dict[str, Any] = response.json()
    return payload


def status_of(http: httpx.Client, bot_id: str) -> str:
    response = http.get(f"/bots/{quote(bot_id, safe='')}/status")
    assert response.status_code == 200, response.text
    value: str = response.json()["status"]
    return value


def transcript(http: httpx.Client, transcript_id: str, **params: str) -> httpx.Response:
    return http.get(f"/transcript/{quote(transcript_id, safe='')}/get_transcript", params=params)


def transcription_status(http: httpx.Client, bot_id: str) -> str:
    answer = http.get(f"/bots/{bot_id}/transcriptions").json()
    (item,) = answer["transcriptions"]
    value: str = item["status"]
    return value


# -- POST /bots/create_bot -----------------------------------------------------------------------


def test_create_bot_answers_201_and_joins_at_once(api: httpx.Client) -> None:
    response = create(api, bot_name="Notes", custom_attributes={"team": "data"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"bot_id", "transcript_id", "meeting_url", "status", "join_at", "message"}
    assert (body["meeting_url"], body["status"], body["join_at"]) == (LINK, "Joining", NOW.isoformat())
    assert body["bot_id"] != body["transcript_id"]
    assert response.headers["x-request-id"].startswith("req_")


def test_an_adhoc_bot_walks_its_lifecycle_on_the_clock(api: httpx.Client, emulator: EmulatorServer) -> None:
    bot = created(api)
    seen = [status_of(api, bot["bot_id"])]
    delay = BOT_SETTINGS["transcript_delay_seconds"]
    for seconds in (59, 1, 30 * 60 - 61, 1, delay - 1, 1):
        emulator.admin.advance_clock(seconds)
        seen.append(status_of(api, bot["bot_id"]))
    # Joining for a minute, in the meeting until the 30-minute default ends it, then Stopped (it
    # left normally) while its recording and transcript are processed, then Done.
    assert seen == ["Joining", "Joining", "InMeeting", "InMeeting", "Stopped", "Stopped", "Done"]
    status = api.get(f"/bots/{bot['bot_id']}/status").json()
    assert status["meeting_end_time"] == (NOW + timedelta(minutes=30)).isoformat()
    assert (status["event_id"], status["platform"]) == (None, "zoom")


def test_join_at_in_the_future_schedules_the_bot(api: httpx.Client, emulator: EmulatorServer) -> None:
    bot = created(api, join_at="2027-01-04T14:00:00+01:00")  # 13:00Z
    assert bot["status"] == "Scheduled"
    # It is listed with the calendar's scheduled bots until it joins.
    assert [item["bot_id"] for item in api.get("/calendar/scheduled").json()["scheduled_bots"]] == [
        bot["bot_id"]
    ]
    emulator.admin.set_clock("2027-01-04T13:00:00Z")
    assert status_of(api, bot["bot_id"]) == "Joining"
    emulator.admin.set_clock("2027-01-04T13:30:00Z")
    assert status_of(api, bot["bot_id"]) == "Stopped"
    # A join_at already past means at once.
    assert created(api, join_at="2027-01-04T12:00:00Z")["status"] == "Joining"


def test_the_adhoc_meeting_length_and_joining_time_are_settings(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    emulator.admin.set_config(adhoc_meeting_minutes=5, joining_seconds=0)
    bot = created(api)
    assert bot["status"] == "InMeeting"
    emulator.admin.advance_clock(5 * 60)
    assert status_of(api, bot["bot_id"]) == "Stopped"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"meeting_link": None}, "meeting_link"),
        ({"meeting_link": ""}, "meeting_link"),
        ({"meeting_link": "ftp://zoom.us/j/1"}, "meeting_link"),
        ({"meeting_link": "zoom.us/j/1"}, "meeting_link"),
        ({"bot_name": 5}, "bot_name"),
        ({"bot_message": None}, "bot_message"),
        ({"join_at": "2027-01-04T13:00:00"}, "join_at"),
        ({"custom_attributes": ["a"]}, "custom_attributes"),
        ({"recording_config": "deepgram"}, "recording_config"),
        ({"automatic_leave": 10}, "automatic_leave"),
    ],
)
def test_create_bot_validation(api: httpx.Client, body: dict[str, Any], named: str) -> None:
    response = api.post("/bots/create_bot", json={"meeting_link": LINK, **body})
    assert response.status_code == 400
    assert named in response.json()["message"]
    missing = api.post("/bots/create_bot", json={"bot_name": "x"})
    assert (missing.status_code, "meeting_link" in missing.json()["message"]) == (400, True)


def test_an_idempotency_key_replay_answers_507_with_the_original_bot(
    api: httpx.Client, other: httpx.Client, emulator: EmulatorServer
) -> None:
    first = create(api, key="key-1")
    emulator.admin.advance_clock(120)
    replay = create(api, key="key-1", bot_name="changed")
    assert (first.status_code, replay.status_code) == (201, 507)
    original, again = first.json(), replay.json()
    assert (again["bot_id"], again["transcript_id"]) == (original["bot_id"], original["transcript_id"])
    assert again["status"] == "InMeeting"  # the original bot, as it is now
    # Another key, or the same key from another tenant, is another bot.
    assert created(api, key="key-2")["bot_id"] != original["bot_id"]
    assert (
        other.post(
            "/bots/create_bot", json={"meeting_link": LINK}, headers={"Idempotency-Key": "key-1"}
        ).status_code
        == 201
    )
    assert len([bot for bot in emulator.admin.state()["bots"] if bot["source"] == "create_bot_api"]) == 3
    bad = create(api, key="x" * 256)
    assert (bad.status_code, "Idempotency-Key" in bad.json()["message"]) == (400, True)


# -- detail, transcriptions, transcripts ----------------------------------------------------------


def test_detail_of_an_adhoc_bot(api: httpx.Client) -> None:
    bot = created(api, bot_name="Notes", custom_attributes={"team": "data"})
    details = api.get(f"/bots/{bot['bot_id']}/detail").json()["bot_details"]
    assert {name: details[name] for name in ("bot_id", "transcript_id", "status", "meeting_url")} == {
        "bot_id": bot["bot_id"],
        "transcript_id": bot["transcript_id"],
        "status": "Joining",
        "meeting_url": LINK,
    }
    assert details["custom_attributes"] == {"team": "data"}
    assert (details["bot_name"], details["source"]) == ("Notes", "create_bot_api")


def test_detail_of_a_calendar_bot_names_its_event(api: httpx.Client) -> None:
    response = api.post("/calendar/schedule/evt_zoom", json={"deduplication_key": "k", "bot_config": {}})
    bot_id = response.json()["bot_id"]
    details = api.get(f"/bots/{bot_id}/detail").json()["bot_details"]
    assert details["custom_attributes"]["event_id"] == "evt_zoom"
    assert details["status"] == "Scheduled"
    assert details["transcript_id"]


def test_a_transcript_is_ready_a_fixed_delay_after_done(api: httpx.Client, emulator: EmulatorServer) -> None:
    bot = created(api)
    emulator.admin.advance_clock(30 * 60)
    assert status_of(api, bot["bot_id"]) == "Stopped"
    waiting = transcript(api, bot["transcript_id"], raw="false")
    assert waiting.status_code == 202
    assert waiting.json()["message"] == "Transcript is still processing."
    assert transcription_status(api, bot["bot_id"]) == "processing"
    emulator.admin.advance_clock(BOT_SETTINGS["transcript_delay_seconds"] - 1)
    assert (status_of(api, bot["bot_id"]), transcript(api, bot["transcript_id"]).status_code) == (
        "Stopped",
        202,
    )
    emulator.admin.advance_clock(1)
    assert status_of(api, bot["bot_id"]) == "Done"
    ready = transcript(api, bot["transcript_id"], raw="false")
    assert ready.status_code == 200
    segments = ready.json()
    assert isinstance(segments, list)
    assert 4 <= len(segments) <= 8
    assert 2 <= len({segment["speaker"] for segment in segments}) <= 4
    for segment in segments:
        assert set(segment) == {"speaker", "transcript", "start_time", "end_time", "words"}
        assert [word["word"] for word in segment["words"]] == segment["transcript"].split()
        assert 0 <= segment["start_time"] < segment["end_time"] <= 30 * 60
    assert transcription_status(api, bot["bot_id"]) == "completed"
    # The same bot's transcript is the same at every call, and raw=true answers the same segments.
    assert transcript(api, bot["transcript_id"], raw="true").json() == segments


def test_transcripts_differ_between_bots(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.admin.set_config(transcript_delay_seconds=0)
    bots = [created(api), created(api, meeting_link="https://meet.google.com/abc-defg-hij")]
    emulator.admin.advance_clock(31 * 60)
    first, second = (transcript(api, bot["transcript_id"]).json() for bot in bots)
    assert first != second


def test_the_transcript_shape_is_a_setting(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.admin.set_config(transcript_shape="message", transcript_delay_seconds=10)
    bot = created(api)
    emulator.admin.advance_clock(30 * 60 + 10)
    answer = transcript(api, bot["transcript_id"]).json()
    assert set(answer) == {"message"}
    assert answer["message"][0]["transcript"] == "Good morning, everyone."


def test_a_calendar_bot_transcript_follows_its_meeting(api: httpx.Client, emulator: EmulatorServer) -> None:
    response = api.post("/calendar/schedule/evt_zoom", json={"deduplication_key": "k", "bot_config": {}})
    bot_id = response.json()["bot_id"]
    transcript_id = api.get(f"/bots/{bot_id}/detail").json()["bot_details"]["transcript_id"]
    assert transcript(api, transcript_id).status_code == 202
    emulator.admin.set_clock("2027-01-04T13:46:59Z")
    assert (status_of(api, bot_id), transcript(api, transcript_id).status_code) == ("Stopped", 202)
    emulator.admin.set_clock("2027-01-04T13:47:00Z")
    segments = transcript(api, transcript_id).json()
    # Timed over the 48 minutes the bot was in (it joins 3 minutes before the start).
    assert max(segment["end_time"] for segment in segments) <= 48 * 60


def test_transcript_errors(api: httpx.Client, other: httpx.Client) -> None:
    bot = created(api)
    assert transcript(api, "tr_unknown").status_code == 404
    assert transcript(other, bot["transcript_id"]).status_code == 403
    assert other.get(f"/bots/{bot['bot_id']}/detail").status_code == 403
    assert other.get(f"/bots/{bot['bot_id']}/transcriptions").status_code == 403
    assert api.get("/bots/unknown/detail").status_code == 404
    bad = transcript(api, bot["transcript_id"], raw="maybe")
    assert (bad.status_code, bad.json()) == (400, {"message": "raw must be true or false."})


# -- GET /bots/{id}/remove_bot -------------------------------------------------------------------


def test_remove_bot_ends_it_now_and_its_transcript_follows(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    bot = created(api)
    emulator.admin.advance_clock(600)
    removed = api.get(f"/bots/{bot['bot_id']}/remove_bot")
    assert removed.status_code == 200
    assert removed.json() == {
        "message": "Bot removed from the meeting.",
        "bot_id": bot["bot_id"],
        "status": "Stopped",
    }
    status = api.get(f"/bots/{bot['bot_id']}/status").json()
    assert (status["status"], status["meeting_end_time"]) == (
        "Stopped",
        (NOW + timedelta(minutes=10)).isoformat(),
    )
    emulator.admin.advance_clock(BOT_SETTINGS["transcript_delay_seconds"])
    segments = transcript(api, bot["transcript_id"]).json()
    assert max(segment["end_time"] for segment in segments) <= 9 * 60  # after the minute of joining
    again = api.get(f"/bots/{bot['bot_id']}/remove_bot")
    assert (again.status_code, "status Done" in again.json()["message"]) == (400, True)


def test_remove_bot_before_it_joins_is_refused(api: httpx.Client) -> None:
    bot = created(api, join_at="2027-01-04T13:00:00Z")
    response = api.get(f"/bots/{bot['bot_id']}/remove_bot")
    assert (response.status_code, "status Scheduled" in response.json()["message"]) == (400, True)
    assert api.get("/bots/unknown/remove_bot").status_code == 404
    assert api.delete(f"/bots/{bot['bot_id']}/remove_bot").status_code == 405


# -- outcomes -------------------------------------------------------------------------------------


def test_stopped_is_not_an_outcome_a_normal_end_is_the_meetings(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    bot = created(api)
    with pytest.raises(EmulatorAdminError, match="NotAllowed"):
        emulator.admin.set_bot_outcome(bot["bot_id"], status="Stopped")


@pytest.mark.parametrize("status", ["Denied", "Error", "NotAllowed"])
def test_an_outcome_ends_a_bot_from_its_join_time(
    api: httpx.Client, emulator: EmulatorServer, status: str
) -> None:
    bot = created(api, join_at="2027-01-04T13:00:00Z")
    answer = emulator.admin.set_bot_outcome(bot["bot_id"], status=status, reason="The host said no.")
    assert answer == {
        "bot_id": bot["bot_id"],
        "status": "Scheduled",
        "reason": "The host said no.",
        "transcript": "ready",
        "transcript_status": "processing",
    }
    emulator.admin.set_clock("2027-01-04T13:00:00Z")
    status_answer = api.get(f"/bots/{bot['bot_id']}/status").json()
    assert (status_answer["status"], status_answer["reason"]) == (status, "The host said no.")
    emulator.admin.set_clock("2027-01-04T15:00:00Z")
    assert status_of(api, bot["bot_id"]) == status
    assert transcription_status(api, bot["bot_id"]) == "failed"
    refused = transcript(api, bot["transcript_id"])
    assert refused.status_code == 404
    assert f"the bot ended {status}: The host said no." in refused.json()["message"]


def test_an_outcome_on_a_bot_in_its_meeting_applies_at_once(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    bot = created(api)
    emulator.admin.set_bot_outcome(bot["bot_id"], status="Error")
    answer = api.get(f"/bots/{bot['bot_id']}/status").json()
    assert answer["status"] == "Error"
    assert "reason" not in answer
    with pytest.raises(EmulatorAdminError) as ended:
        emulator.admin.set_bot_outcome(bot["bot_id"], status="Denied")
    assert (ended.value.status_code, "already ended" in ended.value.message) == (400, True)


def test_a_transcript_that_never_comes(api: httpx.Client, emulator: EmulatorServer) -> None:
    bot = created(api)
    emulator.admin.set_bot_outcome(bot["bot_id"], transcript="never")
    emulator.admin.advance_clock(timedelta(days=7))
    assert status_of(api, bot["bot_id"]) == "Done"
    assert transcript(api, bot["transcript_id"]).status_code == 202
    assert transcription_status(api, bot["bot_id"]) == "processing"
    emulator.admin.set_bot_outcome(bot["bot_id"], transcript="ready")
    assert transcript(api, bot["transcript_id"]).status_code == 200


def test_default_outcomes_apply_to_new_bots(api: httpx.Client, emulator: EmulatorServer) -> None:
    before = created(api)
    config = emulator.admin.set_config(
        default_outcome={"status": "Denied", "reason": "Waiting room closed."}, default_transcript="never"
    )
    assert config["default_outcome"] == {"status": "Denied", "reason": "Waiting room closed."}
    denied = created(api)
    calendar = api.post("/calendar/schedule/evt_zoom", json={"deduplication_key": "k", "bot_config": {}})
    emulator.admin.set_config(default_outcome=None, default_transcript="ready")
    after = created(api)
    emulator.admin.set_clock("2027-01-04T12:20:00Z")
    assert [status_of(api, bot_id) for bot_id in (before["bot_id"], denied["bot_id"], after["bot_id"])] == [
        "InMeeting",
        "Denied",
        "InMeeting",
    ]
    assert status_of(api, calendar.json()["bot_id"]) == "Scheduled"
    emulator.admin.set_clock("2027-01-04T12:57:00Z")
    assert status_of(api, calendar.json()["bot_id"]) == "Denied"
    emulator.admin.set_clock("2027-01-05T13:00:00Z")
    assert transcript(api, before["transcript_id"]).status_code == 200
    assert transcript(api, after["transcript_id"]).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"bot_id": "b", "status": "Done"},
        {"bot_id": "b", "status": "Denied", "reason": 5},
        {"bot_id": "b", "transcript": "later"},
        {"bot_id": "b"},
        {"bot_id": "b", "reason": "why"},
        {"bot_id": "b", "colour": "red"},
        {"status": "Denied"},
    ],
)
def test_outcome_control_validation(emulator: EmulatorServer, body: dict[str, Any]) -> None:
    response = httpx.post(f"{emulator.base_url}/_emulator/bots/outcome", json=body, timeout=10)
    assert response.status_code == 400
    assert set(response.json()) == {"message"}


def test_outcome_of_an_unknown_bot_and_bad_settings(emulator: EmulatorServer) -> None:
    with pytest.raises(EmulatorAdminError) as unknown:
        emulator.admin.set_bot_outcome("nobody", status="Denied")
    assert unknown.value.status_code == 404
    for settings in (
        {"transcript_shape": "xml"},
        {"transcript_delay_seconds": -1},
        {"adhoc_meeting_minutes": 0},
        {"default_outcome": {"status": "Done"}},
        {"default_transcript": "sometimes"},
    ):
        with pytest.raises(EmulatorAdminError) as bad:
            emulator.admin.set_config(**settings)
        assert bad.value.status_code == 400, settings
    assert {name: emulator.admin.config()[name] for name in BOT_SETTINGS} == BOT_SETTINGS


def test_reset_restores_bot_settings_and_forgets_keys(api: httpx.Client, emulator: EmulatorServer) -> None:
    created(api, key="once")
    emulator.admin.set_config(transcript_shape="message")
    emulator.admin.reset()
    assert {name: emulator.admin.config()[name] for name in BOT_SETTINGS} == BOT_SETTINGS
    assert emulator.admin.state()["bots"] == []
    assert create(api, key="once").status_code == 201


def test_calendar_bots_keep_their_statuses_and_can_be_made_to_join_slowly(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    first = api.post("/calendar/schedule/evt_zoom", json={"deduplication_key": "a", "bot_config": {}}).json()
    emulator.admin.set_config(calendar_joining_seconds=120)
    second = api.post("/calendar/schedule/evt_meet", json={"deduplication_key": "b", "bot_config": {}}).json()
    emulator.admin.set_clock("2027-01-04T12:57:00Z")  # the join time
    # By default a calendar bot is in its meeting from its join time, as before; with the setting
    # it is Joining first.
    assert [status_of(api, first["bot_id"]), status_of(api, second["bot_id"])] == ["InMeeting", "Joining"]
    emulator.admin.set_clock("2027-01-04T12:59:00Z")
    assert status_of(api, second["bot_id"]) == "InMeeting"
    emulator.admin.set_clock("2027-01-04T13:45:00Z")
    assert status_of(api, second["bot_id"]) == "Stopped"
