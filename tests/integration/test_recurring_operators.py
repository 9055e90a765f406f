"""ExpandRecurringEventOperator and ScheduleRecurringEventOperator against the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from airflow_provider_meetstream.exceptions import MeetStreamError, MeetStreamInputError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.operators.recurring import (
    ExpandRecurringEventOperator,
    ScheduleRecurringEventOperator,
)
from airflow_provider_meetstream.recurrence import parse_aware_datetime

STANDUP = "evt_demo_standup_weekly"
TEAMS = "evt_demo_teams_monthly_review"
NEW_YORK = ZoneInfo("America/New_York")

# The demo calendar moves with the clock, so every test here runs with the emulator and the
# operators agreeing on one instant (meetstream_frozen_now): how many stand-ups fall in a window,
# and which side of a DST change they are on, then no longer depends on today. The hook's retries
# take no time.
pytestmark = pytest.mark.usefixtures("meetstream_frozen_now", "no_waits")


def standup_mondays(emulator, start: datetime, end: datetime) -> list[str]:
    """
    The demo stand-up's occurrences in [start, end), derived from the event the emulator loaded.

    Mondays at 09:00 New York from its first one, without its EXDATE, in the provider's "...Z" form.
    """
    event = next(event for event in emulator.admin.events() if event["id"] == STANDUP)
    first = parse_aware_datetime(event["start_time"], "start_time").astimezone(NEW_YORK)
    excluded = {
        datetime.strptime(line.rsplit(":", 1)[1], "%Y%m%dT%H%M%S").replace(tzinfo=NEW_YORK)
        for line in event["raw"]["recurrence"]
        if line.startswith("EXDATE;TZID=America/New_York:")
    }
    assert excluded, "the demo stand-up lost its EXDATE"
    dates = []
    # Wall-clock days in New York, so that 09:00 stays 09:00 across a DST change.
    day = first
    while day < end:
        if day >= start and day not in excluded:
            dates.append(day.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        day = (day.replace(tzinfo=None) + timedelta(days=7)).replace(tzinfo=NEW_YORK)
    return dates


def held(emulator) -> list[tuple]:
    """Every schedule the emulator holds, as comparable tuples."""
    return sorted(
        (s["event_id"], s["occurrence_date"], s["bot_id"], s["schedule_id"], s["deduplication_key"])
        for s in emulator.admin.state()["schedules"]
    )


class TestExpand:
    # Two Wednesdays whose next 20 Mondays cross a US DST change: spring forward on 14 March 2027,
    # fall back on 7 November 2027.
    @pytest.mark.parametrize(
        "meetstream_frozen_now",
        [
            pytest.param(datetime(2027, 1, 13, 10, 0, tzinfo=timezone.utc), id="before-spring-forward"),
            pytest.param(datetime(2027, 9, 15, 10, 0, tzinfo=timezone.utc), id="before-fall-back"),
        ],
        indirect=True,
    )
    def test_reads_the_series_from_the_event(self, meetstream_frozen_now) -> None:
        op = ExpandRecurringEventOperator(
            task_id="x", event_id=STANDUP, deduplication_key="standup", occurrence_limit=20
        )
        items = op.execute({})
        now = meetstream_frozen_now.now
        expected = standup_mondays(meetstream_frozen_now.emulator, now, now + timedelta(weeks=30))[:20]
        dates = [item["occurrence_date"] for item in items]
        assert dates == expected
        assert all(item["event_id"] == STANDUP for item in items)
        assert all(item["deduplication_key"] == f"standup:{item['occurrence_date']}" for item in items)
        # 09:00 New York is 14:00Z in winter and 13:00Z in summer: these 20 weeks cross a DST change.
        assert {date[11:16] for date in dates} == {"13:00", "14:00"}
        # The demo calendar's EXDATE leaves a two-week gap.
        gaps = {
            round((parse_aware_datetime(b, "b") - parse_aware_datetime(a, "a")).total_seconds() / 86400)
            for a, b in pairwise(dates)
        }
        assert gaps == {7, 14}

    def test_explicit_rule_needs_no_lookup(self, meetstream_conn_env) -> None:
        meetstream_conn_env.admin.clear_requests()
        op = ExpandRecurringEventOperator(
            task_id="x",
            event_id="evt_any",
            deduplication_key="k",
            recurrence=["RRULE:FREQ=DAILY;COUNT=5"],
            start="2031-03-01T09:00:00+01:00",
            timezone="Europe/Paris",
            window_start="2031-03-02T00:00:00Z",
        )
        assert [item["occurrence_date"] for item in op.execute({})] == [
            "2031-03-02T08:00:00Z",
            "2031-03-03T08:00:00Z",
            "2031-03-04T08:00:00Z",
            "2031-03-05T08:00:00Z",
        ]
        assert meetstream_conn_env.admin.requests() == []

    def test_graph_series(self, meetstream_conn_env) -> None:
        items = ExpandRecurringEventOperator(
            task_id="x", event_id=TEAMS, deduplication_key="r", occurrence_limit=6
        ).execute({})
        for item in items:
            day = parse_aware_datetime(item["occurrence_date"], "occurrence_date")
            assert day.weekday() == 0
            assert day.day <= 7  # the first Monday of its month

    def test_a_series_with_no_occurrence_in_the_next_four_weeks_is_found(self, meetstream_frozen_now) -> None:
        # MeetStream's default listing window is four weeks; a series is listed in a window only
        # when one of its occurrences falls there. Each 13 March: the next is two months away.
        now = meetstream_frozen_now.now
        first = now.replace(month=3, day=13, hour=15, minute=0, second=0, microsecond=0)
        yearly = {
            "id": "evt_yearly",
            "start_time": (first - timedelta(days=365)).isoformat(),
            "end_time": (first - timedelta(days=365, minutes=-30)).isoformat(),
            "meeting_url": "https://meet.google.com/yearly",
            "raw": {"summary": "Yearly review", "recurrence": ["RRULE:FREQ=YEARLY"]},
        }
        meetstream_frozen_now.emulator.admin.load_events([yearly], replace=False)
        items = ExpandRecurringEventOperator(
            task_id="x", event_id="evt_yearly", deduplication_key="y", occurrence_limit=2
        ).execute({})
        assert [item["occurrence_date"][:10] for item in items] == [
            f"{first.year}-03-13",
            f"{first.year + 1}-03-13",
        ]

    def test_a_series_every_other_year_is_found(self, meetstream_frozen_now) -> None:
        # Its next occurrence is 20 months away: past the first, year-long lookup.
        now = meetstream_frozen_now.now
        first = now.replace(year=now.year - 1, month=9, day=1, hour=15, minute=0, second=0, microsecond=0)
        biennial = {
            "id": "evt_biennial",
            "start_time": first.isoformat(),
            "end_time": (first + timedelta(minutes=30)).isoformat(),
            "meeting_url": "https://meet.google.com/biennial",
            "raw": {"summary": "Biennial review", "recurrence": ["RRULE:FREQ=YEARLY;INTERVAL=2"]},
        }
        meetstream_frozen_now.emulator.admin.load_events([biennial], replace=False)
        items = ExpandRecurringEventOperator(
            task_id="x", event_id="evt_biennial", deduplication_key="b", occurrence_limit=1
        ).execute({})
        assert [item["occurrence_date"][:10] for item in items] == [f"{first.year + 2}-09-01"]

    def test_not_recurring(self, meetstream_conn_env) -> None:
        with pytest.raises(MeetStreamInputError, match="not a recurring event"):
            ExpandRecurringEventOperator(
                task_id="x", event_id="evt_demo_zoom_sync", deduplication_key="k"
            ).execute({})

    def test_each_item_schedules(self, meetstream_conn_env) -> None:
        items = ExpandRecurringEventOperator(
            task_id="x", event_id=STANDUP, deduplication_key="s", occurrence_limit=3
        ).execute({})
        answers = [ScheduleEventOperator(task_id=f"s{i}", **item).execute({}) for i, item in enumerate(items)]
        assert len({answer["bot_id"] for answer in answers}) == 3
        assert [s[1] for s in held(meetstream_conn_env)] == sorted(
            item["occurrence_date"].replace("Z", "+00:00") for item in items
        )


def load_open_ended_weekly(emulator) -> str:
    """The demo stand-up without its end, so that 52 occurrences exist."""
    standup = next(event for event in emulator.admin.events() if event["id"] == STANDUP)
    raw = {**standup["raw"], "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"]}
    emulator.admin.load_events([{**standup, "id": "evt_weekly_no_end", "raw": raw}], replace=False)
    return "evt_weekly_no_end"


class TestScheduleRecurring:
    def test_client_mode_schedules_each_occurrence(self, meetstream_conn_env) -> None:
        event_id = load_open_ended_weekly(meetstream_conn_env)
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id=event_id, deduplication_key="bulk", occurrence_limit=52
        )
        report = op.execute({})
        assert report["event_id"] == event_id
        assert report["total_occurrences"] == report["occurrences_scheduled"] == 52
        assert report["occurrences_failed"] == 0
        assert report["failed_occurrences"] == []
        created = report["schedules_created"]
        assert [item["occurrence_date"] for item in created] == sorted(
            item["occurrence_date"] for item in created
        )
        assert set(created[0]) == {"occurrence_date", "bot_id", "schedule_id", "scheduled_time"}
        assert len({item["bot_id"] for item in created}) == 52
        assert len(held(meetstream_conn_env)) == 52
        # Eight threads share the hook's pool: a handful of connections, not 52.
        assert meetstream_conn_env.admin.connections()["api_connections"] <= 8

    def test_running_twice_duplicates_nothing(self, meetstream_conn_env) -> None:
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id=STANDUP, deduplication_key="twice", occurrence_limit=10
        )
        first = op.execute({})
        before = held(meetstream_conn_env)
        second = op.execute({})
        assert held(meetstream_conn_env) == before
        assert len(before) == 10
        assert second["schedules_created"] == first["schedules_created"]

    def test_partial_failure_then_rerun(self, meetstream_conn_env, capsys) -> None:
        emulator = meetstream_conn_env
        # Three schedule POSTs fail for good (each answers 400 once; 400 is never retried).
        emulator.admin.set_faults(
            sequence=["ok", 400, "ok", "ok", 400, 400],
            method="POST",
            path_prefix="/api/v1/calendar/schedule/",
        )
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id=STANDUP, deduplication_key="partial", occurrence_limit=12, max_concurrency=1
        )
        with pytest.raises(MeetStreamError) as caught:
            op.execute({})
        assert "3 of 12 occurrence(s)" in str(caught.value)
        assert len(held(emulator)) == 9
        emulator.admin.clear_faults()
        report = op.execute({})
        assert report["occurrences_scheduled"] == 12
        assert report["occurrences_failed"] == 0
        schedules = held(emulator)
        assert len(schedules) == 12
        assert len({s[4] for s in schedules}) == 12  # one deduplication key per occurrence, no duplicates
        assert "scheduled 12/12" in capsys.readouterr().out

    def test_progress_every_tenth_and_retries_name_their_occurrence(
        self, meetstream_conn_env, capsys
    ) -> None:
        emulator = meetstream_conn_env
        event_id = load_open_ended_weekly(emulator)
        # The third POST answers 503 once (retried), and from the 40th each fails for good.
        emulator.admin.set_faults(sequence=["ok", "ok", 503, *["ok"] * 37, *[400] * 12], method="POST")
        op = ScheduleRecurringEventOperator(
            task_id="b",
            event_id=event_id,
            deduplication_key="progress",
            occurrence_limit=52,
            max_concurrency=1,
        )
        with pytest.raises(MeetStreamError) as caught:
            op.execute({})
        out = capsys.readouterr().out
        progress = [line for line in out.splitlines() if "scheduled " in line and "/52" in line]
        assert 10 <= len(progress) <= 11
        assert "scheduled 40/52 (12 failed, 0 skipped)" in progress[-1]
        retries = [line for line in out.splitlines() if "retrying in" in line]
        assert len(retries) == 1
        assert "(occurrence " in retries[0]
        assert "each request tried up to 5 time(s)" in str(caught.value)

    def test_allow_partial_failure_reports_which(self, meetstream_conn_env) -> None:
        meetstream_conn_env.admin.set_faults(sequence=[400], method="POST")
        op = ScheduleRecurringEventOperator(
            task_id="b",
            event_id=STANDUP,
            deduplication_key="p",
            occurrence_limit=4,
            max_concurrency=1,
            allow_partial_failure=True,
        )
        report = op.execute({})
        assert (report["occurrences_scheduled"], report["occurrences_failed"]) == (3, 1)
        failed = report["failed_occurrences"][0]
        assert failed["occurrence_date"].endswith("Z")
        assert "400" in failed["error"]

    def test_retries_under_injected_errors(self, meetstream_conn_env) -> None:
        meetstream_conn_env.admin.set_faults(
            probability=0.3, statuses=[503, 429, "drop"], seed=5, retry_after=0, method="POST"
        )
        # One thread, so that the seeded outcomes reach the requests in one order: with eight, which
        # occurrence met which outcome hung on arrival order, and now and then one met five
        # failures in a row and ran out of attempts. Seed 5 fails 17 of the first 37 POSTs, each
        # status at least twice, and never five in a row (seed 7 did, at the eighth occurrence).
        report = ScheduleRecurringEventOperator(
            task_id="b", event_id=STANDUP, deduplication_key="r", occurrence_limit=20, max_concurrency=1
        ).execute({})
        assert report["occurrences_scheduled"] == 20
        assert len(held(meetstream_conn_env)) == 20
        faults = meetstream_conn_env.admin.faults()
        assert (faults["matched"], faults["injected"]) == (37, 17)

    def test_409_mode_counts_existing_as_scheduled(self, meetstream_conn_env) -> None:
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id=STANDUP, deduplication_key="c", occurrence_limit=5
        )
        op.execute({})
        meetstream_conn_env.admin.set_config(conflict_mode="409")
        report = op.execute({})
        assert report["occurrences_scheduled"] == 5
        assert len(held(meetstream_conn_env)) == 5

    def test_window_end(self, meetstream_frozen_now) -> None:
        now = meetstream_frozen_now.now
        op = ScheduleRecurringEventOperator(
            task_id="b",
            event_id=STANDUP,
            deduplication_key="w",
            window_start=now,
            window_end=now + timedelta(days=28),
        )
        report = op.execute({})
        # Four Mondays, one of them the EXDATE.
        expected = standup_mondays(meetstream_frozen_now.emulator, now, now + timedelta(days=28))
        assert len(expected) == 3
        assert report["total_occurrences"] == 3
        assert [item["occurrence_date"] for item in report["schedules_created"]] == expected

    def test_server_mode(self, meetstream_conn_env) -> None:
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id=TEAMS, deduplication_key="srv", occurrence_limit=6, mode="server"
        )
        report = op.execute({})
        assert report["total_occurrences"] == report["occurrences_scheduled"] == 6
        assert len(report["schedules_created"]) == 6
        assert len(held(meetstream_conn_env)) == 6
        posts = [r for r in meetstream_conn_env.admin.requests() if r["method"] == "POST"]
        assert len(posts) == 1
        assert posts[0]["body"] == {
            "deduplication_key": "srv",
            "bot_config": {},
            "schedule_all_occurrences": True,
            "occurrence_limit": 6,
        }

    def test_client_and_server_agree(self, meetstream_frozen_now) -> None:
        client = ScheduleRecurringEventOperator(
            task_id="c", event_id=TEAMS, deduplication_key="a", occurrence_limit=8
        ).execute({})
        meetstream_frozen_now.reset()
        server = ScheduleRecurringEventOperator(
            task_id="s", event_id=TEAMS, deduplication_key="a", occurrence_limit=8, mode="server"
        ).execute({})

        def instants(report: dict) -> list[datetime]:
            return [
                datetime.fromisoformat(item["occurrence_date"].replace("Z", "+00:00"))
                for item in report["schedules_created"]
            ]

        assert instants(client) == instants(server)
        assert all(moment > meetstream_frozen_now.now for moment in instants(client))


def test_hook_pool_is_sized_for_the_threads(meetstream_conn_env, monkeypatch) -> None:
    sizes: list[int] = []
    original = MeetStreamHook.__init__

    def spy(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        sizes.append(self.pool_maxsize)

    monkeypatch.setattr(MeetStreamHook, "__init__", spy)
    ScheduleRecurringEventOperator(
        task_id="b", event_id=STANDUP, deduplication_key="p", occurrence_limit=2, max_concurrency=24
    ).execute({})
    assert sizes == [24]
