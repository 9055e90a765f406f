"""Run one file of docs/examples/ as the docs show it: its DAG under dag.test(), against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_versions import write_dag_assets

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = DOCS / "examples"


def example_dag(name: str) -> Any:
    """The one DAG that ``docs/examples/<name>.py`` defines, parsed as the DAG processor would."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    # Airflow's own examples stay out through AIRFLOW__CORE__LOAD_EXAMPLES (tests/conftest.py).
    bag = DagBag(dag_folder=str(EXAMPLES / f"{name}.py"))
    assert bag.import_errors == {}, bag.import_errors
    (dag,) = bag.dags.values()
    return dag


def run_example(name: str, **conf: Any) -> dict[str, str]:
    """Run the example's DAG once; assert the run succeeded; its task states, by task (and map index)."""
    from airflow import settings
    from airflow.utils.state import DagRunState

    dag = example_dag(name)
    write_dag_assets(dag)
    # dag.test() serializes the DAG from its bundle, the dags folder: here, the docs' examples.
    dags_folder, settings.DAGS_FOLDER = settings.DAGS_FOLDER, str(EXAMPLES)
    try:
        dag_run = dag.test(run_conf=conf or None)
    finally:
        settings.DAGS_FOLDER = dags_folder
    states = {
        ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": ti.state
        for ti in dag_run.get_task_instances()
    }
    assert dag_run.state == DagRunState.SUCCESS, states
    return states


def xcom(dag_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    """What the latest run of ``dag_id`` pushed from ``task_id``."""
    from airflow.models.dagrun import DagRun

    dag_run = sorted(DagRun.find(dag_id=dag_id), key=lambda run: run.id)[-1]
    ti = dag_run.get_task_instance(task_id, map_index=map_index)
    assert ti is not None, (dag_id, task_id, map_index)
    return ti.xcom_pull(task_ids=task_id, key=key, map_indexes=map_index)
