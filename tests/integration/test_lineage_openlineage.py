"""
OpenLineage end to end, each in a process of its own: the event a run emits, and nothing without it.

With apache-airflow-providers-openlineage and its console transport, a ``dag.test()`` run of
FetchTranscriptOperator against the emulator logs a COMPLETE event naming the file written and the
bot read; without the provider, the operators import and run as before, and no OpenLineage module
is loaded. The rest of the suite runs with the provider installed and OpenLineage disabled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

LINK = "https://us02web.zoom.us/j/5550001"
DAG_ID = "meetstream_openlineage_fetch"
#: A meeting of 30 minutes and the emulator's 2 minutes of processing, in seconds.
FINISHED = 32 * 60

FETCH_DAG = """
import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator

with DAG("DAG_ID", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
    FetchTranscriptOperator(task_id="fetch_transcript", bot_id="BOT_ID", base_path="BASE_PATH",
                            poll_interval=0.1, transcript_timeout=30)
"""

RUN_DAG = """
from airflow import settings

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2 and 3.0
    from airflow.models.dagbag import DagBag

bag = DagBag(dag_folder=settings.DAGS_FOLDER)
assert bag.import_errors == {}, bag.import_errors
print("RUN STATE", bag.get_dag("DAG_ID").test().state)
"""

#: Airflow first (its own provider discovery is not the operators' doing), then every operator
#: module, then a fetch run, then its facets; BLOCK runs before anything.
IMPORT_AND_FETCH = """
import importlib, json, pkgutil, sys
BLOCK
import airflow

def openlineage_modules(names):
    return sorted(
        name for name in names
        if sys.modules.get(name) is not None
        and (name.split(".")[0] == "openlineage" or name.startswith("airflow.providers.openlineage"))
    )

before = set(sys.modules)
import airflow_provider_meetstream.operators as operators

for module in pkgutil.iter_modules(operators.__path__):
    importlib.import_module(f"{operators.__name__}.{module.name}")
imported = openlineage_modules(set(sys.modules) - before)
from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator

operator = FetchTranscriptOperator(
    task_id="fetch", bot_id="BOT_ID", base_path="BASE_PATH", transcript_timeout=30
)
written = operator.execute({})
loaded = openlineage_modules(list(sys.modules))
try:
    facets = repr(operator.get_openlineage_facets_on_complete(None))
except ImportError as err:
    facets = f"ImportError: {err}"
result = {"imported": imported, "loaded": loaded}
print(json.dumps({**result, "segments": written["segments"], "facets": facets}))
"""

#: The OpenLineage provider and client as if not installed: no module, and no metadata for Airflow's
#: provider discovery to find (it would import the provider's get_provider_info, and fail).
NOT_INSTALLED = """
import importlib.metadata

def without_openlineage(distributions):
    def installed(**kwargs):
        for dist in distributions(**kwargs):
            try:
                name = (dist.metadata["Name"] or "").lower()
            except KeyError:
                name = ""
            if not name.startswith(("apache-airflow-providers-openlineage", "openlineage")):
                yield dist
    return installed

importlib.metadata.distributions = without_openlineage(importlib.metadata.distributions)
try:
    import importlib_metadata
except ImportError:
    pass
else:
    importlib_metadata.distributions = without_openlineage(importlib_metadata.distributions)
sys.modules["openlineage"] = None
sys.modules["airflow.providers.openlineage"] = None
"""


def _finished_bot(frozen: Any) -> dict[str, Any]:
    bot = MeetStreamHook().create_bot(LINK)
    frozen.emulator.admin.advance_clock(FINISHED)
    return bot


def _environment(home: Path, **settings: str) -> dict[str, str]:
    # The test's own (the emulator's connection, a unit-test config), no OpenLineage setting of the
    # developer's, and an AIRFLOW_HOME of the child's own.
    env = {name: value for name, value in os.environ.items() if "OPENLINEAGE" not in name}
    home.mkdir(parents=True, exist_ok=True)
    return {**env, "AIRFLOW_HOME": str(home), **settings}


def _events(output: str) -> list[dict[str, Any]]:
    """The OpenLineage events the console transport logged, one a line, whatever the log's prefix."""
    found = []
    for line in output.splitlines():
        if '"eventType"' not in line:
            continue
        try:
            # From the event's own brace: Airflow 2's log prefix has one too ("{console.py:30}").
            event, _ = json.JSONDecoder().raw_decode(line[line.index('{"') :])
        except ValueError:
            continue
        found.append(event)
    return found


def _shortened(event: dict[str, Any]) -> dict[str, Any]:
    """An event without its facets' bulk: what a reader checks first."""
    return {
        "eventType": event.get("eventType"),
        "eventTime": event.get("eventTime"),
        "producer": event.get("producer"),
        "job": {key: event.get("job", {}).get(key) for key in ("namespace", "name")},
        "run": {"runId": event.get("run", {}).get("runId")},
        "inputs": [{key: item.get(key) for key in ("namespace", "name")} for item in event.get("inputs", [])],
        "outputs": [
            {key: item.get(key) for key in ("namespace", "name")} for item in event.get("outputs", [])
        ],
    }


def test_a_fetch_run_emits_a_complete_event_naming_the_file_and_the_bot(
    meetstream_frozen_now, airflow_db: Path, tmp_path: Path
) -> None:
    pytest.importorskip("airflow.providers.openlineage", reason="the event is the OpenLineage provider's")
    bot = _finished_bot(meetstream_frozen_now)
    dags, out = tmp_path / "dags", tmp_path / "out"
    dags.mkdir()
    (dags / "fetch.py").write_text(
        FETCH_DAG.replace("DAG_ID", DAG_ID)
        .replace("BOT_ID", bot["bot_id"])
        .replace("BASE_PATH", f"file://{out}")
    )
    env = _environment(
        tmp_path / "airflow-home",
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        # The session's migrated database: dag.test() records its run there.
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{airflow_db}",
        AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps({"type": "console"}),
        AIRFLOW__OPENLINEAGE__NAMESPACE="meetstream-tests",
    )
    run = subprocess.run(
        [sys.executable, "-c", RUN_DAG.replace("DAG_ID", DAG_ID)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "RUN STATE success" in output, output[-4000:]
    complete = [
        event
        for event in _events(output)
        if event.get("eventType") == "COMPLETE"
        and event.get("job", {}).get("name") == f"{DAG_ID}.fetch_transcript"
    ]
    assert len(complete) == 1, output[-4000:]
    event = _shortened(complete[0])
    shown = json.dumps(event, indent=2)
    print(f"\nThe run's OpenLineage COMPLETE event, shortened:\n{shown}")
    port = urlsplit(meetstream_frozen_now.emulator.api_url).port
    written = out / bot["bot_id"] / "transcript.jsonl"
    assert written.is_file(), shown
    assert event["job"] == {"namespace": "meetstream-tests", "name": f"{DAG_ID}.fetch_transcript"}, shown
    assert event["outputs"] == [{"namespace": "file", "name": str(written)}], shown
    assert event["inputs"] == [
        {"namespace": f"meetstream://127.0.0.1:{port}", "name": f"bots/{bot['bot_id']}"}
    ], shown
    assert meetstream_frozen_now.emulator.api_key not in json.dumps(complete[0]), shown


def _import_and_fetch(frozen: Any, tmp_path: Path, block: str) -> dict[str, Any]:
    bot = _finished_bot(frozen)
    code = (
        IMPORT_AND_FETCH.replace("BLOCK", block)
        .replace("BOT_ID", bot["bot_id"])
        .replace("BASE_PATH", f"file://{tmp_path / 'out'}")
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(tmp_path / "airflow-home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def test_without_the_provider_the_operators_import_and_run_and_nothing_is_imported(
    meetstream_frozen_now, tmp_path: Path
) -> None:
    result = _import_and_fetch(meetstream_frozen_now, tmp_path, NOT_INSTALLED)
    assert result["segments"] > 0
    assert (result["imported"], result["loaded"]) == ([], [])
    # Only OpenLineage asks for the facets; here the method says the provider is missing.
    assert result["facets"].startswith("ImportError")


def test_installed_but_not_configured_importing_the_operators_loads_none_of_it(
    meetstream_frozen_now, tmp_path: Path
) -> None:
    pytest.importorskip("airflow.providers.openlineage")
    result = _import_and_fetch(meetstream_frozen_now, tmp_path, "")
    assert result["segments"] > 0
    assert result["imported"] == []
    # Airflow loads the provider's metadata and its plugin (disabled): never the OpenLineage client.
    assert [name for name in result["loaded"] if name.split(".")[0] == "openlineage"] == []
    assert "OperatorLineage(inputs=[Dataset(namespace='meetstream://" in result["facets"]


def test_the_suite_runs_with_openlineage_disabled() -> None:
    # Installed for these tests, it registers its listener only where a transport is configured:
    # the rest of the suite runs without it.
    conf = pytest.importorskip("airflow.providers.openlineage.conf")
    from airflow.providers.openlineage.plugins.openlineage import OpenLineageProviderPlugin

    assert conf.is_disabled()
    assert OpenLineageProviderPlugin.listeners == []
