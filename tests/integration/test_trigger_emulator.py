"""ListScheduledTrigger.run() against the emulator: exactly one success, timeout or error event."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from meetstream_fakes import events_of as run_trigger

from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor
from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria

ZOOM = "evt_demo_zoom_sync"

# The demo calendar moves with the clock, so every test here runs with the emulator and the
# sensors agreeing on one instant (meetstream_frozen_now, a Wednesday morning): which bots are
# still to join, and in what order, then no longer depends on when the suite runs. On a Monday
# during the stand-up, its first occurrence would be in progress and its bot never listed.
pytestmark = pytest.mark.usefixtures("meetstream_frozen_now")


def make_trigger(**criteria: object) -> ListScheduledTrigger:
    poll = float(criteria.pop("poll_interval", 0.05))  # type: ignore[arg-type]
    timeout = float(criteria.pop("timeout", 5.0))  # type: ignore[arg-type]
    return ListScheduledTrigger(
        meetstream_conn_id="meetstream_default",
        criteria=ScheduledCriteria.build(**criteria).serialize(),
        poll_interval=poll,
        timeout=timeout,
    )


def test_success_event_with_matching_bots(meetstream_conn_env) -> None:
    bot_id = MeetStreamHook().schedule_event(ZOOM, deduplication_key="trig")["bot_id"]
    events = run_trigger(make_trigger(bot_ids=[bot_id]))
    assert len(events) == 1
    assert events[0]["status"] == "success"
    assert [bot["bot_id"] for bot in events[0]["bots"]] == [bot_id]


def test_success_after_several_polls(meetstream_conn_env) -> None:
    # The bot only appears after the trigger started polling.
    trigger = make_trigger(event_id=ZOOM, poll_interval=0.05)

    async def scenario() -> list[dict]:
        async def schedule_later() -> None:
            await asyncio.sleep(0.3)
            await asyncio.to_thread(MeetStreamHook().schedule_event, ZOOM, deduplication_key="late")

        task = asyncio.create_task(schedule_later())
        events = [event.payload async for event in trigger.run()]
        await task
        return events

    events = asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    assert [event["status"] for event in events] == ["success"]
    gets = [r for r in meetstream_conn_env.admin.requests() if r["path"].endswith("/calendar/scheduled")]
    assert len(gets) >= 3


def test_timeout_event(meetstream_conn_env) -> None:
    events = run_trigger(make_trigger(bot_ids=["bot_never"], timeout=0.3))
    assert len(events) == 1
    assert events[0]["status"] == "timeout"
    assert "bot_never" in events[0]["message"]


def test_error_event_when_meetstream_refuses(meetstream_emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_MEETSTREAM_DEFAULT", meetstream_emulator.airflow_conn_json(api_key="revoked-key")
    )
    events = run_trigger(make_trigger(bot_ids=["b1"]))
    assert len(events) == 1
    assert events[0]["status"] == "error"
    assert "403" in events[0]["message"]
    assert "revoked-key" not in json.dumps(events)


def test_error_event_when_the_connection_is_missing(
    meetstream_emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", raising=False)
    events = run_trigger(make_trigger(bot_ids=["b1"]))
    assert [event["status"] for event in events] == ["error"]


def test_gone_after_the_clock_passes_join_time(meetstream_conn_env) -> None:
    hook = MeetStreamHook()
    answer = hook.schedule_event(ZOOM, deduplication_key="gone")
    sensor = ListScheduledSensor(task_id="wait_gone", bot_ids=[answer["bot_id"]], wait_for="gone")
    assert not sensor.poke({}).is_done
    assert (
        run_trigger(make_trigger(bot_ids=[answer["bot_id"]], wait_for="gone", timeout=0.2))[0]["status"]
        == "timeout"
    )
    meetstream_conn_env.admin.set_clock(answer["scheduled_time"])
    meetstream_conn_env.admin.advance_clock(timedelta(seconds=1))
    assert sensor.poke({}).is_done
    assert run_trigger(make_trigger(bot_ids=[answer["bot_id"]], wait_for="gone"))[0]["status"] == "success"


def test_gone_on_a_full_page_is_confirmed_by_status(meetstream_conn_env) -> None:
    hook = MeetStreamHook()
    hook.schedule_event(ZOOM, deduplication_key="zoom")
    other = hook.schedule_event(
        "evt_demo_standup_weekly",
        deduplication_key="other",
        schedule_all_occurrences=True,
        occurrence_limit=3,
    )
    assert other["occurrences_scheduled"] == 3
    # The list is in join order: on the frozen Wednesday, Thursday's Zoom call, then the next three
    # stand-ups (none in progress). Watch the bot that joins last.
    listed = [bot["bot_id"] for bot in hook.list_scheduled_bots()]
    assert len(listed) == 4
    watched = listed[-1]
    # limit=1 returns one bot: the page is full, so the watched bot may hide beyond it.
    page = hook.list_scheduled_bots(limit=1)
    assert [bot["bot_id"] for bot in page] == listed[:1]
    meetstream_conn_env.admin.clear_requests()
    sensor = ListScheduledSensor(task_id="wait_gone", bot_ids=[watched], wait_for="gone", limit=1)
    assert not sensor.poke({}).is_done
    assert any(r["path"].endswith(f"/bots/{watched}/status") for r in meetstream_conn_env.admin.requests())
    events = run_trigger(make_trigger(bot_ids=[watched], wait_for="gone", limit=1, timeout=0.3))
    assert events[0]["status"] == "timeout"
    hook.delete_scheduled_bot(watched)
    assert sensor.poke({}).is_done
    assert run_trigger(make_trigger(bot_ids=[watched], wait_for="gone", limit=1))[0]["status"] == "success"


def test_scheduled_counts_a_bot_that_joined_at_once(meetstream_conn_env) -> None:
    admin = meetstream_conn_env.admin
    now = admin.now()
    start, end = now + timedelta(minutes=2), now + timedelta(minutes=32)
    admin.load_events(
        [
            {
                "id": "evt_imminent",
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "meeting_url": "https://meet.google.com/now",
                "raw": {"summary": "Starts in two minutes"},
            }
        ]
    )
    hook = MeetStreamHook()
    bot_id = hook.schedule_event("evt_imminent", deduplication_key="imminent")["bot_id"]
    # It joins 3 minutes before the start, that is at once: it is never listed as scheduled.
    assert hook.list_scheduled_bots() == []
    result = ListScheduledSensor(task_id="wait", bot_ids=[bot_id]).poke({})
    assert result.is_done
    assert [item["status"] for item in result.xcom_value] == ["InMeeting"]
    events = run_trigger(make_trigger(bot_ids=[bot_id]))
    assert [event["status"] for event in events] == ["success"]
