"""`make bench`: time the provider's hot paths against the emulator and print a table (no assertions)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from harvest import harvest_rows, watcher_rows  # bench/harvest.py, beside this script
from triggerer import trigger_import_rows  # bench/triggerer.py

API_KEY = "bench-emulator-key"
SERIES = "evt_bench_weekly"
ROUNDS = 3
#: Where the docs take the last run's table from (docs/performance.md includes it).
DOCS_TABLE = Path(__file__).resolve().parent.parent / "docs" / "generated" / "benchmarks.md"


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    """The emulator in its own process, so its work does not share this process's GIL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "meetstream_emulator", "--port", "0", "--api-key", API_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if "ready on " not in line:
        process.kill()
        raise SystemExit(f"The emulator did not start: {line!r}")
    return process, line.split("ready on ", 1)[1].split()[0]


def load_series(admin: Any) -> None:
    """Reset the emulator and add an open-ended weekly series, so that 52 occurrences exist."""
    admin.reset()
    standup = next(event for event in admin.events() if event["id"] == "evt_demo_standup_weekly")
    raw = {**standup["raw"], "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"]}
    admin.load_events([{**standup, "id": SERIES, "raw": raw}], replace=False)


#: What an idle sync run may send at 1,000 meetings (issue 16): the events' pages and one list.
IDLE_SYNC_TARGET = 25


def calendar_of(admin: Any, count: int, *, shift_minutes: int = 0) -> list[dict[str, Any]]:
    """``count`` meetings spread over the next 23 hours, each its own event."""
    now = admin.now()
    step = 23 * 3600 // count
    return [
        {
            "id": f"evt_bench_{i:04d}",
            "start_time": (now + timedelta(minutes=30 + shift_minutes, seconds=i * step)).isoformat(),
            "end_time": (now + timedelta(minutes=60 + shift_minutes, seconds=i * step)).isoformat(),
            "calendar_id": "cal_bench",
            "ical_uid": f"bench-{i}@example.com",
            "meeting_url": f"https://meet.google.com/bench-{i}",
            "raw": {"id": f"g_bench_{i}", "summary": f"Customer sync {i}"},
        }
        for i in range(count)
    ]


def sync_rows(admin: Any) -> list[tuple[str, str, str, str]]:
    """An idle sync at 100, 300 and 1,000 meetings (requests counted), and a run that moves 50."""
    from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

    def sync() -> dict[str, Any]:
        operator = SyncCalendarBotsOperator(
            task_id="sync", sync_id="bench.sync", lookahead=timedelta(hours=24), max_concurrency=16
        )
        return operator.execute({})

    rows = []
    admin.clear_faults()
    for count in (100, 300, 1000):
        admin.reset()
        admin.load_events(calendar_of(admin, count))
        added = sync()["counts"]["add"]
        admin.clear_requests()
        seconds, mib, report = measure(sync)
        api = [r for r in admin.requests() if r["path"].startswith("/api/")]
        sent = len(api) // (ROUNDS + 1)
        writes = sum(1 for r in api if r["method"] != "GET")
        verdict = f"target <= {IDLE_SYNC_TARGET}: {'met' if sent <= IDLE_SYNC_TARGET else 'MISSED'}"
        if count != 1000:
            verdict = "reads only" if not writes else f"{writes} writes"
        rows.append(
            (
                f"sync, idle run over {count} meetings ({added} bots of its own)",
                f"{seconds:.3f} s",
                f"{mib:.2f}",
                f"{sent} requests, {writes} writes, {report['counts']['keep']} kept ({verdict})",
            )
        )
    admin.reset()
    admin.load_events(calendar_of(admin, 300))
    sync()
    moves = iter(range(1, 100))

    def move_fifty() -> None:
        moved = calendar_of(admin, 300, shift_minutes=next(moves))[::6]
        admin.load_events(moved, replace=False)

    for latency_ms in (0, 50):
        if latency_ms:
            admin.set_faults(latency_ms=latency_ms)
        seconds, mib, report = measure(sync, before=move_fifty)
        rows.append(
            (
                f"sync, a run that moves 50 of 300 meetings, +{latency_ms} ms/request",
                f"{seconds:.3f} s",
                f"{mib:.2f}",
                f"{report['counts']['move']} moved, {report['counts']['failed']} failed",
            )
        )
    admin.clear_faults()
    return rows


#: What a DAG file, a worker and the triggerer import: each timed in a fresh interpreter, after the
#: part of Airflow every one of them has loaded already.
IMPORTED = {
    "DAG file: the scheduling operators": "airflow_provider_meetstream.operators.meetstream",
    "DAG file: the calendar sync": "airflow_provider_meetstream.operators.calendar_sync",
    "DAG file: the scheduled-list sensor": "airflow_provider_meetstream.sensors.meetstream",
    "triggerer: a trigger module": "airflow_provider_meetstream.triggers.meetstream",
    "worker: the hook": "airflow_provider_meetstream.hooks.meetstream",
    "triggerer thread: the async client": "airflow_provider_meetstream.hooks.async_client",
}
IMPORT_CODE = (
    "import importlib, sys, time; import airflow.providers.common.compat.sdk; before = set(sys.modules); "
    "started = time.perf_counter(); importlib.import_module(sys.argv[1]); "
    "print(time.perf_counter() - started, len(set(sys.modules) - before))"
)
IMPORT_ROUNDS = 7


