"""
The operators under 30% mixed faults, then their Airflow-style retries (issue 11).

Each case runs one operator against the emulator with 30% of its API requests failing (500, 502,
503, 429 with Retry-After, a dropped connection, an answer lost after the action, a dripped body),
re-running it like Airflow's task retries until it succeeds (at most ``MAX_TRIES`` tries), for
five seeds and both conflict modes. What it must leave: the schedules a fault-free run leaves,
no two live bots for one meeting or one key, and an XCom that says what the emulator holds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest

from airflow_provider_meetstream.exceptions import MeetStreamError
from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.operators.recurring import (
    ExpandRecurringEventOperator,
    ScheduleRecurringEventOperator,
)

SEEDS = (101, 202, 303, 404, 505)
MODES = ("update", "409")
MIXED: list[int | str] = [500, 502, 503, 429, "drop", "act_then_drop", "drip"]
PROBABILITY = 0.3
DRIP_MS = 150
#: Airflow-style tries of one operator: the first run and its retries.
MAX_TRIES = 10
#: The hook's attempts per request, fewer than its default of 5, so that some requests do fail for
#: good and the operators' own retries are put to work too.
HOOK_ATTEMPTS = 3
SERIES = "evt_demo_standup_weekly"
OCCURRENCES = 10
T = TypeVar("T")

pytestmark = pytest.mark.usefixtures("no_waits", "few_attempts")


@pytest.fixture
def few_attempts(meetstream_frozen_now, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = json.loads(meetstream_frozen_now.emulator.airflow_conn_json())
    monkeypatch.setenv(
        "AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps({**conn, "extra": {"max_retries": HOOK_ATTEMPTS}})
    )


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def with_retries(run: Callable[[], T]) -> tuple[T, int]:
    """Run like Airflow: again after each failure, at most MAX_TRIES times; the result and the tries."""
    for attempt in range(1, MAX_TRIES + 1):
        try:
            return run(), attempt
        except MeetStreamError as error:
            print(f"    try {attempt} failed: {str(error)[:160]}")
    raise AssertionError(f"still failing after {MAX_TRIES} tries")


def live_duplicates(state: dict[str, Any]) -> int:
    """Live bots beyond the first for one meeting (event, occurrence) or one deduplication key."""
    live = [bot for bot in state["bots"] if bot["status"] != "Cancelled"]
    by_key = Counter(bot["deduplication_key"] for bot in live)
    by_meeting = Counter((bot["event_id"], bot["occurrence_date"]) for bot in live)
    return sum(n - 1 for n in by_key.values()) + sum(n - 1 for n in by_meeting.values())


class Faults:
    """30% mixed faults under a seed, and what they did, read from the emulator."""

    def __init__(self, admin: Any, seed: int) -> None:
        self.admin = admin
        admin.clear_requests()
        admin.set_faults(probability=PROBABILITY, statuses=MIXED, seed=seed, retry_after=1, drip_ms=DRIP_MS)

    def report(self, figures: Any, tries: int) -> None:
        plan = self.admin.faults()
        log = self.admin.requests()
        self.admin.clear_faults()
        lost = sum(entry["status"] == "act_then_drop" for entry in log)
        figures("requests", len(log))
        figures("faults injected", plan["injected"])
        figures("faults by kind", plan["injected_by_kind"])
        figures("lost answers (acted, then dropped)", lost)
        figures("operator tries", tries)
        SUMMARY["operator retries"] += tries - 1
        SUMMARY["requests"] += len(log)
        SUMMARY["faults injected"] += plan["injected"]
        SUMMARY["lost answers"] += lost
        for kind, count in plan["injected_by_kind"].items():
            SUMMARY[f"faults {kind}"] += count
        assert plan["injected"] > 0


#: Sums over the whole matrix, printed by the last test of this module.
SUMMARY: Counter[str] = Counter()


def held(state: dict[str, Any], event_id: str) -> list[tuple[datetime, str]]:
    return sorted(
        (instant(s["occurrence_date"]), s["deduplication_key"])
        for s in state["schedules"]
        if s["event_id"] == event_id
    )


def expected_occurrences(now: datetime) -> list[dict[str, str]]:
    return ExpandRecurringEventOperator(
        task_id="expand",
        event_id=SERIES,
        deduplication_key="reliability",
        occurrence_limit=OCCURRENCES,
        window_start=now.isoformat(),
    ).execute({})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", SEEDS)
def test_bulk_operator(meetstream_frozen_now, figures, seed: int, mode: str) -> None:
    admin = meetstream_frozen_now.emulator.admin
    admin.set_config(conflict_mode=mode)
    expected = expected_occurrences(meetstream_frozen_now.now)
    operator = ScheduleRecurringEventOperator(
        task_id="bulk",
        event_id=SERIES,
        deduplication_key="reliability",
        occurrence_limit=OCCURRENCES,
        window_start=meetstream_frozen_now.now.isoformat(),
        bot_config={"bot_name": "Reliability"},
        max_concurrency=4,
    )
    faults = Faults(admin, seed)
    report, tries = with_retries(lambda: operator.execute({}))
    faults.report(figures, tries)

    state = admin.state()
    want = sorted((instant(item["occurrence_date"]), item["deduplication_key"]) for item in expected)
    assert held(state, SERIES) == want
    duplicates = live_duplicates(state)
    figures("duplicates", duplicates)
    SUMMARY["duplicates"] += duplicates
    assert duplicates == 0
    # The XCom is what the emulator holds: one item per occurrence, with its bot and schedule.
    assert (report["total_occurrences"], report["occurrences_scheduled"], report["occurrences_failed"]) == (
        OCCURRENCES,
        OCCURRENCES,
        0,
    )
    xcom = sorted(
        (instant(i["occurrence_date"]), i["bot_id"], i["schedule_id"], instant(i["scheduled_time"]))
        for i in report["schedules_created"]
    )
    server = sorted(
        (instant(s["occurrence_date"]), s["bot_id"], s["schedule_id"], instant(s["scheduled_time"]))
        for s in state["schedules"]
    )
    assert xcom == server


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", SEEDS)
def test_mapped_dag_steps(meetstream_frozen_now, figures, seed: int, mode: str) -> None:
    """meetstream_recurring_mapped's two steps, the expansion and one ScheduleEventOperator per item."""
    admin = meetstream_frozen_now.emulator.admin
    admin.set_config(conflict_mode=mode)
    expected = expected_occurrences(meetstream_frozen_now.now)
    faults = Faults(admin, seed)
    items, expand_tries = with_retries(lambda: expected_occurrences(meetstream_frozen_now.now))
    assert items == expected
    xcoms: list[dict[str, Any]] = []
    tries = expand_tries
    for index, item in enumerate(items):
        mapped = ScheduleEventOperator(task_id=f"schedule_{index}", bot_config={"bot_name": "Mapped"}, **item)
        result, used = with_retries(lambda mapped=mapped: mapped.execute({}))
        xcoms.append(result)
        tries = max(tries, used)
    faults.report(figures, tries)

    state = admin.state()
    assert held(state, SERIES) == sorted(
        (instant(i["occurrence_date"]), i["deduplication_key"]) for i in expected
    )
    duplicates = live_duplicates(state)
    figures("duplicates", duplicates)
    SUMMARY["duplicates"] += duplicates
    assert duplicates == 0
    by_occurrence = {instant(s["occurrence_date"]): s for s in state["schedules"]}
    for item, xcom in zip(items, xcoms, strict=True):
        schedule = by_occurrence[instant(item["occurrence_date"])]
        assert (xcom["bot_id"], xcom["schedule_id"]) == (schedule["bot_id"], schedule["schedule_id"])
        assert instant(xcom["scheduled_time"]) == instant(schedule["scheduled_time"])


