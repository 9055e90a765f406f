"""
MeetStream's official Python SDK reading the workspace's bots and the meeting's data from the emulator.

``bots.list`` follows ``nextCursor`` as MeetStream's guides say; ``bots.participants``,
``bots.speaker_timeline``, ``bots.audio`` and ``bots.video`` raise the SDK's ``NotReadyError`` on the
emulator's 202 until the bot is ``Done``; a link is downloaded as anyone holding it would, without
the API key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import meetstream
import pytest

from meetstream_emulator.bots import BOT_SETTINGS
from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
LINK = "https://us02web.zoom.us/j/5550001"
DONE_AT = NOW + timedelta(
    minutes=BOT_SETTINGS["adhoc_meeting_minutes"], seconds=BOT_SETTINGS["transcript_delay_seconds"]
)


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    meetstream_emulator.admin.set_clock(NOW)
    meetstream_emulator.admin.load_events([])
    return meetstream_emulator


def client(server: EmulatorServer, api_key: str) -> meetstream.MeetStream:
    return meetstream.MeetStream(api_key=api_key, base_url=server.api_url, timeout=10, max_retries=0)


@pytest.fixture
def sdk(emulator: EmulatorServer) -> Iterator[meetstream.MeetStream]:
    with client(emulator, emulator.api_key) as ms:
        yield ms


def create(sdk: meetstream.MeetStream) -> str:
    bot_id: str = sdk.bots.create({"meeting_link": LINK, "bot_name": "Notes"})["bot_id"]
    return bot_id


def test_list_follows_next_cursor_through_every_page(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    made = []
    for _ in range(5):
        made.append(create(sdk))
        emulator.admin.advance_clock(1)
    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = sdk.bots.list(params=params)
        pages += 1
        seen.extend(bot["bot_id"] for bot in page["bots"])
        if not page["hasNextPage"]:
            break
        params = {"limit": 2, "cursor": page["nextCursor"]}
    assert (seen, pages, page["nextCursor"]) == (made[::-1], 3, None)
    assert sdk.bots.list()["bots"][0]["status"] == "Joining"


@pytest.mark.parametrize("call", ["participants", "speaker_timeline", "audio", "video"])
def test_meeting_data_is_not_ready_until_the_bot_is_done(
    sdk: meetstream.MeetStream, emulator: EmulatorServer, call: str
) -> None:
    bot_id = create(sdk)
    emulator.admin.set_clock(DONE_AT - timedelta(seconds=1))
    with pytest.raises(meetstream.NotReadyError) as not_ready:
        getattr(sdk.bots, call)(bot_id)
    assert not_ready.value.status == 202
    emulator.admin.set_clock(DONE_AT)
    assert getattr(sdk.bots, call)(bot_id)


def test_participants_and_speaker_timeline_match_the_transcript(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    created = sdk.bots.create({"meeting_link": LINK})
    emulator.admin.set_clock(DONE_AT)
    segments = sdk.transcripts.get(created["transcript_id"])
    timeline = sdk.bots.speaker_timeline(created["bot_id"])
    assert [(t["speaker"], t["start_time"], t["end_time"]) for t in timeline] == [
        (s["speaker"], s["start_time"], s["end_time"]) for s in segments
    ]
    people = [person["fullName"] for person in sdk.bots.participants(created["bot_id"])]
    assert people[:-1] == list(dict.fromkeys(s["speaker"] for s in segments))


def test_audio_and_video_links_download_without_the_api_key(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    bot_id = create(sdk)
    emulator.admin.set_clock(DONE_AT)
    for call, file_type, content_type in (("audio", "wav", "audio/wav"), ("video", "mp4", "video/mp4")):
        link = getattr(sdk.bots, call)(bot_id)
        assert link["file_type"] == file_type
        with httpx.Client(timeout=10) as storage:
            response = storage.get(link["download_url"])
        assert (response.status_code, response.headers["content-type"]) == (200, content_type)
        assert len(response.content) == BOT_SETTINGS["audio_bytes"]
        # The SDK's own client would send its Token header: the storage host refuses a second credential.
        refused = httpx.get(
            link["download_url"], headers={"Authorization": f"Token {emulator.api_key}"}, timeout=10
        )
        assert refused.status_code == 400


def test_a_denied_bot_has_no_data_and_another_tenants_bot_is_forbidden(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    bot_id = create(sdk)
    emulator.admin.set_bot_outcome(bot_id, status="Denied")
    emulator.admin.set_clock(DONE_AT)
    with pytest.raises(meetstream.NotFoundError) as not_found:
        sdk.bots.participants(bot_id)
    assert "Denied" in not_found.value.message
    with client(emulator, emulator.api_keys[1]) as other:
        with pytest.raises(meetstream.PermissionError) as forbidden:
            other.bots.audio(bot_id)
        assert forbidden.value.status == 403
        assert other.bots.list() == {"bots": [], "hasNextPage": False, "nextCursor": None}


def test_deleted_data_raises_not_found_with_the_retention_message(
    sdk: meetstream.MeetStream, emulator: EmulatorServer
) -> None:
    bot_id = create(sdk)
    emulator.admin.set_config(data_retention_seconds=3600)
    emulator.admin.set_clock(NOW + timedelta(days=1))
    with pytest.raises(meetstream.NotFoundError) as deleted:
        sdk.bots.video(bot_id)
    assert deleted.value.message.startswith(f"The data of bot '{bot_id}' was deleted at ")
    assert sdk.bots.status(bot_id)["status"] == "Done"


def test_the_async_client_lists_and_reads_the_meeting_data(emulator: EmulatorServer) -> None:
    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        async with meetstream.AsyncMeetStream(
            api_key=emulator.api_key, base_url=emulator.api_url, timeout=10, max_retries=0
        ) as ms:
            created = await ms.bots.create({"meeting_link": LINK})
            emulator.admin.set_clock(DONE_AT)
            listed = await ms.bots.list(params={"limit": 1})
            people = await ms.bots.participants(created["bot_id"])
            link = await ms.bots.audio(created["bot_id"])
            return listed, people, link

    listed, people, link = asyncio.run(scenario())
    assert (len(listed["bots"]), listed["hasNextPage"], listed["bots"][0]["status"]) == (1, False, "Done")
    assert len(people) >= 3
    assert httpx.get(link["download_url"], timeout=10).status_code == 200