def import_rows() -> list[tuple[str, str, str, str]]:
    """Median import time of each entry of IMPORTED over IMPORT_ROUNDS fresh interpreters."""
    # Bytecode cached, as in a deployment: compiling the provider's sources is not its import cost.
    cache = tempfile.mkdtemp(prefix="meetstream-bench-pyc-")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    rows = []
    for what, module in IMPORTED.items():
        runs = [
            subprocess.run(
                [sys.executable, "-c", IMPORT_CODE, module],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout.split()
            for _ in range(IMPORT_ROUNDS + 1)
        ][1:]  # the first run writes the bytecode
        seconds = statistics.median(float(run[0]) for run in runs)
        rows.append(
            (
                f"import {what} ({IMPORT_ROUNDS} runs)",
                f"{seconds * 1000:.1f} ms",
                "-",
                f"{runs[0][1]} modules loaded",
            )
        )
    return rows


def measure(run: Callable[[], Any], before: Callable[[], Any] = lambda: None) -> tuple[float, float, Any]:
    """Median seconds over ROUNDS untraced runs, then peak memory (MiB) of one traced run, and its result."""
    times = []
    for _ in range(ROUNDS):
        before()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    before()
    tracemalloc.start()
    result = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20, result


def main() -> int:
    """Run every benchmark and print one row each."""
    home = tempfile.mkdtemp(prefix="meetstream-bench-")
    os.environ.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
        }
    )
    emulator, base_url = start_emulator()
    os.environ["AIRFLOW_CONN_MEETSTREAM_DEFAULT"] = json.dumps(
        {"conn_type": "meetstream", "host": f"{base_url}/api/v1", "password": API_KEY}
    )
    try:
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
        from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator
        from airflow_provider_meetstream.recurrence import expand_occurrences
        from meetstream_emulator.admin import EmulatorAdmin

        admin = EmulatorAdmin(base_url)
        rows: list[tuple[str, str, str, str]] = import_rows() + trigger_import_rows()

        weekly = ["RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=America/New_York:20270315T090000"]
        start = datetime(2020, 1, 6, 14, tzinfo=timezone.utc)
        seconds, mib, result = measure(
            lambda: expand_occurrences(
                weekly, start, timezone="America/New_York", window_start=start.replace(year=2027)
            )
        )
        rows.append(
            (
                "expand 52 weekly occurrences (series from 2020)",
                f"{seconds * 1000:.2f} ms",
                f"{mib:.2f}",
                f"{len(result)} instants",
            )
        )
        daily = ["RRULE:FREQ=DAILY"]
        seconds, mib, result = measure(
            lambda: expand_occurrences(
                daily,
                datetime(2000, 1, 1, 9, tzinfo=timezone.utc),
                window_start=start.replace(year=2027),
                limit=1000,
            )
        )
        rows.append(
            (
                "expand 1000 daily occurrences (series from 2000)",
                f"{seconds * 1000:.2f} ms",
                f"{mib:.2f}",
                f"{len(result)} instants",
            )
        )

        with MeetStreamHook() as hook:
            hook.list_scheduled_bots(limit=1)
            seconds, mib, _ = measure(lambda: [hook.list_scheduled_bots(limit=1) for _ in range(200)])
        rows.append(
            (
                "200 GETs on one pooled session",
                f"{seconds * 1000 / 200:.2f} ms/request",
                f"{mib:.2f}",
                f"{admin.connections()['api_connections']} TCP connection(s)",
            )
        )

        for latency_ms in (0, 50):
            for concurrency in (1, 8):
                operator = ScheduleRecurringEventOperator(
                    task_id="bench",
                    event_id=SERIES,
                    deduplication_key="bench",
                    occurrence_limit=52,
                    max_concurrency=concurrency,
                )

                def reset(latency: int = latency_ms) -> None:
                    load_series(admin)
                    if latency:
                        admin.set_faults(latency_ms=latency)

                seconds, mib, report = measure(lambda op=operator: op.execute({}), before=reset)
                state = admin.state()
                rows.append(
                    (
                        f"client mode, 52 occurrences, concurrency {concurrency}, +{latency_ms} ms/request",
                        f"{seconds:.3f} s",
                        f"{mib:.2f}",
                        f"{report['occurrences_scheduled']} scheduled, {len(state['schedules'])} held, "
                        f"{admin.connections()['api_connections']} conn.",
                    )
                )
        rows.extend(sync_rows(admin))
        rows.extend(harvest_rows(admin, measure, calendar_of))
        rows.extend(watcher_rows(admin, calendar_of))
        server = ScheduleRecurringEventOperator(
            task_id="bench", event_id=SERIES, deduplication_key="bench", occurrence_limit=52, mode="server"
        )
        seconds, mib, report = measure(lambda: server.execute({}), before=lambda: load_series(admin))
        rows.append(
            (
                "server mode, 52 occurrences, one request",
                f"{seconds:.3f} s",
                f"{mib:.2f}",
                f"{report['occurrences_scheduled']} scheduled",
            )
        )
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)

    header = ("benchmark", f"median of {ROUNDS}", "peak MiB", "check")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print("  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    write_docs_table(header, rows)
    return 0


def write_docs_table(header: tuple[str, ...], rows: list[tuple[str, str, str, str]]) -> None:
    """The table as the docs include it (docs/generated/benchmarks.md), with when and where it ran."""
    import platform
    from importlib.metadata import version

    ran = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, Airflow {version('apache-airflow')}"
    )
    lines = [
        f"The last `make bench`, {ran}, on {machine}; written by `bench/run.py`, not by hand.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows),
    ]
    DOCS_TABLE.parent.mkdir(exist_ok=True)
    DOCS_TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nWritten to {DOCS_TABLE.relative_to(DOCS_TABLE.parents[2])}.")


if __name__ == "__main__":
    sys.exit(main())
