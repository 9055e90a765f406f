"""A workspace shared with other teams: one bot per meeting whoever made it, at any number of bots."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from calendar_events import event, in_two_calendars

from airflow_provider_meetstream.exceptions import MeetStreamOtherBotError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.utils import calendar_sync as plan_module

LEAD = timedelta(minutes=3)
WRITES = ("POST", "PATCH", "DELETE")
SALES = "sales-tool:customer-call"

pytestmark = pytest.mark.usefixtures("no_waits")


def sync(sync_id: str = "team-a.sync", **kwargs) -> dict:
    kwargs.setdefault("lookahead", timedelta(days=1))
    return SyncCalendarBotsOperator(task_id="sync", sync_id=sync_id, **kwargs).execute({})


def bots_by_status(emulator) -> dict[str, str]:
    return {bot["bot_id"]: bot["status"] for bot in emulator.admin.state()["bots"]}


def live(emulator) -> dict[str, dict]:
    """The bots that will join, by key."""
    return {b["deduplication_key"]: b for b in emulator.admin.state()["bots"] if b["status"] == "Scheduled"}


def requests(emulator) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.admin.requests()]


@pytest.fixture
def calendar(meetstream_frozen_now):
    now = meetstream_frozen_now.now
    meetstream_frozen_now.emulator.admin.load_events(
        [event("evt_call", now + timedelta(hours=3)), event("evt_review", now + timedelta(hours=5))]
    )
    return meetstream_frozen_now


@pytest.mark.parametrize("conflict_mode", ["update", "409"])
def test_another_owners_bot_on_a_selected_meeting_is_left_alone(
    calendar, conflict_mode: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = calendar.emulator
    emulator.admin.set_config(conflict_mode=conflict_mode)
    theirs = MeetStreamHook().schedule_event("evt_call", deduplication_key=SALES)["bot_id"]
    emulator.admin.clear_requests()
    for added in (1, 0):
        report = sync()
        assert report["counts"] == {
            "add": added,
            "move": 0,
            "cancel": 0,
            "keep": 2 - added,
            "skip": 0,
            "failed": 0,
        }
        kept = {item["event_id"]: item for item in report["kept"]}["evt_call"]
        assert kept["bot_id"] == theirs
        assert kept["reason"] == f"recorded by another owner's bot (key {SALES!r})"
    # Airflow 2 logs through logging, Airflow 3 through structlog to the console.
    assert f"recorded by another owner's bot (key {SALES!r})" in caplog.text + capsys.readouterr().out
    assert bots_by_status(emulator)[theirs] == "Scheduled"
    assert [path for method, path in requests(emulator) if method in WRITES] == [
        "/api/v1/calendar/schedule/evt_review"
    ]
    assert "Cancelled" not in bots_by_status(emulator).values()


@pytest.mark.parametrize("conflict_mode", ["update", "409"])
def test_take_over_replaces_the_other_owners_bot(calendar, conflict_mode: str) -> None:
    emulator = calendar.emulator
    emulator.admin.set_config(conflict_mode=conflict_mode)
    theirs = MeetStreamHook().schedule_event("evt_call", deduplication_key=SALES)["bot_id"]
    report = sync(take_over=True)
    assert report["counts"]["add"] == 2
    (taken,) = [item for item in report["added"] if item["event_id"] == "evt_call"]
    assert taken["reason"] == f"taken over from another owner's bot (key {SALES!r})"
    assert bots_by_status(emulator)[theirs] == "Cancelled"
    assert sorted(live(emulator)) == sorted(item["deduplication_key"] for item in report["added"])


def test_take_over_of_a_bot_on_a_copy_of_the_meeting_in_another_calendar(calendar) -> None:
    # MeetStream's override replaces a bot on the same event only: the sync deletes theirs first.
    emulator = calendar.emulator
    start = calendar.now + timedelta(hours=8)
    emulator.admin.load_events(in_two_calendars("evt_copy", start), replace=False)
    theirs = MeetStreamHook().schedule_event("evt_copy_b", deduplication_key=SALES)["bot_id"]
    kept = sync(title_pattern="sync")
    assert {item["event_id"]: item["bot_id"] for item in kept["kept"]}["evt_copy_a"] == theirs
    taken = sync(title_pattern="sync", take_over=True)
    assert [item["event_id"] for item in taken["added"]] == ["evt_copy_a"]
    assert bots_by_status(emulator)[theirs] == "Cancelled"
    assert [b["event_id"] for b in emulator.admin.state()["bots"] if b["status"] == "Scheduled"].count(
        "evt_copy_a"
    ) == 1


def test_a_sync_id_holding_the_key_separator_is_refused() -> None:
    # "crm" owns the keys starting "crm|": a sync "crm|eu" would have its bots taken for them.
    from airflow_provider_meetstream.exceptions import MeetStreamInputError

    with pytest.raises(MeetStreamInputError, match="sync_id"):
        SyncCalendarBotsOperator(task_id="sync", sync_id="crm|eu")


def test_a_series_key_switched_between_modes_counts_its_bots_as_its_own(meetstream_frozen_now) -> None:
    from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator

    def bulk(mode: str) -> dict:
        return ScheduleRecurringEventOperator(
            task_id="b",
            event_id="evt_demo_standup_weekly",
            deduplication_key="ours",
            occurrence_limit=3,
            mode=mode,
        ).execute({})

    assert bulk("client")["occurrences_scheduled"] == 3
    assert bulk("server")["occurrences_scheduled"] == 3
    assert bulk("client")["occurrences_skipped"] == 0


def test_a_409_naming_another_owners_bot_keeps_the_meeting(calendar, monkeypatch: pytest.MonkeyPatch) -> None:
    # The other owner schedules between the sync's read and its write: the plan says add, and
    # MeetStream answers 409 (in update mode it would displace, which the read is there to avoid).
    emulator = calendar.emulator
    emulator.admin.set_config(conflict_mode="409")
    real_plan = plan_module.plan
    theirs: list[str] = []

    def plan_then_race(*args, **kwargs):
        actions = real_plan(*args, **kwargs)
        theirs.append(MeetStreamHook().schedule_event("evt_call", deduplication_key=SALES)["bot_id"])
        return actions

    monkeypatch.setattr(plan_module, "plan", plan_then_race)
    report = sync()
    assert report["counts"] == {"add": 1, "move": 0, "cancel": 0, "keep": 1, "skip": 0, "failed": 0}
    (kept,) = report["kept"]
    assert (kept["bot_id"], kept["reason"]) == (theirs[0], f"recorded by another owner's bot (key {SALES!r})")
    assert bots_by_status(emulator)[theirs[0]] == "Scheduled"


def test_two_syncs_with_different_ids_over_one_window(calendar) -> None:
    emulator = calendar.emulator
    first = sync("team-a.sync")
    second = sync("team-b.sync")
    assert first["counts"]["add"] == 2
    assert second["counts"] == {"add": 0, "move": 0, "cancel": 0, "keep": 2, "skip": 0, "failed": 0}
    assert {item["bot_id"] for item in second["kept"]} == set(first["bot_ids"])
    emulator.admin.clear_requests()
    for sync_id in ("team-a.sync", "team-b.sync", "team-a.sync"):
        assert sync(sync_id)["counts"]["keep"] == 2
    assert [request for request in requests(emulator) if request[0] in WRITES] == []
    assert sorted(live(emulator)) == sorted(item["deduplication_key"] for item in first["added"])
    assert "Cancelled" not in bots_by_status(emulator).values()


class TestASyncAndASingleEventSchedule:
    def test_the_dag_first_then_the_sync(self, calendar) -> None:
        emulator = calendar.emulator
        ours = ScheduleEventOperator(
            task_id="t", event_id="evt_call", deduplication_key="review-dag"
        ).execute({})
        report = sync()
        assert [item["bot_id"] for item in report["kept"]] == [ours["bot_id"]]
        assert bots_by_status(emulator)[ours["bot_id"]] == "Scheduled"

    @pytest.mark.parametrize("conflict_mode", ["update", "409"])
    def test_the_sync_first_then_the_dag(self, calendar, conflict_mode: str) -> None:
        emulator = calendar.emulator
        emulator.admin.set_config(conflict_mode=conflict_mode)
        added = {item["event_id"]: item for item in sync()["added"]}["evt_call"]
        emulator.admin.clear_requests()
        task = {"task_id": "t", "event_id": "evt_call", "deduplication_key": "review-dag"}
        with pytest.raises(MeetStreamOtherBotError) as caught:
            ScheduleEventOperator(**task).execute({})
        assert (caught.value.bot_id, caught.value.deduplication_key) == (
            added["bot_id"],
            added["deduplication_key"],
        )
        assert added["deduplication_key"] in str(caught.value)
        assert [method for method, _ in requests(emulator)] == ["GET"]
        skipped = ScheduleEventOperator(**task, if_other_bot="skip").execute({})
        assert (skipped["skipped"], skipped["bot_id"]) == (True, added["bot_id"])
        assert bots_by_status(emulator)[added["bot_id"]] == "Scheduled"
        replaced = ScheduleEventOperator(**task, if_other_bot="replace").execute({})
        assert bots_by_status(emulator)[added["bot_id"]] == "Cancelled"
        assert live(emulator)["review-dag"]["bot_id"] == replaced["bot_id"]


class TestOverlappingRunsOfOneSync:
    """Two runs that both read before either writes: both succeed, and leave one right state."""

    @staticmethod
    def both(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
        barrier = threading.Barrier(2, timeout=30)
        real_plan = plan_module.plan

        def plan_together(*args, **kwargs):
            actions = real_plan(*args, **kwargs)
            barrier.wait()
            return actions

        monkeypatch.setattr(plan_module, "plan", plan_together)
        reports: list[dict] = []
        errors: list[BaseException] = []

        def run() -> None:
            task = SyncCalendarBotsOperator(
                task_id="sync", sync_id="team-a.sync", lookahead=timedelta(days=1)
            )
            # Airflow 2 wraps execute in a guard that keeps its state in the main thread's locals;
            # two runs of a task are two processes in a deployment, two threads here.
            execute = getattr(type(task).execute, "__wrapped__", type(task).execute)
            try:
                reports.append(execute(task, {}))
            except BaseException as err:
                errors.append(err)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        return reports

    def test_cancel_against_cancel(self, calendar, monkeypatch: pytest.MonkeyPatch) -> None:
        emulator = calendar.emulator
        key = {item["event_id"]: item for item in sync()["added"]}["evt_call"]["deduplication_key"]
        emulator.admin.delete_event("evt_call", drop_schedules=False)
        reports = self.both(monkeypatch)
        assert [report["counts"]["cancel"] for report in reports] == [1, 1]
        reasons = sorted(report["cancelled"][0]["reason"] for report in reports)
        assert reasons == [
            "the meeting was cancelled",
            "the meeting was cancelled (the bot was already gone)",
        ]
        assert key not in live(emulator)
        assert len(live(emulator)) == 1

    def test_move_against_move(self, calendar, monkeypatch: pytest.MonkeyPatch) -> None:
        emulator = calendar.emulator
        bot_id = {item["event_id"]: item for item in sync()["added"]}["evt_call"]["bot_id"]
        new_start = calendar.now + timedelta(hours=4)
        emulator.admin.move_event("evt_call", new_start)
        reports = self.both(monkeypatch)
        assert [report["counts"]["move"] for report in reports] == [1, 1]
        assert {bot["bot_id"]: bot["scheduled_join_time"] for bot in live(emulator).values()}[bot_id] == (
            (new_start - LEAD).isoformat()
        )
        assert len(live(emulator)) == 2


@pytest.mark.parametrize("size", [130, 300])
def test_past_one_page_of_scheduled_bots(meetstream_frozen_now, size: int) -> None:
    """The sync's own bots fill pages of the scheduled list; moves, adds and cancels stay right."""
    emulator, now = meetstream_frozen_now.emulator, meetstream_frozen_now.now
    step = timedelta(seconds=23 * 3600 // size)
    starts = {f"evt_{i:03d}": now + timedelta(minutes=30) + i * step for i in range(size)}
    emulator.admin.load_events([event(event_id, start) for event_id, start in starts.items()])
    first = sync(max_concurrency=16)
    assert first["counts"]["add"] == size
    # Calendar changes all over the window, beyond the scheduled list's first page too.
    ids = sorted(starts)
    moved, deleted, cancelled = ids[5::40], ids[17::40], ids[29::40]
    for event_id in moved:
        starts[event_id] += timedelta(minutes=7)
        emulator.admin.move_event(event_id, starts[event_id])
    for event_id in deleted:
        emulator.admin.delete_event(event_id, drop_schedules=False)
    cancelled_events = [event(e, starts[e]) for e in cancelled]
    for item in cancelled_events:
        item["raw"]["status"] = "cancelled"
    added = {f"evt_new_{i}": now + timedelta(hours=2, minutes=i) for i in range(4)}
    emulator.admin.load_events(cancelled_events + [event(e, s) for e, s in added.items()], replace=False)
    emulator.admin.clear_requests()
    report = sync(max_concurrency=16)
    assert report["truncated"] is True
    assert (report["counts"]["move"], report["counts"]["add"], report["counts"]["failed"]) == (
        len(moved),
        len(added),
        0,
    )
    assert report["counts"]["cancel"] == len(deleted) + len(cancelled)
    # Every meeting still in the calendar has exactly one waiting bot, at its join time, and
    # nothing else waits; no bot was confirmed one by one.
    expected = {
        event_id: (start - LEAD).isoformat()
        for event_id, start in {**starts, **added}.items()
        if event_id not in deleted and event_id not in cancelled
    }
    waiting = [b for b in emulator.admin.state()["bots"] if b["status"] == "Scheduled"]
    assert Counter(b["event_id"] for b in waiting) == Counter(list(expected))
    assert {b["event_id"]: b["scheduled_join_time"] for b in waiting} == expected
    assert not [path for _, path in requests(emulator) if path.endswith("/status")]
    # An idle run reads the events' pages and one scheduled list, nothing else.
    emulator.admin.clear_requests()
    idle = sync()
    assert idle["counts"] == {"add": 0, "move": 0, "cancel": 0, "keep": len(expected), "skip": 0, "failed": 0}
    listed = size + len(added)
    pages = -(-listed // 100)
    assert Counter(requests(emulator)) == Counter(
        [("GET", "/api/v1/calendar/events")] * pages + [("GET", "/api/v1/calendar/scheduled")]
    )
