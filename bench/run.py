"""
`make bench`: the provider against the emulator on loopback, beside what a user would write instead
and the limit the latency sets; prints one table and writes bench/results.json (no assertions).

Sections (the issue's): scheduling, sync, harvest, parse (import cost), expansion. Every figure is
the median of ROUNDS runs with their min and max; a section with baselines runs them in the same
rounds as the provider, interleaved, so that a noisy machine moves both. The first run after the
imports a DAG file makes is a round like any other: nothing is warmed up and thrown away.

``python bench/run.py --only scheduling,sync`` runs some sections, and ``BENCH_ROUNDS=1`` fewer
rounds, for a quick look: results.json and the docs' table are then left alone, and the results
go to a temporary file. ``bench/profiling.py`` shows where a figure's time goes.
"""

from __future__ import annotations

import argparse
import atexit
import compileall
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
#: Where the docs take the last run's table from (docs/performance.md includes it).
DOCS_TABLE = ROOT / "docs" / "generated" / "benchmarks.md"
SECTIONS = ("scheduling", "sync", "harvest", "parse", "expansion")
HEADER = ("benchmark", "median", "min-max", "ratios and counts", "target")


def prepare_environment() -> None:
    """Airflow without a database (connections from the environment), quiet; the sources compiled."""
    # A deployment runs from bytecode; this machine may not write it at import time, so the
    # provider's and the emulator's modules are compiled here, once, like `make demo` does.
    for package in (ROOT / "airflow_provider_meetstream", ROOT / "emulator" / "meetstream_emulator"):
        compileall.compile_dir(package, quiet=1)
    home = tempfile.mkdtemp(prefix="meetstream-bench-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
        }
    )


def machine() -> dict[str, Any]:
    """Where and with what this run ran."""
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "system": f"{platform.system()} {platform.machine()}",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "airflow": version("apache-airflow"),
        "http_provider": version("apache-airflow-providers-http"),
        "provider": version("airflow-provider-meetstream"),
        "load_average_at_start": [round(value, 2) for value in load],
    }


def render(rows: list[Any]) -> list[str]:
    """The table as printed: one line a row, columns padded."""
    cells = [HEADER]
    for row in rows:
        median, spread = row.figure.cells() if row.figure is not None else (row.median, "-")
        cells.append((row.what, median, spread, row.notes, row.target))
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def write_docs_table(rows: list[Any], results: dict[str, Any], seconds: float) -> None:
    """The printed table, as the docs include it, with when and where it ran, and what each module imports."""
    about = results["machine"]
    lines = [
        f"The last `make bench`: {about['date']}, {about['system']}, {about['cpu_count']} CPUs "
        f"(load average {about['load_average_at_start'][0]} at the start), Python {about['python']}, "
        f"Airflow {about['airflow']}, apache-airflow-providers-http {about['http_provider']}; "
        f"it took {seconds / 60:.1f} minutes. Written by `bench/run.py`, not by hand; "
        "bench/results.json on the same machine has every round.",
        "",
        "```text",
        *render(rows),
        "```",
        "",
        "What each module imports at parse time, beyond what `import airflow.sdk` has loaded:",
        "",
        *imports_list(results.get("parse", {})),
    ]
    DOCS_TABLE.parent.mkdir(exist_ok=True)
    DOCS_TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def imports_list(parse: dict[str, Any]) -> list[str]:
    """One line a module of the parse section: the provider's modules, then the others by package."""
    lines = []
    prefix = "airflow_provider_meetstream."
    for subject, figure in parse.items():
        if not subject.startswith(prefix):
            continue
        own = ", ".join(name.removeprefix(prefix) for name in figure["provider_modules"]) or "-"
        others = ", ".join(f"{name} ({count})" for name, count in figure["other_modules"].items())
        lines.append(f"- `{subject.removeprefix(prefix)}`: {own}; and {others or 'nothing else'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the sections, print the table, write bench/results.json and the docs' table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    only = [name.strip() for name in parser.parse_args(argv).only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    started = time.perf_counter()
    prepare_environment()
    about = machine()
    import common
    import expansion
    import harvest
    import parse
    import scheduling
    import sync

    rows: list[Any] = []
    results: dict[str, Any] = {"machine": about, "rounds": common.ROUNDS, "latency_ms": common.LATENCY_MS}
    # The import sections run first, each in fresh processes: nothing here has loaded the provider.
    if "parse" in only:
        table, results["parse"] = parse.rows()
        rows += table
    if "expansion" in only:
        table, results["expansion"] = expansion.rows()
        rows += table
    emulator = common.Emulator()
    try:
        os.environ["BENCH_API_KEY"] = common.API_KEY
        os.environ["AIRFLOW_CONN_MEETSTREAM_DEFAULT"] = json.dumps(
            {"conn_type": "meetstream", "host": emulator.api_url, "password": common.API_KEY}
        )
        os.environ[f"AIRFLOW_CONN_{scheduling.HTTP_CONN_ID.upper()}"] = scheduling.http_connection(
            emulator.api_url, common.API_KEY
        )
        worker_imports()
        for name, section in (("scheduling", scheduling), ("sync", sync), ("harvest", harvest)):
            if name in only:
                table, results[name] = section.rows(emulator)
                rows += table
    finally:
        emulator.stop()
    seconds = time.perf_counter() - started
    results["run_seconds"] = round(seconds, 1)
    print("\n".join(render(rows)))
    print(f"\n{len(rows)} rows in {seconds / 60:.1f} minutes on {about['cpu_count']} CPUs.")
    if set(only) == set(SECTIONS) and common.ROUNDS >= 5:
        RESULTS.write_text(common.dumps(results), encoding="utf-8")
        write_docs_table(rows, results, seconds)
        print(f"Written to {RESULTS.relative_to(ROOT)} and {DOCS_TABLE.relative_to(ROOT)}.")
    else:
        partial = Path(tempfile.gettempdir()) / "meetstream-bench-partial.json"
        partial.write_text(common.dumps(results), encoding="utf-8")
        print(f"Some sections only: written to {partial}, not to {RESULTS.relative_to(ROOT)}.")
    return 0


def worker_imports() -> None:
    """
    What a worker has imported before a task's first ``execute``: the task SDK, the supervisor its
    task process is forked from, Airflow's connection model, and the DAG file's operator modules.
    Whatever else the provider needs it imports in its first run, which is a round like the others.
    (The admin client has imported ``requests`` already: a worker that has not pays for it too.)
    """

    import airflow_provider_meetstream.operators.recurring  # noqa: F401


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