def sync_calendar(admin: Any, now: datetime) -> None:
    """Six meetings in the next two days, for the sync; the demo's others stay out of its pattern."""

    def meeting(event_id: str, hours: float) -> dict[str, Any]:
        start = now + timedelta(hours=hours)
        return {
            "id": event_id,
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(minutes=30)).isoformat(),
            "calendar_id": "cal_reliability",
            "platform": "google_calendar",
            "meeting_url": f"https://meet.google.com/{event_id[-3:]}-rel",
            "raw": {"summary": f"Reliability review {event_id}"},
        }

    admin.load_events([meeting(f"evt_rel_{n:03d}", 2 + 5 * n) for n in range(6)], replace=False)


def run_sync(admin: Any, now: datetime) -> tuple[dict[str, Any], int]:
    operator = SyncCalendarBotsOperator(
        task_id="sync",
        sync_id="reliability",
        window_start=now.isoformat(),
        lookahead=timedelta(days=2),
        title_pattern="reliability review",
        max_concurrency=4,
    )
    return with_retries(lambda: operator.execute({}))


def change_calendar(admin: Any, now: datetime) -> None:
    """One meeting moved an hour later, one deleted: the second sync moves one bot and cancels one."""
    admin.move_event("evt_rel_001", now + timedelta(hours=8), end_time=now + timedelta(hours=8, minutes=30))
    admin.delete_event("evt_rel_002", drop_schedules=False)


