"""The harvest's rows of `make bench`: meetings landed per minute, an idle run's requests, audio's memory;
and the watcher's: its requests per poll at 1,000 bots, and how fast it announces them."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str]
SYNC = "bench.harvest"


def _meetings(
    admin: Any, count: int, calendar_of: Callable[..., list[dict[str, Any]]], *, past: bool = True
) -> None:
    """``count`` meetings, each with a bot of the sync, then (``past``) the clock past them: all Done."""
    from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

    admin.reset()
    admin.clear_faults()
    admin.load_events(calendar_of(admin, count))
    SyncCalendarBotsOperator(
        task_id="sync", sync_id=SYNC, lookahead=timedelta(hours=24), max_concurrency=16
    ).execute({})
    if past:
        admin.advance_clock(timedelta(hours=25))


def harvest_rows(
    admin: Any, measure: Callable[..., Any], calendar_of: Callable[..., list[dict[str, Any]]]
) -> list[Row]:
    """
    Three rows: 100 meetings landed at +50 ms a request; an idle run over 1,000 landed meetings; a
    64 MiB recording streamed to storage, with the peak memory of the run.

    :param admin: The emulator's admin client.
    :param measure: ``bench.run.measure``: median seconds, peak MiB and the last result.
    :param calendar_of: ``bench.run.calendar_of``: meetings spread over the next 23 hours.
    """
    from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator

    folders: list[Path] = []

    def fresh() -> str:
        folders.append(Path(tempfile.mkdtemp(prefix="meetstream-bench-harvest-")))
        return f"file://{folders[-1]}"

    def harvest(base: str, **kwargs: Any) -> dict[str, Any]:
        operator = HarvestMeetingsOperator(
            task_id="h", sync_id=SYNC, base_path=base, max_concurrency=8, **kwargs
        )
        return operator.execute({})

    rows: list[Row] = []
    try:
        _meetings(admin, 100, calendar_of)
        admin.set_faults(latency_ms=50)
        bases = iter(fresh() for _ in range(10))
        target = {"base": ""}
        seconds, mib, report = measure(
            lambda: harvest(target["base"]), before=lambda: target.update(base=next(bases))
        )
        landed = report["counts"]["landed"]
        rows.append(
            (
                "harvest, 100 meetings landed, +50 ms/request, max_concurrency 8",
                f"{seconds:.3f} s",
                f"{mib:.2f}",
                f"{landed} landed: {landed / seconds * 60:.0f} meetings/minute",
            )
        )
        admin.clear_faults()

        _meetings(admin, 1000, calendar_of)
        base = fresh()
        harvest(base, max_meetings=1000)
        admin.clear_requests()
        seconds, mib, report = measure(lambda: harvest(base))
        api = [r for r in admin.requests() if r["path"].startswith("/api/")]
        # One run's requests: the traced run and the timed ones each begin with the bots' first page.
        runs = sum(1 for r in api if r["path"] == "/api/v1/bots" and "cursor" not in r["query"]) or 1
        writes = sum(1 for r in api if r["method"] != "GET")
        rows.append(
            (
                "harvest, idle run over 1000 landed meetings",
                f"{seconds:.3f} s",
                f"{mib:.2f}",
                f"{len(api) // runs} requests, {writes} writes, {report['counts']['skipped']} skipped",
            )
        )

        _meetings(admin, 1, calendar_of)
        size = 64 * 2**20
        admin.set_config(audio_bytes=size)
        audio_bases = iter(fresh() for _ in range(10))
        seconds, mib, report = measure(
            lambda: harvest(target["base"], include_audio=True),
            before=lambda: target.update(base=next(audio_bases)),
        )
        written = sum(p.stat().st_size for folder in folders for p in folder.rglob("audio.*"))
        rows.append(
            (
                "harvest, one meeting with a 64 MiB recording",
                f"{seconds:.3f} s",
                f"{mib:.2f}",
                f"{written // size} recording(s) of {size // 2**20} MiB streamed; peak is the whole run's",
            )
        )
    finally:
        admin.clear_faults()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
    return rows


def watcher_rows(admin: Any, calendar_of: Callable[..., list[dict[str, Any]]]) -> list[Row]:
    """
    Two rows of BotFinishedTrigger over 1,000 bots of the sync: all finishing between two polls,
    then idle polls; requests counted in the emulator's log.

    :param admin: The emulator's admin client.
    :param calendar_of: ``bench.run.calendar_of``: meetings spread over the next 23 hours.
    """
    import asyncio
    import time

    from airflow_provider_meetstream.triggers.bot_finished import BotFinishedTrigger

    count = 1000
    _meetings(admin, count, calendar_of, past=False)
    trigger = BotFinishedTrigger(sync_id=SYNC, poll_interval=0.2, event_interval=0)

    def first_pages() -> list[int]:
        log = admin.requests()
        return [i for i, r in enumerate(log) if r["path"] == "/api/v1/bots" and "cursor" not in r["query"]]

    async def until(condition: Callable[[], bool]) -> None:
        while not await asyncio.to_thread(condition):
            await asyncio.sleep(0.02)

    async def scenario() -> tuple[float, int, int, int]:
        events: list[Any] = []

        async def collect() -> None:
            async for event in trigger.run():
                events.append(event)

        task = asyncio.create_task(collect())
        try:
            await until(lambda: len(first_pages()) >= 2)  # the baseline was taken
            await asyncio.to_thread(admin.advance_clock, timedelta(hours=25))
            await asyncio.to_thread(admin.clear_requests)
            started = time.perf_counter()
            await until(lambda: len(events) >= count)
            seconds = time.perf_counter() - started
            busy = len(admin.requests())
            await asyncio.to_thread(admin.clear_requests)
            await until(lambda: len(first_pages()) >= 4)
            pages = first_pages()
            idle = (pages[3] - pages[0]) // 3  # three whole polls
            return seconds, busy, idle, len(events)
        finally:
            task.cancel()

    seconds, busy, idle, announced = asyncio.run(scenario())
    return [
        (
            f"watcher, {count} bots of the sync finish between two polls",
            f"{seconds:.3f} s",
            "-",
            f"{announced} events, one each; {busy} requests until the last (a poll is 1 page per 100 bots)",
        ),
        (f"watcher, an idle poll over {count} finished bots", "-", "-", f"{idle} requests per poll"),
    ]
