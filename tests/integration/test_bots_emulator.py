"""Issue 13 against the emulator: bots sent ad hoc, their statuses, their transcripts written to storage."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from meetstream_fakes import events_of as run_trigger

from airflow_provider_meetstream.exceptions import (
    MeetStreamBotFailedError,
    MeetStreamNotReadyError,
    MeetStreamTimeoutError,
)
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator
from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor
from airflow_provider_meetstream.triggers.bot_status import BotStatusTrigger
from airflow_provider_meetstream.triggers.transcripts import TranscriptReadyTrigger

try:
    from airflow.sdk.exceptions import AirflowRescheduleException
except ImportError:  # Airflow 2
    from airflow.exceptions import AirflowRescheduleException  # type: ignore[no-redef]

LINK = "https://us02web.zoom.us/j/5550001"
MEETING = timedelta(minutes=30)
TRANSCRIPT_DELAY = timedelta(minutes=2)
FAILED = ("Denied", "Error", "NotAllowed")


@pytest.fixture
def hook(meetstream_frozen_now) -> MeetStreamHook:
    return MeetStreamHook()


def finish(frozen, *, transcript: bool = True) -> None:
    frozen.emulator.admin.advance_clock(MEETING + (TRANSCRIPT_DELAY if transcript else timedelta(0)))


# -- the hook and the async client ---------------------------------------------------------------


def test_every_hook_method_against_the_emulator(hook: MeetStreamHook, meetstream_frozen_now) -> None:
    bot = hook.create_bot(LINK, bot_config={"bot_name": "Notes", "custom_attributes": {"team": "data"}})
    assert (bot["meeting_url"], bot["status"]) == (LINK, "Joining")
    detail = hook.get_bot_detail(bot["bot_id"])
    assert (detail["transcript_id"], detail["custom_attributes"]) == (bot["transcript_id"], {"team": "data"})
    assert hook.list_transcriptions(bot["bot_id"]) == [
        {"transcript_id": bot["transcript_id"], "status": "processing", "bot_id": bot["bot_id"]}
    ]
    with pytest.raises(MeetStreamNotReadyError) as waiting:
        hook.get_transcript(bot["transcript_id"])
    assert waiting.value.status_code == 202
    meetstream_frozen_now.emulator.admin.advance_clock(600)
    # It leaves normally (Stopped), and is Done once its recording and transcript are processed.
    assert hook.remove_bot(bot["bot_id"])["status"] == "Stopped"
    assert hook.get_bot_status(bot["bot_id"])["status"] == "Stopped"
    meetstream_frozen_now.emulator.admin.advance_clock(TRANSCRIPT_DELAY)
    assert hook.get_bot_status(bot["bot_id"])["status"] == "Done"
    segments = hook.get_transcript(bot["transcript_id"])
    assert segments
    assert all(segment["speaker"] and segment["transcript"] for segment in segments)
    assert hook.list_transcriptions(bot["bot_id"])[0]["status"] == "completed"
    # A raw transcript is served too.
    assert hook.get_transcript(bot["transcript_id"], raw=True) == segments


def test_a_replayed_idempotency_key_returns_the_same_bot(hook: MeetStreamHook, meetstream_frozen_now) -> None:
    first = hook.create_bot(LINK, idempotency_key="one-logical-request")
    again = hook.create_bot(LINK, idempotency_key="one-logical-request")
    assert (again["bot_id"], again["transcript_id"]) == (first["bot_id"], first["transcript_id"])
    statuses = [r["status"] for r in meetstream_frozen_now.emulator.admin.requests() if r["method"] == "POST"]
    assert statuses == [201, 507]
    assert hook.create_bot(LINK)["bot_id"] != first["bot_id"]


@pytest.mark.parametrize("shape", ["list", "message"])
def test_both_transcript_shapes_read_alike(hook: MeetStreamHook, meetstream_frozen_now, shape: str) -> None:
    meetstream_frozen_now.emulator.admin.set_config(transcript_shape=shape)
    bot = hook.create_bot(LINK, idempotency_key="same-bot-each-time")
    finish(meetstream_frozen_now)
    segments = hook.get_transcript(bot["transcript_id"])
    assert segments[0]["transcript"] == "Good morning, everyone."
    assert {"speaker", "start_time", "end_time", "words"} <= set(segments[0])


def test_the_async_client_reads_a_transcript(meetstream_frozen_now) -> None:
    async def scenario() -> tuple[dict, list[dict]]:
        async with MeetStreamAsyncClient(meetstream_conn_id="meetstream_default") as client:
            bot = await client.create_bot(LINK)
            await asyncio.to_thread(finish, meetstream_frozen_now)
            detail = await client.get_bot_detail(bot["bot_id"])
            return detail, await client.get_transcript(detail["transcript_id"])

    detail, segments = asyncio.run(scenario())
    assert detail["status"] == "Done"
    assert segments


# -- BotStatusSensor ------------------------------------------------------------------------------


def sensor(bot_id: str, **kwargs: Any) -> BotStatusSensor:
    kwargs.setdefault("poke_interval", 0.05)
    kwargs.setdefault("timeout", 600)
    return BotStatusSensor(task_id="wait", bot_ids=[bot_id], **kwargs)


def test_poke_mode_waits_until_the_meeting_is_over(hook: MeetStreamHook, meetstream_frozen_now) -> None:
    bot = hook.create_bot(LINK)
    waiter = sensor(bot["bot_id"])
    assert waiter.poke({}).is_done is False
    # The bot left normally and its data is being processed: the meeting went well.
    finish(meetstream_frozen_now, transcript=False)
    result = waiter.poke({})
    assert result.is_done
    assert [item["status"] for item in result.xcom_value] == ["Stopped"]
    meetstream_frozen_now.emulator.admin.advance_clock(TRANSCRIPT_DELAY)
    assert [item["status"] for item in waiter.poke({}).xcom_value] == ["Done"]


# Reschedule mode reads the task's earlier reschedules from the metadata database (Airflow 2).
def test_reschedule_mode_reschedules_then_succeeds(
    hook: MeetStreamHook, meetstream_frozen_now, airflow_db
) -> None:
    bot = hook.create_bot(LINK)
    ti = mock.Mock(dag_id="d", task_id="wait", run_id="r", map_index=-1, max_tries=0)
    ti.get_first_reschedule_date.return_value = None
    with pytest.raises(AirflowRescheduleException):
        sensor(bot["bot_id"], mode="reschedule").execute({"ti": ti})
    finish(meetstream_frozen_now, transcript=False)
    assert [item["status"] for item in sensor(bot["bot_id"], mode="reschedule").execute({"ti": ti})] == [
        "Stopped"
    ]
    meetstream_frozen_now.emulator.admin.advance_clock(TRANSCRIPT_DELAY)
    assert [item["status"] for item in sensor(bot["bot_id"], mode="reschedule").execute({"ti": ti})] == [
        "Done"
    ]


@pytest.mark.parametrize("status", FAILED)
@pytest.mark.parametrize("mode", ["poke", "reschedule"])
def test_a_failed_bot_fails_the_sensor_at_once(
    hook: MeetStreamHook, meetstream_frozen_now, airflow_db, status: str, mode: str
) -> None:
    bot = hook.create_bot(LINK)
    meetstream_frozen_now.emulator.admin.set_bot_outcome(bot["bot_id"], status=status, reason="Host said no.")
    ti = mock.Mock(dag_id="d", task_id="wait", run_id="r", map_index=-1, max_tries=0)
    ti.get_first_reschedule_date.return_value = None
    with pytest.raises(MeetStreamBotFailedError, match=rf"{status}.*Host said no") as caught:
        sensor(bot["bot_id"], mode=mode).execute({"ti": ti})
    assert (caught.value.bot_id, caught.value.status) == (bot["bot_id"], status)
    # Unless the DAG accepts that status.
    accepted = sensor(bot["bot_id"], accept_statuses=[status]).poke({})
    assert accepted.is_done


def test_a_cancelled_bot_fails_the_sensor(hook: MeetStreamHook, meetstream_frozen_now) -> None:
    bot = hook.create_bot(LINK, bot_config={"join_at": (meetstream_frozen_now.now + timedelta(hours=1))})
    hook.delete_scheduled_bot(bot["bot_id"])
    with pytest.raises(MeetStreamBotFailedError, match="Cancelled"):
        sensor(bot["bot_id"]).execute({})


def deferred_trigger(bot_id: str) -> BotStatusTrigger:
    with pytest.raises(TaskDeferred) as deferred:
        sensor(bot_id, deferrable=True).execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, BotStatusTrigger)
    return trigger


def test_deferrable_mode_runs_the_trigger_to_its_event(hook: MeetStreamHook, meetstream_frozen_now) -> None:
    bot = hook.create_bot(LINK)
    trigger = deferred_trigger(bot["bot_id"])

    async def scenario() -> list[dict]:
        async def end_meeting() -> None:
            await asyncio.sleep(0.2)  # let the trigger look at least once while the bot is in
            await asyncio.to_thread(finish, meetstream_frozen_now, transcript=False)

        ender = asyncio.create_task(end_meeting())
        events = [event.payload async for event in trigger.run()]
        await ender
        return events

    (event,) = asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    assert event["status"] == "success"
    assert [item["status"] for item in event["bots"]] == ["Stopped"]
    looks = [r for r in meetstream_frozen_now.emulator.admin.requests() if r["path"].endswith("/status")]
    assert len(looks) >= 3  # the check before deferring, then the trigger's looks
    assert sensor(bot["bot_id"]).execute_complete({}, event) == event["bots"]
    meetstream_frozen_now.emulator.admin.advance_clock(TRANSCRIPT_DELAY)
    trigger = BotStatusTrigger(
        meetstream_conn_id="meetstream_default", wait=trigger.wait, poll_interval=0.05, timeout=30
    )
    (done,) = run_trigger(trigger)
    assert [item["status"] for item in done["bots"]] == ["Done"]


@pytest.mark.parametrize("status", FAILED)
def test_deferrable_mode_reports_each_failed_status(
    hook: MeetStreamHook, meetstream_frozen_now, status: str
) -> None:
    bot = hook.create_bot(LINK, bot_config={"join_at": meetstream_frozen_now.now + timedelta(minutes=5)})
    trigger = deferred_trigger(bot["bot_id"])
    meetstream_frozen_now.emulator.admin.set_bot_outcome(bot["bot_id"], status=status, reason="Kicked.")
    meetstream_frozen_now.emulator.admin.advance_clock(timedelta(minutes=5))
    (event,) = run_trigger(trigger)
    assert (event["status"], event["bot_status"], event["reason"]) == ("failed", status, "Kicked.")
    with pytest.raises(MeetStreamBotFailedError, match=status):
        sensor(bot["bot_id"]).execute_complete({}, event)


# -- FetchTranscriptOperator ----------------------------------------------------------------------


def fetch(bot: Any, base: Path, **kwargs: Any) -> FetchTranscriptOperator:
    kwargs.setdefault("poll_interval", 0.05)
    kwargs.setdefault("transcript_timeout", 30)
    return FetchTranscriptOperator(task_id="fetch", bot_id=bot, base_path=f"file://{base}", **kwargs)


def test_fetch_writes_one_object_per_transcript_and_a_rerun_replaces_it(
    hook: MeetStreamHook, meetstream_frozen_now, tmp_path: Path
) -> None:
    bots = [hook.create_bot(LINK), hook.create_bot("https://meet.google.com/abc-defg-hij")]
    finish(meetstream_frozen_now)
    results = [fetch(bot, tmp_path, write_text=True).execute({}) for bot in bots]
    again = fetch(bots[0], tmp_path, write_text=True).execute({})
    assert again == results[0]
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert written == sorted(
        f"{bot['bot_id']}/{name}" for bot in bots for name in ("transcript.jsonl", "transcript.txt")
    )
    lines = [
        json.loads(line)
        for line in (tmp_path / bots[0]["bot_id"] / "transcript.jsonl").read_text().splitlines()
    ]
    assert len(lines) == results[0]["segments"] == len(hook.get_transcript(bots[0]["transcript_id"]))
    assert {(line["bot_id"], line["transcript_id"]) for line in lines} == {
        (bots[0]["bot_id"], bots[0]["transcript_id"])
    }
    assert {line["meeting_url"] for line in lines} == {LINK}
    assert results[0]["speakers"] == list(dict.fromkeys(line["speaker"] for line in lines))


def test_fetch_by_bot_id_alone_finds_the_transcript_and_the_event(
    hook: MeetStreamHook, meetstream_frozen_now, tmp_path: Path
) -> None:
    bot_id = hook.schedule_event("evt_demo_data_sync", deduplication_key="notes")["bot_id"]
    meetstream_frozen_now.emulator.admin.advance_clock(timedelta(hours=3))
    result = fetch(bot_id, tmp_path).execute({})
    assert result["event_id"] == "evt_demo_data_sync"
    assert Path(result["uri"].removeprefix("file://")).is_file()


def test_fetch_waits_until_the_transcript_is_ready(
    hook: MeetStreamHook, meetstream_frozen_now, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    bot = hook.create_bot(LINK)
    finish(meetstream_frozen_now, transcript=False)
    # Each wait between two looks moves the emulator's clock half of the delay on.
    monkeypatch.setattr(
        "airflow_provider_meetstream.hooks.policy.sleep",
        lambda seconds: meetstream_frozen_now.emulator.admin.advance_clock(60),
    )
    result = fetch(bot, tmp_path).execute({})
    looks = [
        r["status"] for r in meetstream_frozen_now.emulator.admin.requests() if "get_transcript" in r["path"]
    ]
    assert looks == [202, 202, 200]
    assert result["segments"] > 0


def test_a_streaming_only_transcript_ends_in_a_bounded_timeout(
    hook: MeetStreamHook, meetstream_frozen_now, tmp_path: Path
) -> None:
    bot = hook.create_bot(LINK)
    meetstream_frozen_now.emulator.admin.set_bot_outcome(bot["bot_id"], transcript="never")
    finish(meetstream_frozen_now)
    with pytest.raises(MeetStreamTimeoutError, match="streaming-only"):
        fetch(bot, tmp_path, transcript_timeout=0.3).execute({})
    assert list(tmp_path.iterdir()) == []


def test_a_deferred_fetch_of_a_streaming_only_transcript_times_out(
    hook: MeetStreamHook, meetstream_frozen_now, tmp_path: Path
) -> None:
    bot = hook.create_bot(LINK)
    meetstream_frozen_now.emulator.admin.set_config(default_transcript="never")
    never = hook.create_bot(LINK)
    finish(meetstream_frozen_now)
    operator = fetch(never, tmp_path, transcript_timeout=0.3, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, TranscriptReadyTrigger)
    (event,) = run_trigger(trigger)
    assert event["status"] == "timeout"
    with pytest.raises(MeetStreamTimeoutError):
        operator.execute_complete({}, event, **deferred.value.kwargs)
    # The bot made before the setting has its transcript; deferrable finds it at once.
    assert fetch(bot, tmp_path, deferrable=True).execute({})["segments"] > 0