def live_bots(state: dict[str, Any]) -> list[tuple[str, str, datetime]]:
    return sorted(
        (bot["event_id"], bot["deduplication_key"], instant(bot["scheduled_join_time"]))
        for bot in state["bots"]
        if bot["status"] != "Cancelled"
    )


#: What the sync scenario leaves without faults, per conflict mode: computed once.
CLEAN_SYNC: dict[str, dict[str, Any]] = {}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", SEEDS)
def test_sync_operator(meetstream_frozen_now, figures, seed: int, mode: str) -> None:
    """A first sync adds six bots, the calendar changes, a second sync moves one and cancels one."""
    admin, now = meetstream_frozen_now.emulator.admin, meetstream_frozen_now.now

    def scenario(faulted: bool) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], int]:
        meetstream_frozen_now.reset()
        admin.set_config(conflict_mode=mode)
        sync_calendar(admin, now)
        faults = Faults(admin, seed) if faulted else None
        first, first_tries = run_sync(admin, now)
        change_calendar(admin, now)
        second, second_tries = run_sync(admin, now)
        if faults is not None:
            faults.report(figures, max(first_tries, second_tries))
        return first, second, admin.state(), first_tries + second_tries

    if mode not in CLEAN_SYNC:
        _, clean_second, CLEAN_SYNC[mode], _ = scenario(faulted=False)
        assert (clean_second["counts"]["move"], clean_second["counts"]["cancel"]) == (1, 1)
    clean_state = CLEAN_SYNC[mode]
    first, second, state, _ = scenario(faulted=True)

    assert live_bots(state) == live_bots(clean_state)
    duplicates = live_duplicates(state)
    figures("duplicates", duplicates)
    SUMMARY["duplicates"] += duplicates
    assert duplicates == 0
    # The last run's XCom names every live bot of the sync, and only those.
    listed = {item["bot_id"] for name in ("added", "moved", "kept") for item in second[name]}
    assert listed == {bot["bot_id"] for bot in state["bots"] if bot["status"] != "Cancelled"}
    assert second["failed"] == []
    assert first["counts"]["failed"] == 0


def test_matrix_totals(figures) -> None:
    """The sums over every case above (run last in this module)."""
    if not SUMMARY:
        pytest.fail("run with the matrix: the totals have nothing to sum")
    figures("seeds", list(SEEDS))
    figures("conflict modes", list(MODES))
    for name in sorted(SUMMARY):
        figures(name, SUMMARY[name])
    assert SUMMARY["duplicates"] == 0
    assert SUMMARY["operator retries"] > 0
    # Every kind of fault was injected somewhere, answers lost after acting included.
    assert {f"faults {kind}" for kind in MIXED} <= set(SUMMARY)
    assert SUMMARY["lost answers"] > 0
