"""SyncCalendarBotsOperator against the emulator: the calendar changes, and the bots follow it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from calendar_events import event, in_two_calendars, weekly

from airflow_provider_meetstream.exceptions import MeetStreamError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

UTC = timezone.utc
LEAD = timedelta(minutes=3)
SYNC = "tests.sync"
WRITES = ("POST", "PATCH", "DELETE")

pytestmark = pytest.mark.usefixtures("no_waits")


def sync(**kwargs) -> dict:
    kwargs.setdefault("lookahead", timedelta(days=7))
    kwargs.setdefault("title_pattern", "sync|stand-up")
    return SyncCalendarBotsOperator(task_id="sync", sync_id=SYNC, **kwargs).execute({})


def live_bots(emulator) -> dict[str, dict]:
    """The bots still waiting or in their meeting, by key."""
    return {
        bot["deduplication_key"]: bot
        for bot in emulator.admin.state()["bots"]
        if bot["status"] not in ("Cancelled", "Done")
    }


def writes(emulator) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.admin.requests() if r["method"] in WRITES]


@pytest.fixture
def calendar(meetstream_frozen_now):
    """A frozen emulator with a small calendar of its own, relative to the frozen now."""
    now = meetstream_frozen_now.now
    meetstream_frozen_now.emulator.admin.load_events(
        [
            event("evt_sync", now + timedelta(hours=3)),
            event("evt_lunch", now + timedelta(hours=4), title="Lunch"),
            event("evt_nolink", now + timedelta(hours=5), meeting_url=None),
        ]
    )
    return meetstream_frozen_now


def test_first_run_adds_and_a_second_run_writes_nothing(calendar) -> None:
    emulator = calendar.emulator
    first = sync()
    assert first["counts"] == {"add": 1, "move": 0, "cancel": 0, "keep": 0, "skip": 0, "failed": 0}
    (added,) = first["added"]
    assert (added["event_id"], added["title"]) == ("evt_sync", "Customer sync")
    assert first["bot_ids"] == [added["bot_id"]]
    bot = live_bots(emulator)[added["deduplication_key"]]
    assert bot["scheduled_join_time"] == (calendar.now + timedelta(hours=3) - LEAD).isoformat()
    emulator.admin.clear_requests()
    second = sync()
    assert second["counts"] == {"add": 0, "move": 0, "cancel": 0, "keep": 1, "skip": 0, "failed": 0}
    assert writes(emulator) == []
    assert {r["method"] for r in emulator.admin.requests()} == {"GET"}


@pytest.mark.parametrize("shift", [timedelta(hours=1), timedelta(days=2)], ids=["an hour", "another day"])
def test_a_moved_meeting_moves_its_bot(calendar, shift: timedelta) -> None:
    emulator = calendar.emulator
    bot_id = sync()["added"][0]["bot_id"]
    new_start = calendar.now + timedelta(hours=3) + shift
    emulator.admin.move_event("evt_sync", new_start)
    report = sync()
    assert report["counts"]["move"] == 1
    (moved,) = report["moved"]
    assert moved["bot_id"] == bot_id
    assert moved["new_join"] == (new_start - LEAD).isoformat().replace("+00:00", "Z")
    (bot,) = live_bots(emulator).values()
    assert (bot["bot_id"], bot["scheduled_join_time"]) == (bot_id, (new_start - LEAD).isoformat())
    assert [method for method, _ in writes(emulator)] == ["POST", "PATCH"]


def test_occurrences_moved_and_cancelled(calendar) -> None:
    emulator = calendar.emulator
    first = calendar.now + timedelta(days=1)
    emulator.admin.load_events([weekly("evt_weekly", first)], replace=False)
    report = sync(lookahead=timedelta(days=15))
    occurrences = sorted(item["occurrence"] for item in report["added"] if item["event_id"] == "evt_weekly")
    assert len(occurrences) == 3
    by_key = live_bots(emulator)
    moved_slot, cancelled_slot = first, first + timedelta(weeks=1)
    emulator.admin.move_event("evt_weekly", moved_slot + timedelta(hours=2), occurrence=moved_slot)
    emulator.admin.cancel_occurrence("evt_weekly", cancelled_slot, drop_schedules=False)
    report = sync(lookahead=timedelta(days=15))
    assert report["counts"] == {"add": 0, "move": 1, "cancel": 1, "keep": 2, "skip": 0, "failed": 0}
    assert report["cancelled"][0]["reason"] == "the meeting was cancelled"
    after = live_bots(emulator)
    moved_key = report["moved"][0]["deduplication_key"]
    assert after[moved_key]["bot_id"] == by_key[moved_key]["bot_id"]
    assert after[moved_key]["scheduled_join_time"] == (moved_slot + timedelta(hours=2) - LEAD).isoformat()
    assert report["cancelled"][0]["deduplication_key"] not in after
    assert sync(lookahead=timedelta(days=15))["counts"]["keep"] == 3


def test_a_series_cut_short(calendar) -> None:
    emulator = calendar.emulator
    first = calendar.now + timedelta(days=1)
    emulator.admin.load_events([weekly("evt_weekly", first)], replace=False)
    assert sync(lookahead=timedelta(days=22))["counts"]["add"] == 1 + 4
    until = (first + timedelta(weeks=1, hours=1)).strftime("%Y%m%dT%H%M%SZ")
    emulator.admin.load_events(
        [weekly("evt_weekly", first, rule=f"RRULE:FREQ=WEEKLY;UNTIL={until}")], replace=False
    )
    report = sync(lookahead=timedelta(days=22))
    assert report["counts"] == {"add": 0, "move": 0, "cancel": 2, "keep": 3, "skip": 0, "failed": 0}
    assert {item["reason"] for item in report["cancelled"]} == {"the meeting is no longer in the calendar"}


def test_a_deleted_event(calendar) -> None:
    emulator = calendar.emulator
    key = sync()["added"][0]["deduplication_key"]
    emulator.admin.delete_event("evt_sync", drop_schedules=False)
    report = sync()
    assert [(item["deduplication_key"], item["reason"]) for item in report["cancelled"]] == [
        (key, "the meeting was cancelled")
    ]
    assert live_bots(emulator) == {}


def test_a_deleted_event_whose_schedules_meetstream_dropped_is_not_added_again(calendar) -> None:
    emulator = calendar.emulator
    sync()
    emulator.admin.delete_event("evt_sync")
    assert live_bots(emulator) == {}
    emulator.admin.clear_requests()
    assert sync()["counts"] == {"add": 0, "move": 0, "cancel": 0, "keep": 0, "skip": 0, "failed": 0}
    assert writes(emulator) == []


def test_a_title_that_no_longer_matches_and_a_new_meeting(calendar) -> None:
    emulator = calendar.emulator
    sync()
    renamed = event("evt_sync", calendar.now + timedelta(hours=3), title="Lunch with a customer")
    fresh = event("evt_new_sync", calendar.now + timedelta(hours=6), title="Vendor sync")
    emulator.admin.load_events([renamed, fresh], replace=False)
    report = sync()
    assert [item["event_id"] for item in report["added"]] == ["evt_new_sync"]
    assert [item["reason"] for item in report["cancelled"]] == ["the meeting is no longer selected"]


def test_the_same_meeting_in_two_calendars_gets_one_bot(calendar) -> None:
    emulator = calendar.emulator
    start = calendar.now + timedelta(hours=8)
    emulator.admin.load_events(in_two_calendars("evt_shared", start), replace=False)
    report = sync()
    assert sorted(item["event_id"] for item in report["added"]) == ["evt_shared_a", "evt_sync"]
    assert len(live_bots(emulator)) == 2


def test_bots_it_does_not_own_and_bots_in_their_meeting_are_left_alone(calendar) -> None:
    emulator = calendar.emulator
    other = MeetStreamHook().schedule_event("evt_lunch", deduplication_key="another-dag:lunch")["bot_id"]
    sync()
    emulator.admin.delete_event("evt_lunch", drop_schedules=False)
    # Our bot joins its meeting; then the meeting moves.
    emulator.admin.advance_clock(timedelta(hours=3))
    emulator.admin.move_event("evt_sync", calendar.now + timedelta(hours=4))
    emulator.admin.clear_requests()
    report = sync(window_start=emulator.admin.now())
    assert writes(emulator) == []
    assert report["counts"]["move"] == report["counts"]["cancel"] == 0
    assert {bot["bot_id"]: bot["status"] for bot in emulator.admin.state()["bots"]}[other] == "Scheduled"


def test_a_full_scheduled_page_of_other_bots_still_cancels_without_status_reads(
    calendar, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = calendar.emulator
    emulator.admin.load_events(
        [
            weekly(
                "evt_hourly", calendar.now + timedelta(days=1), rule="RRULE:FREQ=HOURLY", title="Line check"
            )
        ],
        replace=False,
    )
    # Another team's 100 bots, all joining within the window: the page cannot show them all.
    MeetStreamHook().schedule_event(
        "evt_hourly", deduplication_key="someone-else", schedule_all_occurrences=True, occurrence_limit=100
    )
    key = sync()["added"][0]["deduplication_key"]
    emulator.admin.delete_event("evt_sync", drop_schedules=False)
    emulator.admin.clear_requests()
    report = sync()
    assert report["truncated"] is True
    assert [item["deduplication_key"] for item in report["cancelled"]] == [key]
    assert key not in live_bots(emulator)
    assert not [r for r in emulator.admin.requests() if r["path"].endswith("/status")]
    # Airflow 2 logs through logging, Airflow 3 through structlog to the console.
    assert "does not reach the window's end" in caplog.text + capsys.readouterr().out


def test_a_partial_failure_fails_the_task_and_the_next_run_converges(calendar) -> None:
    emulator = calendar.emulator
    emulator.admin.load_events(
        [event("evt_second_sync", calendar.now + timedelta(hours=9), title="Second sync")], replace=False
    )
    emulator.admin.set_faults(sequence=[500] * 5, path_prefix="/api/v1/calendar/schedule/evt_second_sync")
    with pytest.raises(MeetStreamError, match=r"1 of 2 change\(s\) failed"):
        sync()
    assert len(live_bots(emulator)) == 1
    report = sync()
    assert report["counts"] == {"add": 1, "move": 0, "cancel": 0, "keep": 1, "skip": 0, "failed": 0}
    assert len(live_bots(emulator)) == 2


def test_dry_run_writes_nothing(calendar) -> None:
    emulator = calendar.emulator
    report = sync(dry_run=True)
    assert (report["dry_run"], report["counts"]["add"]) == (True, 1)
    assert writes(emulator) == []
    assert emulator.admin.state()["bots"] == []


@pytest.mark.meetstream_now("2027-03-10T12:00:00Z")
def test_dst_between_two_runs_changes_nothing(meetstream_frozen_now) -> None:
    import time_machine

    emulator = meetstream_frozen_now.emulator
    # Mondays 09:00 New York: 14:00Z before 14 March 2027, 13:00Z after.
    emulator.admin.load_events([weekly("evt_ny", datetime(2027, 3, 8, 14, 0, tzinfo=UTC))])
    window = {"window_start": "2027-03-10T12:00:00Z", "window_end": "2027-03-30T00:00:00Z"}
    added = sync(**window)["added"]
    assert [item["occurrence"] for item in added] == [
        "2027-03-15T13:00:00Z",
        "2027-03-22T13:00:00Z",
        "2027-03-29T13:00:00Z",
    ]
    after_dst = datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
    emulator.admin.set_clock(after_dst)
    emulator.admin.clear_requests()
    with time_machine.travel(after_dst):
        report = sync(**window)
    assert report["counts"] == {"add": 0, "move": 0, "cancel": 0, "keep": 3, "skip": 0, "failed": 0}
    assert writes(emulator) == []
