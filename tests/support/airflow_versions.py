"""What the tests do differently by Airflow version, where ``dag.test()`` itself differs."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from packaging.version import Version

AIRFLOW = Version(version("apache-airflow"))


def write_dag_assets(dag: Any) -> None:
    """
    Write the DAG's assets to the database, as the DAG processor of a deployment does.

    From 3.1, ``dag.test()`` writes them itself. Before, it does not: an asset event of a DAG run
    on Airflow 2 is dropped, and on 3.0 a task with such an outlet fails before it starts
    ("inactive assets in its inlets or outlets").
    """
    if AIRFLOW.major == 2:
        dag.sync_to_db()
    elif AIRFLOW.release[:2] == (3, 0):
        # The DAG processor's writer, which takes the scheduler's form of the DAG, as dag.test() makes it.
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        from airflow.models.dag import DAG
        from airflow.serialization.serialized_objects import SerializedDAG

        DagBundlesManager().sync_bundles_to_db()
        scheduler_dag = SerializedDAG.deserialize_dag(SerializedDAG.serialize_dag(dag))
        DAG.bulk_write_to_db("dags-folder", None, [scheduler_dag])  # noqa: AIR311


def without_masker_echo(console: str) -> str:
    """
    The console output of ``dag.test()`` less Airflow 3.0's own echo of each masked secret.

    Airflow 3.0's task runner logs every message it sends its supervisor at debug level, and
    ``dag.test()`` prints debug lines: ``Sending request msg=MaskSecret(value='<the secret>')``,
    once per ``mask_secret`` call, the API key's included. Those lines, and only those, are left
    out on 3.0; from 3.1 Airflow no longer writes them, and nothing is left out.
    """
    if AIRFLOW.release[:2] != (3, 0):
        return console
    return "\n".join(line for line in console.splitlines() if "msg=MaskSecret(value=" not in line)
