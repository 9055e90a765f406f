"""The examples of the connection, scheduling, recurring, calendar-sync and recording-rules pages, run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from docs_examples import run_example, xcom

# The demo calendar's dates follow the emulator's clock: every test runs at one frozen instant
# (Wednesday 2027-01-13 10:00 UTC), which the provider's "now" shares.
pytestmark = pytest.mark.usefixtures("meetstream_frozen_now")


def schedules(emulator: Any) -> list[dict[str, Any]]:
    return emulator.admin.state()["schedules"]


def schedule_directly(event_id: str, key: str) -> dict[str, Any]:
    """A bot made outside the example: another DAG's, another team's tool."""
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

    with MeetStreamHook() as hook:
        return hook.schedule_event(event_id, deduplication_key=key)


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# connection.md


def test_connection_hook_task(meetstream_conn_env) -> None:
    first = schedule_directly("evt_demo_zoom_sync", "elsewhere:zoom")
    second = schedule_directly("evt_demo_data_review", "elsewhere:review")
    meetstream_conn_env.admin.clear_requests()
    run_example("connection_hook_task")
    # The task's XCom is the scheduled list, in the order MeetStream gives it (by join time).
    assert xcom("docs_connection_hook_task", "list_waiting_bots") == [second["bot_id"], first["bot_id"]]
    # It read through the connection, and wrote nothing.
    assert [(r["method"], r["path"]) for r in meetstream_conn_env.admin.requests()] == [
        ("GET", "/api/v1/calendar/scheduled")
    ]


# scheduling.md


def test_scheduling_one_event(meetstream_conn_env) -> None:
    states = run_example("scheduling_one_event")
    assert states == {"schedule_bot": "success", "wait_until_listed": "success"}
    held = schedules(meetstream_conn_env)
    assert [(s["event_id"], s["deduplication_key"]) for s in held] == [
        ("evt_demo_zoom_sync", "docs_scheduling_one_event:evt_demo_zoom_sync")
    ]
    answer = xcom("docs_scheduling_one_event", "schedule_bot")
    assert answer["bot_id"] == held[0]["bot_id"]
    # The sensor's XCom is the bots it waited for, as MeetStream lists them.
    listed = xcom("docs_scheduling_one_event", "wait_until_listed")
    assert [bot["bot_id"] for bot in listed] == [held[0]["bot_id"]]
    # A second run updates the same schedule: still one bot.
    run_example("scheduling_one_event")
    assert [s["schedule_id"] for s in schedules(meetstream_conn_env)] == [held[0]["schedule_id"]]


def test_scheduling_one_event_fails_on_another_owners_bot(meetstream_conn_env) -> None:
    """``if_other_bot="fail"``: the meeting keeps the other bot, and the run fails."""
    from airflow.utils.state import DagRunState
    from docs_examples import example_dag

    theirs = schedule_directly("evt_demo_zoom_sync", "another-team:zoom")
    dag_run = example_dag("scheduling_one_event").test()
    assert dag_run.state == DagRunState.FAILED
    assert [(s["bot_id"], s["deduplication_key"]) for s in schedules(meetstream_conn_env)] == [
        (theirs["bot_id"], "another-team:zoom")
    ]


def test_scheduling_unschedule(meetstream_conn_env) -> None:
    schedule_directly("evt_demo_zoom_sync", "cleanup-me")
    assert len(schedules(meetstream_conn_env)) == 1
    states = run_example("scheduling_unschedule")
    assert states == {"cancel": "success", "wait_until_gone": "success"}
    assert schedules(meetstream_conn_env) == []
    assert xcom("docs_scheduling_unschedule", "wait_until_gone") == []
    # Nothing left to cancel: missing_ok makes the second run a success too, and says so.
    run_example("scheduling_unschedule")
    assert xcom("docs_scheduling_unschedule", "cancel") == {
        "unscheduled": False,
        "missing": True,
        "event_id": "evt_demo_zoom_sync",
    }


# recurring.md


def test_recurring_mapped(meetstream_conn_env) -> None:
    states = run_example("recurring_mapped")
    assert sorted(states) == ["expand", "schedule[0]", "schedule[1]", "schedule[2]", "schedule[3]"]
    held = sorted(schedules(meetstream_conn_env), key=lambda s: s["occurrence_date"])
    # Mondays 09:00 New York (14:00Z in winter) from now on; 2027-02-01 is the series' EXDATE.
    assert [utc(s["occurrence_date"]) for s in held] == [
        datetime(2027, 1, 18, 14, tzinfo=timezone.utc),
        datetime(2027, 1, 25, 14, tzinfo=timezone.utc),
        datetime(2027, 2, 8, 14, tzinfo=timezone.utc),
        datetime(2027, 2, 15, 14, tzinfo=timezone.utc),
    ]
    assert {s["event_id"] for s in held} == {"evt_demo_standup_weekly"}
    assert [s["deduplication_key"] for s in held] == [
        f"standup:{s['occurrence_date'].replace('+00:00', 'Z')}" for s in held
    ]


def test_recurring_bulk(meetstream_conn_env) -> None:
    run_example("recurring_bulk")
    held = schedules(meetstream_conn_env)
    # First Mondays at 10:00 Berlin, from February 2027: 09:00Z in winter, 08:00Z once DST begins.
    expected = []
    for month in range(2, 8):
        day = next(d for d in range(1, 8) if datetime(2027, month, d).weekday() == 0)
        local = datetime(2027, month, day, 10, tzinfo=ZoneInfo("Europe/Berlin"))
        expected.append(local.astimezone(timezone.utc))
    assert sorted(utc(s["occurrence_date"]) for s in held) == expected
    assert {s["event_id"] for s in held} == {"evt_demo_teams_monthly_review"}
    report = xcom("docs_recurring_bulk", "record_reviews")
    assert (report["occurrences_scheduled"], report["occurrences_failed"]) == (6, 0)
    assert sorted(item["bot_id"] for item in report["schedules_created"]) == sorted(s["bot_id"] for s in held)
    # Running again updates the same schedules: nothing duplicated.
    run_example("recurring_bulk")
    assert sorted(s["schedule_id"] for s in schedules(meetstream_conn_env)) == sorted(
        s["schedule_id"] for s in held
    )


# calendar-sync.md

#: The demo calendar's "data team" meetings of the next 24 hours, each with a link and not deleted.
DATA_TEAM = [
    "evt_demo_data_daily",
    "evt_demo_data_declined",
    "evt_demo_data_internal",
    "evt_demo_data_norecord",
    "evt_demo_data_review",
    "evt_demo_data_sync",
]


def test_sync_calendar_follows_a_moved_meeting(meetstream_conn_env) -> None:
    admin = meetstream_conn_env.admin
    run_example("sync_calendar")
    held = {s["event_id"]: s for s in schedules(meetstream_conn_env)}
    assert sorted(held) == DATA_TEAM
    assert {s["deduplication_key"].split("|")[0] for s in held.values()} == {"docs_sync_calendar.sync_bots"}
    assert xcom("docs_sync_calendar", "sync_bots")["counts"]["add"] == len(DATA_TEAM)

    # The review moves three hours later: the same bot, a new join time, nothing else written.
    review = held["evt_demo_data_review"]
    new_start = admin.now() + timedelta(hours=7)
    admin.move_event("evt_demo_data_review", new_start)
    run_example("sync_calendar")
    report = xcom("docs_sync_calendar", "sync_bots")
    assert {k: v for k, v in report["counts"].items() if v} == {"move": 1, "keep": len(DATA_TEAM) - 1}
    assert [(m["event_id"], m["bot_id"]) for m in report["moved"]] == [
        ("evt_demo_data_review", review["bot_id"])
    ]
    bots = {b["bot_id"]: b for b in admin.state()["bots"]}
    assert utc(bots[review["bot_id"]]["scheduled_join_time"]) == new_start.replace(microsecond=0) - timedelta(
        minutes=3
    )


def test_sync_calendar_leaves_another_owners_bot(meetstream_conn_env) -> None:
    theirs = schedule_directly("evt_demo_data_sync", "another-team:data-sync")
    run_example("sync_calendar")
    held = {s["event_id"]: s for s in schedules(meetstream_conn_env)}
    assert sorted(held) == DATA_TEAM
    # Their bot still records the meeting; the sync added none there, and reports whose it is.
    assert (held["evt_demo_data_sync"]["bot_id"], held["evt_demo_data_sync"]["deduplication_key"]) == (
        theirs["bot_id"],
        "another-team:data-sync",
    )
    report = xcom("docs_sync_calendar", "sync_bots")
    [kept] = [item for item in report["kept"] if item["event_id"] == "evt_demo_data_sync"]
    assert kept["bot_id"] == theirs["bot_id"]
    assert "another owner's bot" in kept["reason"]
    assert report["counts"]["add"] == len(DATA_TEAM) - 1


# recording-rules.md


def test_rules_from_param(meetstream_conn_env) -> None:
    run_example("rules_from_param")
    held = sorted(s["event_id"] for s in schedules(meetstream_conn_env))
    assert held == ["evt_demo_data_daily", "evt_demo_data_review", "evt_demo_data_sync"]
    skipped = {
        item["event_id"]: item["reason"] for item in xcom("docs_rules_from_param", "sync_bots")["skipped"]
    }
    assert skipped == {
        "evt_demo_data_internal": "skipped: no attendee known to be outside example.com",
        "evt_demo_data_declined": "skipped: declined by the calendar's owner",
        "evt_demo_data_norecord": "skipped: opt-out marker #norecord in the title",
    }


def test_rules_from_param_given_at_trigger_time(meetstream_conn_env) -> None:
    """Other rules in the run's conf: internal meetings too, still none declined or opted out."""
    run_example("rules_from_param", rules={"record": "all"})
    held = sorted(s["event_id"] for s in schedules(meetstream_conn_env))
    assert held == [
        "evt_demo_data_daily",
        "evt_demo_data_internal",
        "evt_demo_data_review",
        "evt_demo_data_sync",
    ]
    skipped = {item["event_id"] for item in xcom("docs_rules_from_param", "sync_bots")["skipped"]}
    assert skipped == {"evt_demo_data_declined", "evt_demo_data_norecord"}
