"""
Section 5 of `make bench`: expanding a series, first call included, on fixed dates.

Each case runs in ROUNDS fresh processes of a worker (``airflow.sdk`` imported; bench/forks.py)
that import the recurrence package and then call ``expand_occurrences`` a few times: the figure is
each process's first call, which pays for whatever the package loads or caches on first use, and
the later calls are shown beside it.
"""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta
from typing import Any

from common import ROUNDS, Figure, Row, verdict
from forks import ForkServer

CALLS = 5
DAILY_START = date(2026, 1, 5)
#: 100 EXDATEs, one a week in the window, each a day the rule yields.
EXDATES = [
    f"EXDATE;TZID=America/New_York:{(date(2027, 1, 4) + timedelta(days=7 * i)).strftime('%Y%m%d')}T090000"
    for i in range(100)
]
CASES: dict[str, dict[str, Any]] = {
    "daily": {
        "what": "1000 occurrences of a daily rule (the cap) with 100 EXDATEs",
        "target_ms": 5.0,
        "call": {
            "recurrence": ["RRULE:FREQ=DAILY", *EXDATES],
            "start": "2026-01-05T09:00:00-05:00",
            "timezone": "America/New_York",
            "window_start": "2027-01-01T00:00:00Z",
            "limit": 1000,
        },
    },
    "weekly": {
        "what": "52 occurrences of a weekly rule 20 years into its series",
        "target_ms": 1.0,
        "call": {
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
            "start": "2007-01-01T09:00:00-05:00",
            "timezone": "America/New_York",
            "window_start": "2027-01-04T00:00:00Z",
            "limit": 52,
        },
    },
    "graph": {
        "what": "52 occurrences of a Graph relativeMonthly pattern (second Tuesday, Windows zone)",
        "target_ms": 5.0,
        "call": {
            "recurrence": {
                "pattern": {
                    "type": "relativeMonthly",
                    "interval": 1,
                    "daysOfWeek": ["tuesday"],
                    "index": "second",
                    "firstDayOfWeek": "sunday",
                },
                "range": {
                    "type": "noEnd",
                    "startDate": "2024-01-09",
                    "recurrenceTimeZone": "Pacific Standard Time",
                },
            },
            "start": "2024-01-09T18:00:00Z",
            "timezone": "Pacific Standard Time",
            "window_start": "2027-01-01T00:00:00Z",
            "limit": 52,
        },
    },
}
CODE = """
import time
started = time.perf_counter()
from airflow_provider_meetstream.recurrence import expand_occurrences
imported = time.perf_counter() - started
calls, found = [], 0
for _ in range(CALLS):
    started = time.perf_counter()
    found = len(expand_occurrences(**CALL))
    calls.append(time.perf_counter() - started)
result = {"import_s": imported, "calls_s": calls, "instants": found}
"""


def rows() -> tuple[list[Row], dict[str, Any]]:
    """Each case in ROUNDS fresh worker processes, the cases interleaved."""
    figures = {name: Figure(case["what"], unit="ms") for name, case in CASES.items()}
    with ForkServer("import airflow.sdk") as server:
        for _round in range(ROUNDS):
            for name, case in CASES.items():
                answer = server.run(f"CALL = {json.dumps(case['call'])}\nCALLS = {CALLS}\n{CODE}")
                _record(figures[name], answer)
    table = []
    for name, case in CASES.items():
        figure = figures[name]
        later = statistics.median(figure.facts["later_calls_ms"])
        notes = (
            f"first call in a fresh worker process; later calls {later:.2f} ms; "
            f"{figure.facts['instants']} instants; the package's import "
            f"{statistics.median(figure.facts['import_ms']):.1f} ms, not counted"
        )
        target = verdict(figure.median < case["target_ms"], f"< {case['target_ms']:.0f} ms")
        table.append(Row("expansion", f"expand {case['what']}", figure, notes, target))
    return table, {name: figures[name].to_json() for name in CASES}


def _record(figure: Figure, answer: dict[str, Any]) -> None:
    figure.samples.append(answer["calls_s"][0] * 1000)
    figure.facts.setdefault("later_calls_ms", []).extend(
        round(seconds * 1000, 3) for seconds in answer["calls_s"][1:]
    )
    figure.facts.setdefault("import_ms", []).append(round(answer["import_s"] * 1000, 2))
    figure.facts["instants"] = answer["instants"]
