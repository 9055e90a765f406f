"""The real MeetStreamHook and async client against the emulator, over real sockets."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import pytest

from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamAuthError,
    MeetStreamConflictError,
    MeetStreamConnectionError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator, UnscheduleEventOperator

ZOOM = "evt_demo_zoom_sync"
STANDUP = "evt_demo_standup_weekly"
ENDED = "evt_demo_retro_ended"


@pytest.fixture
def hook(meetstream_frozen_now, waits: list[float]) -> MeetStreamHook:
    # At a frozen instant: the demo calendar moves with the clock, and a stand-up in progress
    # (Mondays 09:00-09:15 New York) would be a series' first occurrence, whose bot joins at once
    # and is never listed as scheduled. Every test that reads the demo calendar goes through here.
    with MeetStreamHook() as hook:
        yield hook


class TestSchedule:
    def test_schedule_then_update_in_place(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        first = hook.schedule_event(ZOOM, deduplication_key="sync-1", bot_config={"bot_name": "A"})
        assert first["scheduled"] is True
        assert first["schedule_group"] == "zoom"
        assert first["updated_existing"] is False
        second = hook.schedule_event(ZOOM, deduplication_key="sync-1", bot_config={"bot_name": "B"})
        assert second["updated_existing"] is True
        assert (second["bot_id"], second["schedule_id"]) == (first["bot_id"], first["schedule_id"])
        assert second["bot_config"]["bot_name"] == "B"
        listed = hook.list_scheduled_bots()
        assert [bot["bot_id"] for bot in listed] == [first["bot_id"]]
        assert listed[0]["custom_attributes"]["deduplication_key"] == "sync-1"
        assert listed[0]["custom_attributes"]["event_id"] == ZOOM

    def test_same_key_on_another_event_shares_the_bot(
        self, hook: MeetStreamHook, meetstream_emulator
    ) -> None:
        zoom = next(event for event in meetstream_emulator.admin.events() if event["id"] == ZOOM)
        meetstream_emulator.admin.load_events([{**zoom, "id": "evt_copy_in_other_calendar"}], replace=False)
        one = hook.schedule_event(ZOOM, deduplication_key="shared")
        two = hook.schedule_event("evt_copy_in_other_calendar", deduplication_key="shared")
        assert one["bot_id"] == two["bot_id"]
        assert one["schedule_id"] != two["schedule_id"]
        assert len(hook.list_scheduled_bots()) == 1

    def test_conflict_mode_409(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        meetstream_emulator.admin.set_config(conflict_mode="409")
        first = hook.schedule_event(ZOOM, deduplication_key="k")
        with pytest.raises(MeetStreamConflictError) as caught:
            hook.schedule_event(ZOOM, deduplication_key="k")
        assert caught.value.existing_bot_id == first["bot_id"]
        assert caught.value.existing_schedule_id == first["schedule_id"]
        assert caught.value.request_id
        operator = ScheduleEventOperator(task_id="t", event_id=ZOOM, deduplication_key="k")
        assert operator.execute({}) == {
            "scheduled": True,
            "already_scheduled": True,
            "bot_id": first["bot_id"],
            "schedule_id": first["schedule_id"],
            "scheduled_time": first["scheduled_time"],
            "event_id": ZOOM,
        }

    def test_ended_unknown_and_bad_key(self, hook: MeetStreamHook, meetstream_emulator, monkeypatch) -> None:
        with pytest.raises(MeetStreamAPIError) as ended:
            hook.schedule_event(ENDED, deduplication_key="k")
        assert ended.value.status_code == 400
        assert ended.value.message == "Cannot schedule bot as calendar event has ended."
        with pytest.raises(MeetStreamNotFoundError):
            hook.schedule_event("evt_nope", deduplication_key="k")
        monkeypatch.setenv(
            "AIRFLOW_CONN_MS_WRONG", meetstream_emulator.airflow_conn_json(api_key="wrong-key-123")
        )
        with pytest.raises(MeetStreamAuthError) as denied:
            MeetStreamHook("ms_wrong").list_scheduled_bots()
        assert denied.value.status_code == 403
        assert "wrong-key-123" not in str(denied.value)
        # The first thing a newcomer needs: which connection's key it was, sync and async.
        assert "Airflow connection 'ms_wrong'" in str(denied.value)

        async def listed() -> None:
            async with MeetStreamAsyncClient(meetstream_conn_id="ms_wrong") as client:
                await client.list_scheduled_bots()

        with pytest.raises(MeetStreamAuthError, match="Airflow connection 'ms_wrong'") as async_denied:
            asyncio.run(listed())
        assert "wrong-key-123" not in str(async_denied.value)

    @pytest.mark.parametrize("event_id", ["a/b", "..", "what?x=1#frag", "réunion du lundi"])
    def test_odd_ids_reach_the_server_as_one_segment(
        self, hook: MeetStreamHook, meetstream_emulator, event_id
    ) -> None:
        zoom = next(event for event in meetstream_emulator.admin.events() if event["id"] == ZOOM)
        meetstream_emulator.admin.load_events([{**zoom, "id": event_id}], replace=False)
        answer = hook.schedule_event(event_id, deduplication_key="odd")
        assert answer["event_id"] == event_id
        assert hook.unschedule_event(event_id)["event_id"] == event_id

    def test_occurrence_of_a_series(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        series = hook.schedule_event(
            STANDUP, deduplication_key="standup", schedule_all_occurrences=True, occurrence_limit=3
        )
        assert series["total_occurrences"] == 3
        assert len(series["schedules_created"]) == 3
        occurrence = series["schedules_created"][1]["occurrence_date"]
        again = hook.schedule_event(STANDUP, deduplication_key="standup-2", occurrence_date=occurrence)
        assert again["is_recurring_occurrence"] is True
        with pytest.raises(MeetStreamAPIError) as caught:
            hook.schedule_event(STANDUP, deduplication_key="x", occurrence_date="2030-01-01T00:00:00Z")
        assert caught.value.status_code == 400


class TestRetries:
    def test_503_then_success(self, hook: MeetStreamHook, meetstream_emulator, waits) -> None:
        meetstream_emulator.admin.set_faults(sequence=[503, 503], path_prefix="/api/v1/calendar/schedule/")
        answer = hook.schedule_event(ZOOM, deduplication_key="retry")
        assert answer["scheduled"] is True
        assert len(waits) == 2
        posts = [r for r in meetstream_emulator.admin.requests() if r["method"] == "POST"]
        assert len(posts) == 3
        # Retrying a POST is safe: the same key yields one schedule.
        assert len(hook.list_scheduled_bots()) == 1

    def test_429_honours_retry_after(self, hook: MeetStreamHook, meetstream_emulator, waits) -> None:
        meetstream_emulator.admin.set_faults(sequence=[429], retry_after=4)
        hook.list_scheduled_bots()
        # Retry-After plus up to a tenth of it, so that workers do not retry in lockstep.
        assert len(waits) == 1
        assert 4.0 <= waits[0] <= 4.4

    def test_dropped_connection_is_retried(self, hook: MeetStreamHook, meetstream_emulator, waits) -> None:
        meetstream_emulator.admin.set_faults(sequence=["drop"])
        assert hook.list_scheduled_bots() == []
        assert len(waits) == 1

    def test_spent_retries_raise(self, hook: MeetStreamHook, meetstream_emulator, waits) -> None:
        meetstream_emulator.admin.set_faults(sequence=[500] * 5)
        with pytest.raises(MeetStreamServerError):
            hook.list_scheduled_bots()
        meetstream_emulator.admin.set_faults(sequence=["drop"] * 5)
        with pytest.raises(MeetStreamConnectionError):
            hook.list_scheduled_bots()

    def test_no_retry_on_client_errors(self, hook: MeetStreamHook, meetstream_emulator, waits) -> None:
        meetstream_emulator.admin.clear_requests()
        with pytest.raises(MeetStreamNotFoundError):
            hook.get_bot_status("bot_unknown")
        assert waits == []
        assert len(meetstream_emulator.admin.requests()) == 1

    def test_one_connection_for_many_requests(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        for _ in range(20):
            hook.list_scheduled_bots(limit=5)
        assert meetstream_emulator.admin.connections()["api_connections"] == 1

    def test_key_is_masked_in_the_server_log(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        hook.list_scheduled_bots()
        logged = meetstream_emulator.admin.requests()[-1]
        assert logged["headers"]["authorization"] == "Token ***"
        assert logged["headers"]["user-agent"].startswith("airflow-provider-meetstream/")


class TestEndpoints:
    def test_event_pagination(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        events = list(hook.iter_events(page_size=1))
        ids = [event["id"] for event in events]
        assert {ZOOM, STANDUP} <= set(ids)
        assert len(ids) == len(set(ids)) >= 3
        pages = [r for r in meetstream_emulator.admin.requests() if r["path"].endswith("/calendar/events")]
        assert len(pages) == len(ids)
        assert hook.get_event(STANDUP)["raw"]["recurrence"]

    def test_event_window(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        now = meetstream_emulator.admin.now()
        ids = {
            event["id"]
            for event in hook.iter_events(
                time_min=now - timedelta(days=30), time_max=now - timedelta(days=29)
            )
        }
        assert ZOOM not in ids
        with pytest.raises(MeetStreamNotFoundError):
            hook.get_event(ZOOM, time_min=now - timedelta(days=30), time_max=now - timedelta(days=29))

    def test_unschedule(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        series = hook.schedule_event(
            STANDUP, deduplication_key="s", schedule_all_occurrences=True, occurrence_limit=4
        )
        dates = [item["occurrence_date"] for item in series["schedules_created"]]
        later = hook.unschedule_event(STANDUP, from_date=dates[2])
        assert later["schedules_cancelled"] == 2
        assert len(hook.list_scheduled_bots()) == 2
        rest = hook.unschedule_event(STANDUP, cancel_all_occurrences=True)
        assert rest["schedules_cancelled"] == 2
        assert hook.list_scheduled_bots() == []
        with pytest.raises(MeetStreamNotFoundError):
            hook.unschedule_event(STANDUP, cancel_all_occurrences=True)
        cleanup = UnscheduleEventOperator(task_id="cleanup", event_id=STANDUP, cancel_all_occurrences=True)
        assert cleanup.execute({})["missing"] is True

    def test_update_status_and_delete(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        bot_id = hook.schedule_event(ZOOM, deduplication_key="k")["bot_id"]
        join = meetstream_emulator.admin.now() + timedelta(hours=2)
        updated = hook.update_scheduled_bot(
            bot_id, scheduled_join_time=join, bot_username="Renamed", custom_attributes={"team": "data"}
        )
        assert updated["bot_id"] == bot_id
        listed = hook.list_scheduled_bots()[0]
        assert listed["bot_username"] == "Renamed"
        assert listed["custom_attributes"]["team"] == "data"
        assert hook.get_bot_status(bot_id)["status"] == "Scheduled"
        with pytest.raises(MeetStreamAPIError) as past:
            hook.update_scheduled_bot(
                bot_id, scheduled_join_time=meetstream_emulator.admin.now() - timedelta(hours=1)
            )
        assert past.value.status_code == 400
        assert hook.delete_scheduled_bot(bot_id)["bot_id"] == bot_id
        assert hook.get_bot_status(bot_id)["status"] == "Cancelled"
        assert hook.list_scheduled_bots() == []
        with pytest.raises(MeetStreamNotFoundError):
            hook.delete_scheduled_bot("bot_unknown")

    def test_status_follows_the_clock(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        answer = hook.schedule_event(ZOOM, deduplication_key="k")
        bot_id = answer["bot_id"]
        meetstream_emulator.admin.set_clock(answer["scheduled_time"])
        assert hook.get_bot_status(bot_id)["status"] == "InMeeting"
        assert hook.list_scheduled_bots() == []
        with pytest.raises(MeetStreamAPIError) as in_meeting:
            hook.delete_scheduled_bot(bot_id)
        assert in_meeting.value.status_code == 400
        meetstream_emulator.admin.advance_clock(timedelta(hours=2))
        assert hook.get_bot_status(bot_id)["status"] == "Done"

    def test_limit_is_checked_before_the_server(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        meetstream_emulator.admin.clear_requests()
        with pytest.raises(MeetStreamInputError):
            hook.list_scheduled_bots(limit=101)
        assert meetstream_emulator.admin.requests() == []

    def test_test_connection(self, hook: MeetStreamHook, meetstream_emulator) -> None:
        said = rf"Connected to MeetStream: GET {re.escape(meetstream_emulator.api_url)}/calendar/scheduled "
        ok, message = hook.test_connection()
        assert ok
        assert re.fullmatch(rf"{said}answered in \d+ ms; no bot is scheduled\.", message)
        hook.schedule_event(ZOOM, deduplication_key="k")
        ok, message = hook.test_connection()
        assert ok
        assert re.fullmatch(rf"{said}answered in \d+ ms; at least one bot is scheduled\.", message)


class TestAsyncClient:
    def test_list_status_and_retries(self, hook: MeetStreamHook, meetstream_emulator, waits) -> None:
        bot_id = hook.schedule_event(ZOOM, deduplication_key="async")["bot_id"]
        meetstream_emulator.admin.set_faults(sequence=[503, 429], retry_after=2)

        async def run() -> tuple[list, dict]:
            async with MeetStreamAsyncClient() as client:
                return await client.list_scheduled_bots(limit=10), await client.get_bot_status(bot_id)

        bots, status = asyncio.run(run())
        assert [bot["bot_id"] for bot in bots] == [bot_id]
        assert status["status"] == "Scheduled"
        assert len(waits) == 2
        assert 2.0 <= waits[1] <= 2.2  # the 429's Retry-After, jittered
        logged = [r for r in meetstream_emulator.admin.requests() if r["method"] == "GET"]
        assert logged[-1]["headers"]["authorization"] == "Token ***"

    def test_errors_map_like_the_sync_hook(self, meetstream_conn_env, waits) -> None:
        async def run() -> None:
            async with MeetStreamAsyncClient() as client:
                await client.get_bot_status("bot_unknown")

        with pytest.raises(MeetStreamNotFoundError) as caught:
            asyncio.run(run())
        assert caught.value.request_id
        assert waits == []

    def test_connection_extras_apply(self, meetstream_emulator, monkeypatch, waits) -> None:
        conn = json.loads(meetstream_emulator.airflow_conn_json())
        conn["extra"] = json.dumps({"max_retries": "2", "timeout": "3"})
        monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps(conn))
        meetstream_emulator.admin.set_faults(sequence=[503, 503, 503])

        async def run() -> None:
            async with MeetStreamAsyncClient() as client:
                assert (await client.get_config()).read_timeout == 3.0
                await client.list_scheduled_bots()

        with pytest.raises(MeetStreamServerError):
            asyncio.run(run())
        assert len(waits) == 1


def test_async_client_masks_the_key(meetstream_conn_env, monkeypatch: pytest.MonkeyPatch) -> None:
    masked: list[str] = []
    try:
        import airflow.sdk.log  # noqa: F401
    except ImportError:  # Airflow 2: the hook falls back to the synchronous masker
        monkeypatch.setattr(
            "airflow_provider_meetstream.hooks.async_client.mask_secret",
            lambda s, name=None: masked.append(s),
        )
    else:

        async def record(secret: str, name: str | None = None) -> None:
            masked.append(secret)

        monkeypatch.setattr("airflow_provider_meetstream.hooks.async_client.amask_secret", record)

    async def run() -> None:
        async with MeetStreamAsyncClient() as client:
            await client.list_scheduled_bots()
            await client.list_scheduled_bots()

    asyncio.run(run())
    assert masked == [meetstream_conn_env.api_key]
