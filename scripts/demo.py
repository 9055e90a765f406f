"""`make demo`: run every example DAG against a local MeetStream emulator and print what it holds."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_DAGS = REPO / "example_dags"
API_KEY = "demo-emulator-key"
# Run order: the single event first, the batch pipeline last, so the table reads top-down.
DAG_ORDER = (
    "meetstream_schedule_event",
    "meetstream_recurring_mapped",
    "meetstream_recurring_bulk",
    "meetstream_batch_from_calendar",
)


def dag_ids() -> list[str]:
    """Every example DAG, in run order; a DAG file not listed in DAG_ORDER runs last."""
    found = [path.stem for path in sorted(EXAMPLE_DAGS.glob("*.py"))]
    return [dag for dag in DAG_ORDER if dag in found] + [dag for dag in found if dag not in DAG_ORDER]


def run_dag(dag_id: str, env: dict[str, str], log_dir: Path) -> tuple[bool, float]:
    """`airflow dags test` one DAG; its output goes to a log file. Return success and seconds."""
    started = time.monotonic()
    log = log_dir / f"{dag_id}.log"
    with log.open("w") as out:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "dags", "test", dag_id],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        tail = log.read_text().splitlines()[-25:]
        print(f"  FAILED  {dag_id} ({elapsed:.1f} s); the last lines of its output:", *tail, sep="\n    ")
    else:
        print(f"  ok      {dag_id} ({elapsed:.1f} s)")
    return result.returncode == 0, elapsed


def print_table(state: dict, head: int = 4, tail: int = 3) -> None:
    """What the emulator holds: one row per schedule; a long series shows its first and last rows."""
    from airflow_provider_meetstream.recurrence import format_occurrence

    schedules = sorted(state["schedules"], key=lambda s: (s["event_id"], s["occurrence_date"] or ""))
    rows: list[tuple[str, ...]] = []
    for event_id in dict.fromkeys(s["event_id"] for s in schedules):
        of_event = [
            (
                event_id,
                format_occurrence(s["occurrence_date"]) if s["occurrence_date"] else "-",
                s["bot_id"],
                format_occurrence(s["scheduled_time"]),
                s["schedule_group"],
            )
            for s in schedules
            if s["event_id"] == event_id
        ]
        if len(of_event) > head + tail + 1:
            skipped = (event_id, f"... {len(of_event) - head - tail} more", "", "", "")
            of_event = [*of_event[:head], skipped, *of_event[-tail:]]
        rows += of_event
    header = ("event", "occurrence", "bot id", "join time", "schedule group")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    counts = f"{len(schedules)} schedules, {len(state['bots'])} bots, emulator clock {state['now'][:19]}Z"
    print(f"\nWhat the emulator now holds ({counts}):")
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def main() -> int:
    """Run the demo; exit non-zero when any DAG failed."""
    # In this process: it only waits while `airflow dags test` runs, so the server has it to itself.
    from meetstream_emulator.server import EmulatorServer

    with (
        tempfile.TemporaryDirectory(prefix="meetstream-demo-") as home,
        EmulatorServer(api_keys=(API_KEY,)) as emulator,
    ):
        log_dir = Path(home) / "demo-logs"
        log_dir.mkdir()
        print(f"MeetStream emulator with the demo calendar: {emulator.base_url}")
        env = {
            **os.environ,
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW_CONN_MEETSTREAM_DEFAULT": emulator.airflow_conn_json(),
        }
        migrate = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            raise SystemExit(f"`airflow db migrate` failed:\n{migrate.stdout}{migrate.stderr}")
        print(f"Running the example DAGs with `airflow dags test` (AIRFLOW_HOME={home}):")
        results = {dag_id: run_dag(dag_id, env, log_dir) for dag_id in dag_ids()}
        print_table(emulator.admin.state())
    failed = [dag_id for dag_id, (ok, _) in results.items() if not ok]
    total = sum(seconds for _, seconds in results.values())
    print(f"\n{len(results) - len(failed)} of {len(results)} DAGs succeeded in {total:.0f} s.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
