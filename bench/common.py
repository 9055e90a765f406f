"""What every section of `make bench` shares: the emulator process, figures (samples), and the table rows."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

API_KEY = "bench-emulator-key-0123456789"
#: Repetitions of every timed figure; the first run after import is one of them (no warm-up).
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
#: The injected latency of every API request, where a section injects one.
LATENCY_MS = 50


@dataclass
class Figure:
    """
    One measured quantity: every round's sample, and what else a round saw (counts, CPU seconds).

    :param name: What was measured, as the table shows it.
    :param unit: ``s``, ``ms`` or ``MiB``.
    """

    name: str
    unit: str = "s"
    samples: list[float] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        """The median of the samples."""
        return statistics.median(self.samples)

    def to_json(self) -> dict[str, Any]:
        """The figure as bench/results.json holds it."""
        return {
            "name": self.name,
            "unit": self.unit,
            "rounds": len(self.samples),
            "median": self.median,
            "min": min(self.samples),
            "max": max(self.samples),
            "samples": self.samples,
            **self.facts,
        }

    def cells(self) -> tuple[str, str]:
        """Median and ``min-max``, formatted in the figure's unit."""
        digits = {"s": 3, "ms": 2, "MiB": 1}.get(self.unit, 3)
        return (
            f"{self.median:.{digits}f} {self.unit}",
            f"{min(self.samples):.{digits}f}-{max(self.samples):.{digits}f}",
        )


@dataclass
class Row:
    """
    One line of the table.

    :param section: The issue's section: scheduling, sync, harvest, parse, expansion.
    :param what: The benchmark.
    :param figure: Its timed figure, or None for a computed line (the latency limit).
    :param notes: Ratios and counts.
    :param target: The target and whether this run met it, or "".
    """

    section: str
    what: str
    figure: Figure | None
    notes: str = ""
    target: str = ""
    median: str = ""


def verdict(met: bool, text: str) -> str:
    """``"<= 1.1x limit: met"`` or ``"... MISSED"``."""
    return f"{text}: {'met' if met else 'MISSED'}"


class Emulator:
    """The emulator in its own process (its own GIL, its own CPU), and its admin client."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "meetstream_emulator", "--port", "0", "--api-key", API_KEY],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "ready on " not in line:
            self.process.kill()
            raise SystemExit(f"The emulator did not start: {line!r}")
        self.base_url = line.split("ready on ", 1)[1].split()[0]
        self.api_url = f"{self.base_url}/api/v1"
        from meetstream_emulator.admin import EmulatorAdmin

        self.admin = EmulatorAdmin(self.base_url, timeout=120)

    def cpu_seconds(self) -> float:
        """The emulator process's CPU time so far, user and system, from /proc."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def api_requests(self) -> dict[str, int]:
        """The API requests logged since the last reset or clear, by method."""
        counts: dict[str, int] = {}
        for entry in self.admin.requests():
            counts[entry["method"]] = counts.get(entry["method"], 0) + 1
        return dict(sorted(counts.items()))

    def stop(self) -> None:
        """End the emulator's process (ours: started above)."""
        self.admin.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def new_task() -> None:
    """
    Start a run as Airflow starts a task's process: with a fresh secrets masker.

    Airflow's supervisor resets the masker for every task process (``reset_secrets_masker``);
    these rounds share one process, so without this every secret a round masked would stay in
    the masker's patterns, and each later round would pay for all of them.
    """
    from airflow.sdk._shared.secrets_masker import reset_secrets_masker

    reset_secrets_masker()


@contextmanager
def timed(figure: Figure, emulator: Emulator | None = None) -> Iterator[None]:
    """
    Time the block into ``figure``, with this process's and the emulator's CPU seconds beside it.

    The CPU seconds say where a round's wall time went: this process (the provider or a baseline),
    the emulator, or neither (waiting on the injected latency).
    """
    new_task()
    cpu = time.process_time()
    server = emulator.cpu_seconds() if emulator is not None else 0.0
    started = time.perf_counter()
    yield
    figure.samples.append(time.perf_counter() - started)
    figure.facts.setdefault("client_cpu_s", []).append(round(time.process_time() - cpu, 4))
    if emulator is not None:
        figure.facts.setdefault("emulator_cpu_s", []).append(round(emulator.cpu_seconds() - server, 4))


def traced_peak(run: Callable[[], Any]) -> tuple[float, Any]:
    """
    Peak MiB of Python allocations during ``run()`` above what was held when it began, and its result.

    Taken in a run of its own, after the timed rounds: tracing slows every allocation.
    """
    new_task()
    tracemalloc.start()
    try:
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / 2**20, result


def methods(counts: dict[str, int]) -> str:
    """``"1 GET + 52 POST"``."""
    return " + ".join(f"{count} {method}" for method, count in counts.items()) or "no requests"


def dumps(data: Any) -> str:
    """JSON as bench/results.json is written."""
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
