"""The triggerer's rows of `make bench`: each trigger class imported on the event loop, as Airflow does."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile

Row = tuple[str, str, str, str]
ROUNDS = 7
TRIGGERS = (
    "airflow_provider_meetstream.triggers.meetstream.ListScheduledTrigger",
    "airflow_provider_meetstream.triggers.bot_status.BotStatusTrigger",
    "airflow_provider_meetstream.triggers.transcripts.TranscriptReadyTrigger",
    "airflow_provider_meetstream.triggers.bot_finished.BotFinishedTrigger",
)
# In a fresh interpreter, after what a triggerer has loaded: the step of the loop that imports the
# class with Airflow's own import_string (TriggerRunner.get_trigger_by_classpath), timed in the
# loop thread's CPU and by the wall clock.
CODE = """
import asyncio, sys, time
import airflow.jobs.triggerer_job_runner
from airflow._shared.module_loading import import_string

async def main():
    cpu, wall = time.thread_time(), time.perf_counter()
    import_string(sys.argv[1])
    print(time.thread_time() - cpu, time.perf_counter() - wall)
    await asyncio.sleep(0)

asyncio.run(main())
"""


def _step(classpath: str, env: dict[str, str]) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CODE, classpath], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    return float(out[0]), float(out[1])


def trigger_import_rows() -> list[Row]:
    """Per trigger class: the loop's import step, from bytecode and compiled from source, median of ROUNDS."""
    cache = tempfile.mkdtemp(prefix="meetstream-bench-pyc-")
    base = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    from_bytecode = {**base, "PYTHONPYCACHEPREFIX": cache}
    from_source = {**base, "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(), "PYTHONDONTWRITEBYTECODE": "1"}
    rows = []
    for classpath in TRIGGERS:
        _step(classpath, from_bytecode)  # writes the bytecode
        cached = [_step(classpath, from_bytecode) for _ in range(ROUNDS)]
        compiled = [_step(classpath, from_source) for _ in range(ROUNDS)]
        rows.append(
            (
                f"triggerer loop: import {classpath.rsplit('.', 1)[1]} ({ROUNDS} runs)",
                f"{statistics.median(wall for _, wall in cached) * 1000:.1f} ms",
                "-",
                f"CPU {statistics.median(cpu for cpu, _ in cached) * 1000:.1f} ms from bytecode, "
                f"{statistics.median(cpu for cpu, _ in compiled) * 1000:.1f} ms compiled from source",
            )
        )
    return rows
