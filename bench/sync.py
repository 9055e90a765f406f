"""
Section 2 of `make bench`: SyncCalendarBotsOperator's first run and an idle run over 100, 300 and
1,000 meetings, at 0 ms latency: requests by method, wall time, peak memory.

The sync records the meetings titled "Customer sync", at most 300 of a calendar (all of 100 and of
300; 300 of 1,000, the other 700 titled otherwise), so that its bots run past the 100-bot page of
``GET /calendar/scheduled``. A first run adds them all; the idle run that follows finds nothing
to do and should send reads only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from common import ROUNDS, Emulator, Figure, Row, methods, timed, traced_peak, verdict

SIZES = (100, 300, 1000)
RECORDED = 300
SYNC_ID = "bench.sync"
#: Issue 25: an idle run over 1,000 meetings in at most 25 requests, all reads, under 1 s.
IDLE_REQUESTS, IDLE_SECONDS = 25, 1.0


def calendar_of(
    admin: Any, count: int, *, recorded: int | None = None, sync_id: str = ""
) -> list[dict[str, Any]]:
    """
    ``count`` meetings spread over the next 23 hours of the emulator's clock, each its own event.

    :param admin: The emulator's admin client.
    :param count: How many meetings.
    :param recorded: How many of them (spread evenly) are titled "Customer sync"; all when None.
    :param sync_id: Only to name the events apart between sections.
    """
    now = admin.now()
    step = 23 * 3600 // count
    recorded = count if recorded is None else recorded
    chosen = {i * count // recorded for i in range(recorded)} if recorded else set()
    return [
        {
            "id": f"evt_bench{sync_id and '_' + sync_id.replace('.', '_')}_{i:04d}",
            "start_time": (now + timedelta(minutes=30, seconds=i * step)).isoformat(),
            "end_time": (now + timedelta(minutes=60, seconds=i * step)).isoformat(),
            "calendar_id": "cal_bench",
            "ical_uid": f"bench-{i}@example.com",
            "meeting_url": f"https://meet.google.com/bench-{i}",
            "raw": {
                "id": f"g_bench_{i}",
                "summary": f"Customer sync {i}" if i in chosen else f"Internal review {i}",
            },
        }
        for i in range(count)
    ]


def sync_operator(sync_id: str = SYNC_ID) -> Any:
    """The sync as a DAG would declare it: the next 24 hours, the customer meetings."""
    from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

    return SyncCalendarBotsOperator(
        task_id="sync", sync_id=sync_id, lookahead=timedelta(hours=24), title_pattern="customer sync"
    )


def rows(emulator: Emulator) -> tuple[list[Row], dict[str, Any]]:
    """First and idle runs at each size, ROUNDS rounds; then one traced pair for peak memory."""
    admin = emulator.admin
    first = {count: Figure(f"first run over {count} meetings") for count in SIZES}
    idle = {count: Figure(f"idle run over {count} meetings") for count in SIZES}
    reports: dict[tuple[str, int], dict[str, Any]] = {}

    def one_pair(count: int, trace: bool) -> None:
        admin.reset()
        admin.load_events(calendar_of(admin, count, recorded=min(count, RECORDED)))
        for kind, figures in (("first", first), ("idle", idle)):
            task = sync_operator()
            admin.clear_requests()
            if trace:
                mib, _ = traced_peak(lambda t=task: t.execute({}))
                figures[count].facts["peak_mib_traced"] = round(mib, 2)
                continue
            with timed(figures[count], emulator):
                report = task.execute({})
            figures[count].facts["requests"] = emulator.api_requests()
            reports[kind, count] = report["counts"]

    for _round in range(ROUNDS):
        for count in SIZES:
            one_pair(count, trace=False)
    for count in SIZES:
        one_pair(count, trace=True)
    admin.reset()

    table: list[Row] = []
    for count in SIZES:
        for kind, figure in (("first", first[count]), ("idle", idle[count])):
            counts = reports[kind, count]
            sent = figure.facts["requests"]
            total = sum(sent.values())
            writes = total - sent.get("GET", 0)
            figure.facts["counts"] = counts
            notes = (
                f"{methods(sent)}; {counts.get('add', 0)} added, {counts.get('keep', 0)} kept, "
                f"{counts.get('skip', 0)} skipped; peak {figure.facts['peak_mib_traced']:.1f} MiB"
            )
            target = ""
            if kind == "idle" and count == max(SIZES):
                target = verdict(
                    total <= IDLE_REQUESTS and writes == 0 and figure.median < IDLE_SECONDS,
                    f"<= {IDLE_REQUESTS} requests, all reads, < {IDLE_SECONDS:.0f} s",
                )
            what = f"sync, {kind} run over {count} meetings ({min(count, RECORDED)} recorded), +0 ms"
            table.append(Row("sync", what, figure, notes, target))
    results = {
        f"{kind}/{count}": figure.to_json()
        for count in SIZES
        for kind, figure in (("first", first[count]), ("idle", idle[count]))
    }
    return table, results
