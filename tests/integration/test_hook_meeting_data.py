"""Issue 20 against the emulator: the workspace's bots page by page, a meeting's data, its recordings."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamAuthError,
    MeetStreamNotFoundError,
    MeetStreamNotReadyError,
)
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.hooks.wire import MediaLink

LINK = "https://us02web.zoom.us/j/5550001"


@pytest.fixture
def hook(meetstream_frozen_now) -> MeetStreamHook:
    return MeetStreamHook()


@pytest.fixture
def admin(meetstream_frozen_now) -> Any:
    return meetstream_frozen_now.emulator.admin


def created_one_second_apart(hook: MeetStreamHook, admin: Any, count: int) -> list[str]:
    """Bots made a second apart on the emulator clock, newest first."""
    bots = []
    for _ in range(count):
        bots.append(hook.create_bot(LINK)["bot_id"])
        admin.advance_clock(1)
    return bots[::-1]


def done(hook: MeetStreamHook, admin: Any) -> str:
    """A bot whose meeting is over and whose data is processed, by the emulator's own settings."""
    bot_id: str = hook.create_bot(LINK)["bot_id"]
    finish(admin)
    return bot_id


def finish(admin: Any) -> None:
    """Move the emulator clock past an ad-hoc bot's meeting and its processing, by its own settings."""
    config = admin.config()
    admin.advance_clock(
        timedelta(minutes=config["adhoc_meeting_minutes"], seconds=config["transcript_delay_seconds"])
    )


def cursors_asked(admin: Any) -> list[str | None]:
    """The cursor of each ``GET /bots`` the emulator answered, in order."""
    listed = [r for r in admin.requests() if r["method"] == "GET" and r["path"] == "/api/v1/bots"]
    return [parse_qs(r["query"]).get("cursor", [None])[0] for r in listed]


