"""
Where a figure of `make bench` spends its time: ``python bench/profiling.py WHAT`` (not run by `make bench`).

- ``scheduling``: one ScheduleRecurringEventOperator run (``--size 52`` or ``500``) at +50 ms,
  every thread profiled by its own CPU time (``cProfile`` with ``time.thread_time``), merged;
  ``--first`` profiles the first run after the worker's imports instead of a later one.
- ``harvest``: HarvestMeetingsOperator landing ``--meetings`` meetings, ``--audio-mib`` each, the same way.
- ``imports``: ``-X importtime`` of all the provider's operator, sensor and trigger modules over
  ``import airflow.sdk``, each module's own time, the median of ``--rounds`` fresh processes.
- ``expansion``: the first ``expand_occurrences`` call of a case (``--case daily|weekly|graph``)
  in a fresh worker process, pyinstrument's call tree.

The table it prints is what the Performance page's "where the time goes" cites.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run


def all_threads(work: Callable[[], Any], top: int) -> None:
    """Run ``work`` with every thread profiled by its CPU time; print the top functions, merged."""
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_in_thread(*_: Any) -> None:
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        sys.setprofile(None)
        profile.enable()

    threading.setprofile(start_in_thread)
    main = cProfile.Profile(time.thread_time)
    wall, cpu = time.perf_counter(), time.process_time()
    main.enable()
    try:
        work()
    finally:
        main.disable()
        threading.setprofile(None)
        for profile in profiles:
            profile.disable()
    print(f"wall {time.perf_counter() - wall:.3f} s, CPU {time.process_time() - cpu:.3f} s (profiled)")
    stats = pstats.Stats(main, *profiles)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def with_emulator(action: Callable[[Any], None]) -> None:
    """The emulator and the connections, as `make bench` sets them, around ``action(emulator)``."""
    import common

    run.prepare_environment()
    emulator = common.Emulator()
    try:
        os.environ["BENCH_API_KEY"] = common.API_KEY
        os.environ["AIRFLOW_CONN_MEETSTREAM_DEFAULT"] = json.dumps(
            {"conn_type": "meetstream", "host": emulator.api_url, "password": common.API_KEY}
        )
        run.worker_imports()
        action(emulator)
    finally:
        emulator.stop()


def scheduling(args: argparse.Namespace) -> None:
    """One run of the bulk operator, profiled."""
    import scheduling as section

    from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator

    concurrency = dict(section.SIZES)[args.size]

    def operator() -> Any:
        return ScheduleRecurringEventOperator(
            task_id="bench",
            event_id=section.SERIES,
            deduplication_key=section.KEY,
            occurrence_limit=args.size,
            max_concurrency=concurrency,
        )

    def action(emulator: Any) -> None:
        if not args.first:
            section._fresh(emulator)
            operator().execute({})
        section._fresh(emulator)
        task = operator()
        all_threads(lambda: task.execute({}), args.top)

    with_emulator(action)


def harvest(args: argparse.Namespace) -> None:
    """One harvest, profiled."""
    import harvest as section

    def action(emulator: Any) -> None:
        section.finished_meetings(emulator, args.meetings)
        emulator.admin.set_config(audio_bytes=max(1, args.audio_mib) * 2**20)
        emulator.admin.set_faults(latency_ms=50)
        base = Path(tempfile.mkdtemp(prefix="meetstream-profile-"))
        try:
            all_threads(lambda: section.harvest(base, include_audio=args.audio_mib > 0), args.top)
        finally:
            shutil.rmtree(base)

    with_emulator(action)


def imports(args: argparse.Namespace) -> None:
    """Each module's own import time (``-X importtime``), median of fresh processes."""
    import parse

    run.prepare_environment()
    code = "import airflow.sdk, sys; sys.stderr.write('--mark--\\n'); [__import__(m) for m in sys.argv[1:]]"
    own: dict[str, list[int]] = {}
    total: list[int] = []
    for _ in range(args.rounds):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code, *parse.provider_modules()],
            capture_output=True,
            text=True,
            check=True,
        ).stderr.split("--mark--\n", 1)[1]
        seen = 0
        for line in err.splitlines():
            if not line.startswith("import time:"):
                continue
            self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            own.setdefault(name.strip(), []).append(int(self_us))
            seen += int(self_us)
        total.append(seen)
    print(f"all together: {statistics.median(total) / 1000:.1f} ms (sum of own times, median)")
    ranked = sorted(own.items(), key=lambda item: -statistics.median(item[1]))
    for name, times in ranked[: args.top]:
        print(f"{statistics.median(times) / 1000:7.2f} ms  {name}")


def expansion(args: argparse.Namespace) -> None:
    """The first call of one case in a fresh worker process, with pyinstrument's tree."""
    import expansion as section

    run.prepare_environment()
    call = json.dumps(section.CASES[args.case]["call"])
    code = (
        "import json, sys, airflow.sdk\n"
        "from airflow_provider_meetstream.recurrence import expand_occurrences\n"
        "from pyinstrument import Profiler\n"
        "profiler = Profiler(interval=0.0001)\n"
        "profiler.start()\n"
        "expand_occurrences(**json.loads(sys.argv[1]))\n"
        "profiler.stop()\n"
        "print(profiler.output_text(unicode=False, color=False))\n"
    )
    print(
        subprocess.run([sys.executable, "-c", code, call], capture_output=True, text=True, check=True).stdout
    )


def main() -> int:
    """Profile one figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("what", choices=("scheduling", "harvest", "imports", "expansion"))
    parser.add_argument("--size", type=int, default=500, choices=(52, 500))
    parser.add_argument("--first", action="store_true")
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--audio-mib", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--case", default="daily", choices=("daily", "weekly", "graph"))
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    {"scheduling": scheduling, "harvest": harvest, "imports": imports, "expansion": expansion}[args.what](
        args
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
