"""The reliability suite's shared pieces: the figures each test prints, summed up at the end of the run."""

from __future__ import annotations

from typing import Any

import pytest

#: Every figure a reliability test reports, in the order reported: (test, figure, value).
FIGURES: list[tuple[str, str, Any]] = []


class Figures:
    """Print a test's figures as they come (seen with ``-s``) and keep them for the summary."""

    def __init__(self, test: str) -> None:
        self.test = test

    def __call__(self, figure: str, value: Any) -> None:
        FIGURES.append((self.test, figure, value))
        print(f"  {figure}: {value}")


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Report a figure of this test: ``figures("requests", 120)``."""
    print(f"\n{request.node.name}")
    return Figures(request.node.name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Every reliability figure of the run, after the test results."""
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    current = None
    for test, figure, value in FIGURES:
        if test != current:
            terminalreporter.write_line(test)
            current = test
        terminalreporter.write_line(f"    {figure}: {value}")
