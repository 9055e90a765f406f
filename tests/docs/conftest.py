"""The docs' examples under ``dag.test()``: every test here runs against a migrated metadata database."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _metadata_db(airflow_db: object) -> None:
    """``dag.test()`` records its runs, task instances and XComs in the database."""
