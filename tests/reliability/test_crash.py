"""A worker killed part-way through the bulk operator, then the task retried: none missing or twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import datetime, timezone

import pytest

from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator

SERIES = "evt_demo_standup_weekly"
OCCURRENCES = 30
KEY = "crash"
#: The worker is killed once this many schedules are in, well before all of them.
KILL_AFTER = 8

#: One task run of the bulk operator, in a process of its own, slowed so that it can be caught.
WORKER = textwrap.dedent(
    """
    import sys
    from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator

    ScheduleRecurringEventOperator(
        task_id="bulk", event_id=sys.argv[1], deduplication_key=sys.argv[2],
        occurrence_limit=int(sys.argv[3]), window_start=sys.argv[4], max_concurrency=2,
    ).execute({})
    print("finished", flush=True)
    """
)


def occurrence(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


@pytest.mark.parametrize("mode", ["update", "409"])
def test_a_killed_worker_leaves_nothing_missing_and_nothing_twice(
    meetstream_frozen_now, figures, mode: str
) -> None:
    admin = meetstream_frozen_now.emulator.admin
    admin.set_config(conflict_mode=mode)
    start = meetstream_frozen_now.now.isoformat()
    # Each schedule takes 100 ms, so the 30 take 1.5 s on two threads: time to kill it part-way.
    admin.set_faults(latency_ms=100, method="POST")
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, SERIES, KEY, str(OCCURRENCES), start],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(admin.state()["schedules"]) < KILL_AFTER:
            assert worker.poll() is None, "the worker ended before it could be killed"
            assert time.monotonic() < deadline, "the worker scheduled nothing within 60 s"
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    assert worker.returncode == -signal.SIGKILL
    assert b"finished" not in (worker.stdout.read() if worker.stdout else b"")
    # The killed worker's last requests may still sit in the emulator's injected latency: let them
    # land now, in this test, rather than in the re-run's count or the next test's state.
    deadline = time.monotonic() + 10
    while any(entry["status"] is None for entry in admin.requests()):
        assert time.monotonic() < deadline, "the killed worker's requests never finished"
        time.sleep(0.02)
    before = admin.state()["schedules"]
    figures("conflict mode", mode)
    figures("schedules in when killed", len(before))
    assert KILL_AFTER <= len(before) < OCCURRENCES

    admin.clear_faults()
    report = ScheduleRecurringEventOperator(
        task_id="bulk",
        event_id=SERIES,
        deduplication_key=KEY,
        occurrence_limit=OCCURRENCES,
        window_start=start,
    ).execute({})

    state = admin.state()
    held = Counter(occurrence(s["occurrence_date"]) for s in state["schedules"])
    expected = {occurrence(item["occurrence_date"]) for item in report["schedules_created"]}
    live = Counter(bot["deduplication_key"] for bot in state["bots"] if bot["status"] != "Cancelled")
    missing = len(expected - set(held))
    twice = sum(n - 1 for n in held.values()) + sum(n - 1 for n in live.values())
    figures("schedules after the re-run", len(state["schedules"]))
    figures("missing", missing)
    figures("twice", twice)
    assert report["occurrences_scheduled"] == report["total_occurrences"] == OCCURRENCES
    assert (missing, twice) == (0, 0)
    assert set(held) == expected
    # The schedules made before the kill are the ones the re-run reports: updated, never replaced.
    kept = {s["schedule_id"] for s in before}
    assert kept <= {item["schedule_id"] for item in report["schedules_created"]}
