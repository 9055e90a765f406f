"""
Section 3 of `make bench`: HarvestMeetingsOperator landing finished meetings, and an idle harvest.

- 200 finished meetings at +50 ms a request, ``max_concurrency`` 8: transcript, participants and
  speaker timeline; then the same with a 5 MiB recording each (``include_audio``), interleaved
  round by round, each round into a fresh folder;
- one meeting with a 200 MiB recording: how far memory rises while it streams to storage;
- an idle harvest over 1,000 landed meetings, at +50 ms: the requests it sends.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    LATENCY_MS,
    ROUNDS,
    Emulator,
    Figure,
    Row,
    methods,
    timed,
    traced_peak,
    verdict,
)
from sync import calendar_of, sync_operator

SYNC = "bench.harvest"
MEETINGS, IDLE_MEETINGS = 200, 1000
AUDIO_MIB, LARGE_AUDIO_MIB = 5, 200
CONCURRENCY = 8
#: Issue 25's targets.
PER_MINUTE, IDLE_REQUESTS, LARGE_AUDIO_PEAK_MIB = 300, 30, 50


def finished_meetings(emulator: Emulator, count: int) -> None:
    """``count`` meetings with a bot of the sync each, then the emulator's clock past them: all Done."""
    admin = emulator.admin
    admin.reset()
    admin.load_events(calendar_of(admin, count, sync_id=SYNC))
    sync_operator(SYNC).execute({})
    admin.advance_clock(timedelta(hours=25))


def harvest(base: Path, **kwargs: Any) -> dict[str, Any]:
    """One run of the operator into ``base``."""
    from airflow_provider_meetstream.operators.harvest import HarvestMeetingsOperator

    operator = HarvestMeetingsOperator(
        task_id="harvest",
        sync_id=SYNC,
        base_path=f"file://{base}",
        max_concurrency=CONCURRENCY,
        **kwargs,
    )
    result: dict[str, Any] = operator.execute({})
    return result


def rows(emulator: Emulator) -> tuple[list[Row], dict[str, Any]]:
    """The four harvest figures; see the module's docstring."""
    admin = emulator.admin
    scratch = Path(tempfile.mkdtemp(prefix="meetstream-bench-harvest-"))
    table: list[Row] = []
    results: dict[str, Any] = {}
    try:
        # 200 meetings, without and with a 5 MiB recording each, interleaved.
        finished_meetings(emulator, MEETINGS)
        plain = Figure(f"{MEETINGS} meetings landed")
        audio = Figure(f"{MEETINGS} meetings landed with {AUDIO_MIB} MiB audio each")
        for _round in range(ROUNDS + 1):
            traced = _round == ROUNDS  # one more round, traced, for the peak memory
            for figure, with_audio in ((plain, False), (audio, True)):
                admin.set_config(audio_bytes=AUDIO_MIB * 2**20 if with_audio else 1024)
                admin.set_faults(latency_ms=LATENCY_MS)
                admin.clear_requests()
                base = Path(tempfile.mkdtemp(dir=scratch))
                if traced:
                    mib, _ = traced_peak(lambda b=base, a=with_audio: harvest(b, include_audio=a))
                    figure.facts["peak_mib_traced"] = round(mib, 2)
                else:
                    with timed(figure, emulator):
                        report = harvest(base, include_audio=with_audio)
                    figure.facts.setdefault("landed", []).append(report["counts"]["landed"])
                    figure.facts["requests"] = emulator.api_requests()
                    written = sum(path.stat().st_size for path in base.rglob("*") if path.is_file())
                    figure.facts.setdefault("bytes_written", []).append(written)
                shutil.rmtree(base)
        for figure, label in ((plain, "transcript, participants, timeline"), (audio, "and audio")):
            landed = min(figure.facts["landed"])
            per_minute = landed / figure.median * 60
            figure.facts["meetings_per_minute"] = per_minute
            notes = (
                f"{per_minute:.0f} meetings/minute; {landed} landed; {methods(figure.facts['requests'])}; "
                f"{max(figure.facts['bytes_written']) / 2**20:.0f} MiB written; "
                f"peak {figure.facts['peak_mib_traced']:.1f} MiB"
            )
            target = verdict(per_minute >= PER_MINUTE, f">= {PER_MINUTE}/minute") if figure is plain else ""
            what = f"harvest, {MEETINGS} meetings ({label}), +{LATENCY_MS} ms, max_concurrency {CONCURRENCY}"
            table.append(Row("harvest", what, figure, notes, target))
        results["plain"], results["audio"] = plain.to_json(), audio.to_json()
        admin.clear_faults()

        # One meeting, a 200 MiB recording: every round traced (the figure is the memory).
        finished_meetings(emulator, 1)
        admin.set_config(audio_bytes=LARGE_AUDIO_MIB * 2**20)
        large = Figure(f"one meeting with a {LARGE_AUDIO_MIB} MiB recording", unit="MiB")
        for _round in range(ROUNDS):
            base = Path(tempfile.mkdtemp(dir=scratch))
            traced, seconds = _traced_and_timed(base)
            large.samples.append(traced)
            large.facts.setdefault("seconds", []).append(round(seconds, 3))
            large.facts.setdefault("audio_bytes", []).append(
                sum(path.stat().st_size for path in base.rglob("audio*"))
            )
            shutil.rmtree(base)
        table.append(
            Row(
                "harvest",
                f"harvest, one meeting with a {LARGE_AUDIO_MIB} MiB recording: peak memory",
                large,
                f"every round traced; {max(large.facts['audio_bytes']) / 2**20:.0f} MiB streamed to "
                f"storage in {sorted(large.facts['seconds'])[len(large.samples) // 2]:.2f} s (traced)",
                verdict(large.median < LARGE_AUDIO_PEAK_MIB, f"< +{LARGE_AUDIO_PEAK_MIB} MiB"),
            )
        )
        results["large_audio"] = large.to_json()

        # An idle harvest over 1,000 landed meetings.
        finished_meetings(emulator, IDLE_MEETINGS)
        admin.set_config(audio_bytes=1024)
        landed_base = Path(tempfile.mkdtemp(dir=scratch))
        first = harvest(landed_base, max_meetings=IDLE_MEETINGS)
        admin.set_faults(latency_ms=LATENCY_MS)
        idle = Figure(f"idle harvest over {IDLE_MEETINGS} landed meetings")
        for _round in range(ROUNDS):
            admin.clear_requests()
            with timed(idle, emulator):
                report = harvest(landed_base)
            idle.facts["requests"] = emulator.api_requests()
            idle.facts["counts"] = report["counts"]
        sent = idle.facts["requests"]
        total = sum(sent.values())
        writes = total - sent.get("GET", 0)
        table.append(
            Row(
                "harvest",
                f"harvest, idle run over {first['counts']['landed']} landed meetings, +{LATENCY_MS} ms",
                idle,
                f"{methods(sent)}; {report['counts']['skipped']} skipped, "
                f"{report['counts']['landed']} landed",
                verdict(total <= IDLE_REQUESTS and writes == 0, f"<= {IDLE_REQUESTS} requests"),
            )
        )
        results["idle"] = idle.to_json()
    finally:
        admin.reset()
        shutil.rmtree(scratch, ignore_errors=True)
    return table, results


def _traced_and_timed(base: Path) -> tuple[float, float]:
    import time

    started = time.perf_counter()
    mib, _ = traced_peak(lambda: harvest(base, include_audio=True))
    return mib, time.perf_counter() - started
