"""The e2e suite's switch (``--e2e``), its deployment fixture over both executors, and its phase timings."""

from __future__ import annotations

import atexit
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.deployment import Deployment, start_deployment, stop_deployment

EXECUTORS = ("LocalExecutor", "CeleryExecutor")
# (executor, phase) -> seconds, printed at the end of the run.
PHASE_TIMES: dict[tuple[str, str], float] = {}
_LIVE: list[Deployment] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--e2e",
        action="store_true",
        default=False,
        help="collect tests/e2e: start real Airflow deployments (make test-e2e)",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # Not collected at all unless asked for: a plain `pytest` neither runs nor skips these tests.
    if collection_path.suffix == ".py" and not config.getoption("--e2e", default=False):
        return True
    return None


@atexit.register
def _stop_leftovers() -> None:
    # The fixture's finalizer stops each deployment; this catches an interpreter exit before it.
    for deployment in _LIVE:
        stop_deployment(deployment, keep=True)


class Phase:
    """Time one phase of one deployment into PHASE_TIMES (also when the phase fails)."""

    def __init__(self, deployment: Deployment | str, name: str) -> None:
        self.key = (deployment if isinstance(deployment, str) else deployment.executor, name)

    def __enter__(self) -> Phase:
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        PHASE_TIMES[self.key] = PHASE_TIMES.get(self.key, 0.0) + time.monotonic() - self.started


@pytest.fixture(scope="session", params=EXECUTORS)
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """One deployment per executor, one at a time; stopped by process id even when tests fail."""
    executor = request.param
    failed_before = request.session.testsfailed
    with Phase(executor, "start-up"):
        started = start_deployment(executor)
    _LIVE.append(started)
    print(
        f"\n[e2e] {executor}: Airflow {started.api_url}, emulator {started.emulator_url}, in {started.root}"
    )
    try:
        yield started
    finally:
        keep = request.session.testsfailed > failed_before
        with Phase(executor, "shut-down"):
            stop_deployment(started, keep=keep)
        _LIVE.remove(started)
        if keep:
            print(f"\n[e2e] {executor}: a test failed; logs kept in {started.root}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PHASE_TIMES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("e2e phase times")
    for executor in dict.fromkeys(executor for executor, _ in PHASE_TIMES):
        phases = {name: seconds for (ex, name), seconds in PHASE_TIMES.items() if ex == executor}
        write(f"{executor}: total {sum(phases.values()):.0f} s")
        for name, seconds in phases.items():
            write(f"    {name:<12} {seconds:6.1f} s")
    write(f"all executors: {sum(PHASE_TIMES.values()):.0f} s")
