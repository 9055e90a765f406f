"""
Test setup: a throwaway AIRFLOW_HOME, set before Airflow is imported, and its database where needed.

Also the fixtures every suite shares: the default MeetStream connection and the retry waits.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="meetstream-tests-airflow-home-")
REPO_ROOT = Path(__file__).resolve().parent.parent
os.environ.update(
    {
        "AIRFLOW_HOME": _AIRFLOW_HOME,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "example_dags"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME}/airflow.db",
    }
)
if version("apache-airflow").startswith("2."):
    # Airflow 2's unit-test config picks LocalExecutor, which refuses SQLite; Airflow 3 has no
    # SequentialExecutor and runs dag.test() in process anyway.
    os.environ["AIRFLOW__CORE__EXECUTOR"] = "SequentialExecutor"
# A developer's own connection must never leak into a test.
os.environ.pop("AIRFLOW_CONN_MEETSTREAM_DEFAULT", None)

import pytest  # noqa: E402
from meetstream_fakes import API_KEY, BASE, POLICY  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _airflow_home() -> Iterator[Path]:
    """The throwaway AIRFLOW_HOME, removed when the session ends."""
    yield Path(_AIRFLOW_HOME)
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db(_airflow_home: Path) -> Path:
    """
    The throwaway metadata database, migrated once with the real CLI, for the tests that need one.

    Only ``dag.test()`` runs and what reads task instances or XComs back need it: hooks, operators
    called directly, sensors and triggers run without.
    """
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=os.environ.copy())
    return _airflow_home / "airflow.db"


@pytest.fixture(scope="session")
def dagbag() -> object:
    """The example DAGs, parsed once."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    # Airflow's own examples stay out through AIRFLOW__CORE__LOAD_EXAMPLES above.
    return DagBag(dag_folder=str(REPO_ROOT / "example_dags"))


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """
    Set the default MeetStream connection in the environment, where Airflow reads it.

    ``connection()`` points it at ``BASE`` with ``API_KEY``; keyword arguments replace those fields
    or add others: ``connection(password="K")``, ``connection(host=server_url, extra={...})``.
    """

    def set_connection(**fields: object) -> None:
        conn = {"conn_type": "meetstream", "host": BASE, "password": API_KEY, **fields}
        monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps(conn))

    return set_connection


@pytest.fixture
def default_connection(connection: Callable[..., None]) -> None:
    """
    The default MeetStream connection at ``BASE`` with ``API_KEY``.

    A module whose every test calls MeetStream through it says so once:
    ``pytestmark = pytest.mark.usefixtures("default_connection")``.
    """
    connection()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the retry waits, sync and async, instead of sleeping."""
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(f"{POLICY}.sleep", recorded.append)
    monkeypatch.setattr(f"{POLICY}.asleep", record)
    return recorded


@pytest.fixture
def no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sync hook's waits between attempts take no time: the retries, not the waiting, are tested."""
    monkeypatch.setattr(f"{POLICY}.sleep", lambda seconds: None)


@pytest.fixture
def memory_storage(monkeypatch: pytest.MonkeyPatch) -> str:
    """
    A fresh ``memory://`` folder for object storage, standing in for a provider's bucket.

    Airflow resolves a path's scheme through its own registry of file systems to open a file (and,
    on Airflow 2, for any use), where ``memory`` is not: it is registered here for the test.
    """
    import uuid

    import fsspec

    try:
        from airflow.sdk.io.fs import _register_filesystems
    except ImportError:  # Airflow 2 and 3.0 keep the registry in airflow.io
        from airflow.io import _register_filesystems
    monkeypatch.setitem(
        _register_filesystems(), "memory", lambda conn_id, options=None: fsspec.filesystem("memory")
    )
    return f"memory:///meetstream-tests/{uuid.uuid4().hex}"


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Any:
    """
    A fresh collector of this Airflow's, as a hook-lineage reader (the OpenLineage plugin) makes one.

    Airflow's own getter is replaced, so that common-compat's adds the layer this Airflow needs
    (Airflow 2 names assets datasets), as it does for the hook.
    """
    from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector
    from airflow.providers.common.compat.sdk import HookLineageCollector

    fresh = HookLineageCollector()
    monkeypatch.setattr("airflow.providers.common.compat.sdk.get_hook_lineage_collector", lambda: fresh)
    return get_hook_lineage_collector()
