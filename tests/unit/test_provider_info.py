"""Provider registration: metadata valid against Airflow's schema, cheap to import, seen by the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from airflow_provider_meetstream import __version__
from airflow_provider_meetstream.get_provider_info import get_provider_info


def _airflow_json(*args: str) -> list[dict]:
    airflow = Path(sys.executable).with_name("airflow")
    out = subprocess.run(
        [str(airflow), *args, "-o", "json"], check=True, capture_output=True, text=True, env=os.environ.copy()
    ).stdout
    # Airflow may log a line (e.g. about the unit-test config) before the JSON document.
    return json.loads(next(line for line in out.splitlines() if line.startswith("[")))


def test_metadata_matches_airflows_schema() -> None:
    import jsonschema
    from airflow import providers_manager

    schema_path = Path(providers_manager.__file__).with_name("provider_info.schema.json")
    jsonschema.validate(get_provider_info(), json.loads(schema_path.read_text()))


def test_metadata_names_the_real_modules() -> None:
    import importlib

    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-meetstream"
    assert info["versions"] == [__version__]
    for section in ("hooks", "operators", "sensors", "triggers"):
        for module in info[section][0]["python-modules"]:
            importlib.import_module(module)
    (connection,) = info["connection-types"]
    assert connection["connection-type"] == "meetstream"
    assert connection["hook-name"] == "MeetStream"
    module, _, name = connection["hook-class-name"].rpartition(".")
    hook = getattr(importlib.import_module(module), name)
    assert hook.conn_type == "meetstream"
    assert set(connection["conn-fields"]) == {"timeout", "max_retries", "deadline", "allow_insecure_http"}
    behaviour = connection["ui-field-behaviour"]
    assert behaviour["relabeling"] == {"password": "API key", "host": "API base URL"}
    assert behaviour["placeholders"]["host"] == "https://api.meetstream.ai"
    assert set(behaviour["hidden-fields"]) == {"schema", "port", "login"}


def test_get_provider_info_imports_nothing_heavy() -> None:
    code = (
        "import sys; from airflow_provider_meetstream.get_provider_info import get_provider_info; "
        "get_provider_info(); heavy = {'airflow', 'requests', 'tenacity', 'httpx', 'fastapi', 'dateutil'}; "
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout.strip()
        == "[]"
    )


def test_airflow_cli_lists_the_provider_and_hook() -> None:
    providers = _airflow_json("providers", "list")
    assert {"package_name": "airflow-provider-meetstream", "version": __version__} in [
        {"package_name": p["package_name"], "version": p["version"]} for p in providers
    ]
    hooks = _airflow_json("providers", "hooks")
    meetstream = [hook for hook in hooks if hook.get("connection_type") == "meetstream"]
    assert meetstream
    assert meetstream[0]["class"] == "airflow_provider_meetstream.hooks.meetstream.MeetStreamHook"