def secret_of(link: MediaLink) -> str:
    """The part of a link no error, log line or repr may show: its path (the signed token) and query."""
    parts = urlsplit(link.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- the workspace's bots ---------------------------------------------------------------------------


def test_list_bots_pages_by_cursor_and_iter_bots_follows_it(hook: MeetStreamHook, admin: Any) -> None:
    newest_first = created_one_second_apart(hook, admin, 5)
    first = hook.list_bots(page_size=2)
    second = hook.list_bots(page_size=2, cursor=first["nextCursor"])
    assert [bot["bot_id"] for bot in first["bots"] + second["bots"]] == newest_first[:4]
    assert (first["hasNextPage"], second["hasNextPage"]) == (True, True)
    assert {bot["status"] for bot in first["bots"]} == {"Joining"}
    admin.clear_requests()
    assert [bot["bot_id"] for bot in hook.iter_bots(page_size=2)] == newest_first
    assert len(cursors_asked(admin)) == 3
    assert cursors_asked(admin)[0] is None


def test_iter_bots_asks_for_no_page_past_where_the_caller_stops(hook: MeetStreamHook, admin: Any) -> None:
    newest_first = created_one_second_apart(hook, admin, 5)
    admin.clear_requests()
    taken = []
    for bot in hook.iter_bots(page_size=2):
        taken.append(bot["bot_id"])
        if len(taken) == 3:
            break
    assert taken == newest_first[:3]
    assert len(cursors_asked(admin)) == 2


def test_the_async_client_iterates_the_bots_too(hook: MeetStreamHook, admin: Any) -> None:
    newest_first = created_one_second_apart(hook, admin, 3)

    async def listing() -> list[str]:
        async with MeetStreamAsyncClient() as client:
            return [bot["bot_id"] async for bot in client.iter_bots(page_size=2)]

    assert asyncio.run(listing()) == newest_first


# -- the meeting's data -----------------------------------------------------------------------------


def test_participants_and_timeline_once_the_meeting_is_processed(hook: MeetStreamHook, admin: Any) -> None:
    bot_id = hook.create_bot(LINK)["bot_id"]
    for read in (hook.get_participants, hook.get_speaker_timeline, hook.get_audio_url, hook.get_video_url):
        with pytest.raises(MeetStreamNotReadyError) as waiting:
            read(bot_id)
        assert waiting.value.status_code == 202
    finish(admin)
    people = hook.get_participants(bot_id)
    timeline = hook.get_speaker_timeline(bot_id)
    assert people
    assert all(person["fullName"] and person["join_time"] and person["leave_time"] for person in people)
    speakers = {entry["speaker"] for entry in timeline}
    # The people are the transcript's speakers and one who never spoke.
    assert speakers < {person["fullName"] for person in people}
    starts = [entry["start_time"] for entry in timeline]
    assert starts == sorted(starts)
    assert all(entry["start_time"] < entry["end_time"] for entry in timeline)
    segments = hook.get_transcript(hook.get_bot_detail(bot_id)["transcript_id"])
    assert [entry["speaker"] for entry in timeline] == [segment["speaker"] for segment in segments]


# -- the recordings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "file_type"), [("get_audio_url", "wav"), ("get_video_url", "mp4")])
def test_a_recording_streams_in_chunks_without_the_api_key(
    hook: MeetStreamHook,
    admin: Any,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    method: str,
    file_type: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    # urllib3's debug lines show the path and query: in a task, the secrets masker hides them (the
    # hook registers the link); here only our own lines are looked at.
    caplog.set_level(logging.INFO, logger="urllib3")
    bot_id = done(hook, admin)
    link = getattr(hook, method)(bot_id)
    assert link.file_type == file_type
    assert secret_of(link) not in repr(link)
    chunks: list[int] = []
    sink = io.BytesIO()

    def write(chunk: bytes) -> None:
        chunks.append(len(chunk))
        sink.write(chunk)

    # The emulator answers 400 to a link sent with an Authorization header: a success proves none went.
    written = hook.stream_media(link, write, chunk_size=64 * 1024)
    assert written == len(sink.getvalue()) == admin.config()["audio_bytes"]
    assert len(chunks) > 1
    assert max(chunks) <= 64 * 1024
    # Our own lines name the host and size, never the link.
    ours = [record.getMessage() for record in caplog.records if record.name.startswith("airflow")]
    logged = "\n".join([*ours, *capsys.readouterr()])
    assert f"Downloaded {written} bytes of the {file_type} recording from 127.0.0.1" in logged
    assert secret_of(link) not in logged


def test_an_expired_link_says_so_without_the_link(hook: MeetStreamHook, admin: Any) -> None:
    bot_id = done(hook, admin)
    link = hook.get_audio_url(bot_id)
    admin.advance_clock(link.expires_in + 1)
    with pytest.raises(MeetStreamAPIError) as caught:
        hook.stream_media(link, io.BytesIO().write)
    error = caught.value
    assert not isinstance(error, MeetStreamAuthError)  # a task retry fetches a new link
    assert error.status_code == 403
    assert "has expired" in str(error)
    assert "fetch a new link" in str(error)
    assert "127.0.0.1" in str(error)
    assert secret_of(link) not in f"{error} {error!r} {error.body}"
    # A new link serves the recording again.
    assert hook.stream_media(hook.get_audio_url(bot_id), io.BytesIO().write) == admin.config()["audio_bytes"]


def test_once_the_data_is_deleted_the_link_and_the_data_are_gone(hook: MeetStreamHook, admin: Any) -> None:
    bot_id = done(hook, admin)
    link = hook.get_audio_url(bot_id)
    admin.set_config(data_retention_seconds=60)
    admin.advance_clock(61)
    with pytest.raises(MeetStreamNotFoundError) as caught:
        hook.stream_media(link, io.BytesIO().write)
    assert "deleted the bot's data" in str(caught.value)
    assert secret_of(link) not in str(caught.value)
    with pytest.raises(MeetStreamNotFoundError, match="deleted"):
        hook.get_participants(bot_id)
    # The bot itself stays listed.
    assert [bot["bot_id"] for bot in hook.iter_bots()] == [bot_id]
