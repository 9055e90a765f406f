"""
Section 4 of `make bench`: what the provider's operator, sensor and trigger modules add to a DAG
file's parse, over ``import airflow.sdk``, each in a fresh process, beside the HTTP provider's operator.

Each import runs in a fork of a process that imported ``airflow.sdk`` (bench/forks.py says why that
is a fresh process's state); three fresh interpreters time all the provider's modules together, the
check that the forks agree with them. Bytecode is compiled first (run.py), as in a deployment. The
rounds interleave every module, all of the provider's together, and the HTTP provider's operator.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from common import Figure, Row, verdict
from forks import ForkServer

#: Issue 25: the median of 15 fresh processes; at most 15 ms for the provider's modules together.
ROUNDS = 15
TARGET_MS = 15.0
PACKAGE = Path(__file__).resolve().parent.parent / "airflow_provider_meetstream"
HTTP_OPERATOR = "airflow.providers.http.operators.http"
ALL = "all of the provider's operator, sensor and trigger modules"


def provider_modules() -> list[str]:
    """Every module under operators/, sensors/ and triggers/, as a DAG file or the triggerer imports them."""
    return [
        f"airflow_provider_meetstream.{folder}.{path.stem}"
        for folder in ("operators", "sensors", "triggers")
        for path in sorted((PACKAGE / folder).glob("*.py"))
        if path.stem != "__init__"
    ]


def describe(loaded: list[str]) -> dict[str, Any]:
    """What an import loaded: the provider's modules, and the others by top-level package."""
    own = [name for name in loaded if name.startswith("airflow_provider_meetstream")]
    others: dict[str, int] = {}
    for name in loaded:
        if name.startswith("airflow_provider_meetstream"):
            continue
        top = ".".join(name.split(".")[:3]) if name.startswith("airflow.") else name.split(".")[0]
        others[top] = others.get(top, 0) + 1
    return {"provider_modules": own, "other_modules": dict(sorted(others.items()))}


FRESH = (
    "import sys, time, airflow.sdk; t = time.perf_counter(); "
    "[__import__(m) for m in sys.argv[1:]]; print(time.perf_counter() - t)"
)
FRESH_ROUNDS = 3


def fresh_processes(modules: list[str]) -> list[float]:
    """The same import in FRESH_ROUNDS fresh interpreters, milliseconds: the forks' check."""
    return [
        round(
            float(
                subprocess.run(
                    [sys.executable, "-c", FRESH, *modules], capture_output=True, text=True, check=True
                ).stdout
            )
            * 1000,
            2,
        )
        for _ in range(FRESH_ROUNDS)
    ]


def rows() -> tuple[list[Row], dict[str, Any]]:
    """Each module, all together, and the HTTP operator: ROUNDS forks each, interleaved."""
    modules = provider_modules()
    subjects = [*modules, ALL, HTTP_OPERATOR]
    imports = {subject: [subject] for subject in subjects}
    imports[ALL] = modules
    figures = {subject: Figure(subject, unit="ms") for subject in subjects}
    with ForkServer("import airflow.sdk") as server:
        for _round in range(ROUNDS):
            for subject in subjects:
                answer = server.imports(imports[subject])
                figures[subject].samples.append(answer["seconds"] * 1000)
                figures[subject].facts.update(describe(answer["loaded"]))
    figures[ALL].facts["fresh_process_check_ms"] = fresh_processes(modules)

    table: list[Row] = []
    for subject in subjects:
        figure = figures[subject]
        own = figure.facts["provider_modules"]
        others = figure.facts["other_modules"]
        outside = ", ".join(f"{name} {count}" for name, count in others.items()) or "nothing else"
        notes = f"{len(own)} provider modules; others: {outside}"
        target = ""
        what = f"import {subject.removeprefix('airflow_provider_meetstream.')}"
        if subject == ALL:
            target = verdict(figure.median <= TARGET_MS, f"<= {TARGET_MS:.0f} ms")
            what = f"import {ALL}"
            fresh = sorted(figure.facts["fresh_process_check_ms"])
            notes = (
                f"{len(own)} provider modules; others: {outside}; "
                f"{len(fresh)} fresh interpreters: {fresh[len(fresh) // 2]:.1f} ms"
            )
        elif subject == HTTP_OPERATOR:
            notes = f"baseline; {sum(others.values())} modules loaded"
        table.append(Row("parse", f"{what} over airflow.sdk ({ROUNDS} processes)", figure, notes, target))
    results = {subject: figures[subject].to_json() for subject in subjects}
    return table, results
