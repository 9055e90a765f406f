"""Fixtures for the example-DAG tests."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"


@pytest.fixture(scope="session")
def dagbag():
    """The example DAGs, parsed once."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    # Airflow's own examples stay out through AIRFLOW__CORE__LOAD_EXAMPLES in tests/conftest.py.
    return DagBag(dag_folder=str(EXAMPLE_DAGS))
