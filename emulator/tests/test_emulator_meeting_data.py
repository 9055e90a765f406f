"""The workspace's bots, the meeting's data, its presigned media links and retention, over real sockets."""

from __future__ import annotations

import io
import wave
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from meetstream_emulator.bots import BOT_SETTINGS
from meetstream_emulator.meeting import CHUNK_BYTES, recording_chunks
from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 5, 3, 9, 0, tzinfo=timezone.utc)
LINK = "https://us02web.zoom.us/j/5550001"
MEETING = timedelta(minutes=BOT_SETTINGS["adhoc_meeting_minutes"])
PROCESSING = timedelta(seconds=BOT_SETTINGS["transcript_delay_seconds"])
# An ad-hoc bot made at NOW is Done from here: its meeting, then its processing.
DONE_AT = NOW + MEETING + PROCESSING
CALENDAR = [
    {
        "id": "evt_sync",
        "start_time": "2027-05-03T10:00:00Z",
        "end_time": "2027-05-03T10:30:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    }
]
DATA = ("get_participants", "get_speaker_timeline", "get_audio", "get_video")


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    meetstream_emulator.admin.set_clock(NOW)
    meetstream_emulator.admin.load_events(CALENDAR)
    return meetstream_emulator


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def create(http: httpx.Client, **body: Any) -> str:
    response = http.post("/bots/create_bot", json={"meeting_link": LINK, **body})
    assert response.status_code == 201, response.text
    bot_id: str = response.json()["bot_id"]
    return bot_id


def created_one_second_apart(http: httpx.Client, emulator: EmulatorServer, count: int) -> list[str]:
    bots = []
    for _ in range(count):
        bots.append(create(http))
        emulator.admin.advance_clock(1)
    return bots


def listed(http: httpx.Client, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = ok(http.get("/bots", params=params))
    return page


def ids(page: dict[str, Any]) -> list[str]:
    return [bot["bot_id"] for bot in page["bots"]]


def data(http: httpx.Client, bot_id: str, endpoint: str) -> httpx.Response:
    return http.get(f"/bots/{bot_id}/{endpoint}")


def done_bot(http: httpx.Client, emulator: EmulatorServer) -> str:
    bot_id = create(http)
    emulator.admin.set_clock(DONE_AT)
    return bot_id


# -- GET /bots -------------------------------------------------------------------------------------


def test_bots_are_listed_newest_first_with_their_record(api: httpx.Client, emulator: EmulatorServer) -> None:
    adhoc = create(api, bot_name="Notes", custom_attributes={"team": "data"})
    emulator.admin.advance_clock(30)
    scheduled = ok(
        api.post(
            "/calendar/schedule/evt_sync",
            json={"deduplication_key": "sync-key", "bot_config": {"custom_attributes": {"team": "ops"}}},
        )
    )
    page = listed(api)
    assert (ids(page), page["hasNextPage"], page["nextCursor"]) == ([scheduled["bot_id"], adhoc], False, None)
    calendar_bot, adhoc_bot = page["bots"]
    assert calendar_bot["custom_attributes"] == {
        "team": "ops",
        "source": "calendar_schedule_api",
        "event_id": "evt_sync",
        "deduplication_key": "sync-key",
    }
    assert (calendar_bot["created_at"], calendar_bot["start_time"], calendar_bot["end_time"]) == (
        "2027-05-03T09:00:30+00:00",
        "2027-05-03T09:57:00+00:00",
        "2027-05-03T10:30:00+00:00",
    )
    assert adhoc_bot == {
        "bot_id": adhoc,
        "status": "Joining",
        "meeting_url": LINK,
        "created_at": NOW.isoformat(),
        "start_time": NOW.isoformat(),
        "end_time": (NOW + MEETING).isoformat(),
        "bot_name": "Notes",
        "transcript_id": ok(api.get(f"/bots/{adhoc}/detail"))["bot_details"]["transcript_id"],
        "custom_attributes": {"team": "data"},
    }


def test_a_failed_bot_is_listed_with_its_reason_and_a_cancelled_one_too(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    denied = create(api)
    emulator.admin.set_bot_outcome(denied, status="Denied", reason="Host refused.")
    emulator.admin.advance_clock(1)
    cancelled = ok(api.post("/calendar/schedule/evt_sync", json={"deduplication_key": "k", "bot_config": {}}))
    ok(api.delete(f"/calendar/scheduled/{cancelled['bot_id']}"))
    by_id = {bot["bot_id"]: bot for bot in listed(api)["bots"]}
    assert (by_id[denied]["status"], by_id[denied]["reason"]) == ("Denied", "Host refused.")
    assert by_id[cancelled["bot_id"]]["status"] == "Cancelled"
    assert "reason" not in by_id[cancelled["bot_id"]]


def test_the_cursor_pages_through_and_a_newer_bot_does_not_shift_the_pages(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    newest_first = created_one_second_apart(api, emulator, 7)[::-1]
    first = listed(api, limit=3)
    assert (ids(first), first["hasNextPage"]) == (newest_first[:3], True)
    # A bot made between pages is newer than every listed one: it goes before the first page.
    newcomer = create(api)
    second = listed(api, limit=3, cursor=first["nextCursor"])
    third = listed(api, limit=3, cursor=second["nextCursor"])
    assert (ids(second), second["hasNextPage"]) == (newest_first[3:6], True)
    assert (ids(third), third["hasNextPage"], third["nextCursor"]) == (newest_first[6:], False, None)
    assert ids(listed(api, limit=2)) == [newcomer, newest_first[0]]
    assert ids(listed(api)) == [newcomer, *newest_first]


def test_bots_made_at_the_same_instant_come_by_id_descending(api: httpx.Client) -> None:
    bots = [create(api) for _ in range(3)]
    first = listed(api, limit=2)
    rest = listed(api, limit=2, cursor=first["nextCursor"])
    assert ids(first) + ids(rest) == sorted(bots, reverse=True)


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"limit": "-1"}, {"cursor": "not-a-cursor"}],
)
def test_a_bad_limit_or_cursor_is_400(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("/bots", params=params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["message"]


def test_a_tampered_cursor_or_the_events_listings_is_400(api: httpx.Client, emulator: EmulatorServer) -> None:
    created_one_second_apart(api, emulator, 3)
    issued = listed(api, limit=1)["nextCursor"]
    emulator.admin.load_events([*CALENDAR, {**CALENDAR[0], "id": "evt_more"}])
    events = ok(api.get("/calendar/events", params={"limit": 1, "time_min": "2027-05-01T00:00:00Z"}))
    for cursor in (issued[:-2], issued + "x", events["next"]):
        response = api.get("/bots", params={"cursor": cursor})
        assert response.json() == {"message": "cursor is not a cursor this server issued."}, cursor
    assert len(listed(api, cursor=issued)["bots"]) == 2


def test_each_tenant_lists_only_its_own_bots(
    api: httpx.Client, other: httpx.Client, emulator: EmulatorServer
) -> None:
    mine = create(api)
    theirs = create(other)
    assert (ids(listed(api)), ids(listed(other))) == ([mine], [theirs])


# -- participants, speaker timeline, audio and video -----------------------------------------------


@pytest.mark.parametrize("endpoint", DATA)
def test_the_data_is_202_until_the_bot_is_done(
    api: httpx.Client, emulator: EmulatorServer, endpoint: str
) -> None:
    bot_id = create(api)
    seen = []
    for when in (NOW, NOW + MEETING - timedelta(seconds=1), NOW + MEETING, DONE_AT - timedelta(seconds=1)):
        emulator.admin.set_clock(when)
        response = data(api, bot_id, endpoint)
        seen.append((response.status_code, "processing" in response.json()["message"]))
    assert seen == [(202, True)] * 4
    emulator.admin.set_clock(DONE_AT)
    assert ok(data(api, bot_id, endpoint))


@pytest.mark.parametrize("endpoint", DATA)
def test_a_bot_that_never_met_has_no_data(api: httpx.Client, emulator: EmulatorServer, endpoint: str) -> None:
    denied = create(api)
    emulator.admin.set_bot_outcome(denied, status="Denied", reason="Host refused.")
    scheduled = ok(api.post("/calendar/schedule/evt_sync", json={"deduplication_key": "k", "bot_config": {}}))
    ok(api.delete(f"/calendar/scheduled/{scheduled['bot_id']}"))
    emulator.admin.advance_clock(timedelta(days=1))
    for bot_id, status in ((denied, "Denied: Host refused."), (scheduled["bot_id"], "Cancelled")):
        response = data(api, bot_id, endpoint)
        assert response.status_code == 404
        assert response.json()["message"] == f"Bot {bot_id!r} never met: its status is {status}."


@pytest.mark.parametrize("endpoint", DATA)
def test_another_tenants_bot_is_403_and_an_unknown_one_404(
    api: httpx.Client, other: httpx.Client, emulator: EmulatorServer, endpoint: str
) -> None:
    bot_id = done_bot(api, emulator)
    assert data(other, bot_id, endpoint).status_code == 403
    assert data(api, "bot_missing", endpoint).status_code == 404


def test_participants_and_timeline_agree_with_the_transcript(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    bot_id = done_bot(api, emulator)
    transcript_id = ok(api.get(f"/bots/{bot_id}/detail"))["bot_details"]["transcript_id"]
    segments = ok(api.get(f"/transcript/{transcript_id}/get_transcript"))
    timeline = ok(data(api, bot_id, "get_speaker_timeline"))
    assert timeline == [
        {"speaker": s["speaker"], "start_time": s["start_time"], "end_time": s["end_time"]} for s in segments
    ]
    people = ok(data(api, bot_id, "get_participants"))
    speakers = list(dict.fromkeys(s["speaker"] for s in segments))
    names = [person["fullName"] for person in people]
    assert names[:-1] == speakers
    assert names[-1] not in speakers
    # Within the bot's time in the meeting: from its join plus its minute Joining, to the meeting's end.
    arrived, end = NOW + timedelta(seconds=BOT_SETTINGS["joining_seconds"]), NOW + MEETING
    for person in people:
        assert set(person) == {
            "deviceId",
            "fullName",
            "profilePicture",
            "status",
            "streamIds",
            "join_time",
            "leave_time",
        }
        joined, left = (datetime.fromisoformat(person[name]) for name in ("join_time", "leave_time"))
        assert arrived <= joined < left <= end
    assert len({person["deviceId"] for person in people}) == len(people)
    assert datetime.fromisoformat(people[-1]["leave_time"]) < end
    # The same at every call.
    assert ok(data(api, bot_id, "get_participants")) == people


# -- presigned links -------------------------------------------------------------------------------


def test_the_audio_link_streams_the_recording_without_the_api(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    emulator.admin.set_config(audio_bytes=200_000)
    bot_id = done_bot(api, emulator)
    link = ok(data(api, bot_id, "get_audio"))
    assert (link["file_type"], link["expires_in"]) == ("wav", 3600)
    assert link["download_url"].startswith(f"{emulator.base_url}/_media/")
    # Not the API: no key needed, no fault applies, nothing logged.
    emulator.admin.set_faults(probability=1.0)
    emulator.admin.clear_requests()
    chunks = []
    with httpx.stream("GET", link["download_url"], timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/wav"
        assert response.headers["content-length"] == "200000"
        chunks = list(response.iter_raw())
    body = b"".join(chunks)
    assert (len(body), len(chunks) > 1) == (200_000, True)
    with wave.open(io.BytesIO(body)) as audio:
        assert (audio.getnchannels(), audio.getframerate(), audio.getnframes()) == (1, 8000, 200_000 - 44)
    assert emulator.admin.requests() == []


def test_the_video_link_lasts_ten_minutes_on_the_emulator_clock(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    bot_id = done_bot(api, emulator)
    link = ok(data(api, bot_id, "get_video"))
    assert (link["file_type"], link["expires_in"]) == ("mp4", 600)
    emulator.admin.advance_clock(600)
    response = httpx.get(link["download_url"], timeout=10)
    assert (response.status_code, response.headers["content-type"]) == (200, "video/mp4")
    assert len(response.content) == BOT_SETTINGS["audio_bytes"]
    assert response.content[4:8] == b"ftyp"
    emulator.admin.advance_clock(1)
    expired = httpx.get(link["download_url"], timeout=10)
    assert (expired.status_code, expired.json()) == (403, {"message": "Request has expired."})


def test_a_link_with_an_authorization_header_or_a_bad_token_is_refused(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    bot_id = done_bot(api, emulator)
    url = ok(data(api, bot_id, "get_audio"))["download_url"]
    with_key = httpx.get(url, headers={"Authorization": f"Token {emulator.api_key}"}, timeout=10)
    assert with_key.status_code == 400
    assert with_key.json()["message"].startswith("Only one auth mechanism allowed")
    token = url.rsplit("/", 1)[1]
    for forged in (token[:-2], "x" + token, "not-a-token"):
        assert httpx.get(f"{emulator.base_url}/_media/{forged}", timeout=10).status_code == 403, forged


def test_the_recording_is_streamed_in_chunks_never_whole() -> None:
    pieces = list(recording_chunks("audio", 3 * CHUNK_BYTES + 5))
    assert [len(piece) for piece in pieces] == [CHUNK_BYTES] * 3 + [5]
    assert b"".join(pieces) == b"".join(recording_chunks("audio", 3 * CHUNK_BYTES + 5, chunk_bytes=1000))


# -- retention -------------------------------------------------------------------------------------


def test_the_data_is_deleted_after_retention_and_the_setting_applies_to_existing_bots(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    bot_id = done_bot(api, emulator)
    transcript_id = ok(api.get(f"/bots/{bot_id}/detail"))["bot_details"]["transcript_id"]
    end = NOW + MEETING
    emulator.admin.set_clock(end + timedelta(days=6))
    url = ok(data(api, bot_id, "get_audio"))["download_url"]
    emulator.admin.set_config(data_retention_seconds=3 * 86400)
    message = (
        f"The data of bot '{bot_id}' was deleted at {(end + timedelta(days=3)).isoformat()}, "
        "259200 s after its meeting."
    )
    gone = [*(data(api, bot_id, e) for e in DATA), api.get(f"/transcript/{transcript_id}/get_transcript")]
    gone.append(httpx.get(url, timeout=10))
    assert [(r.status_code, r.json()["message"]) for r in gone] == [(404, message)] * 6
    assert ok(api.get(f"/bots/{bot_id}/transcriptions"))["transcriptions"][0]["status"] == "deleted"
    # The bot itself stays, Done, and listed.
    assert ok(api.get(f"/bots/{bot_id}/status"))["status"] == "Done"
    assert ids(listed(api)) == [bot_id]
    # In time the day before the deletion, as the setting says now.
    emulator.admin.set_clock(end + timedelta(days=2))
    assert all(data(api, bot_id, e).status_code == 200 for e in DATA)
    assert ok(api.get(f"/bots/{bot_id}/transcriptions"))["transcriptions"][0]["status"] == "completed"


def test_the_default_retention_is_seven_days(api: httpx.Client, emulator: EmulatorServer) -> None:
    bot_id = done_bot(api, emulator)
    transcript_id = ok(api.get(f"/bots/{bot_id}/detail"))["bot_details"]["transcript_id"]
    emulator.admin.set_clock(NOW + MEETING + timedelta(days=6))
    assert api.get(f"/transcript/{transcript_id}/get_transcript").status_code == 200
    emulator.admin.set_clock(NOW + MEETING + timedelta(days=8))
    assert api.get(f"/transcript/{transcript_id}/get_transcript").status_code == 404
    assert data(api, bot_id, "get_participants").status_code == 404


# -- settings --------------------------------------------------------------------------------------


def test_the_settings_are_checked_and_restored_at_reset(emulator: EmulatorServer) -> None:
    defaults = {"data_retention_seconds": 604800, "audio_link_seconds": 3600, "video_link_seconds": 600}
    assert {name: emulator.admin.config()[name] for name in defaults} == defaults
    for bad in (
        {"data_retention_seconds": -1},
        {"audio_link_seconds": 0},
        {"video_link_seconds": 1.5},
        {"audio_bytes": 43},
    ):
        response = httpx.post(f"{emulator.base_url}/_emulator/config", json=bad, timeout=10)
        assert (response.status_code, next(iter(bad)) in response.json()["message"]) == (400, True), bad
    emulator.admin.set_config(data_retention_seconds=60, audio_link_seconds=5, audio_bytes=44)
    emulator.admin.reset()
    assert {name: emulator.admin.config()[name] for name in BOT_SETTINGS} == BOT_SETTINGS
