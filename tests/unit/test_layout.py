"""The package's shape: small modules that say what they are for, and imports that run one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "airflow_provider_meetstream"
MAX_LINES = 400


def _provider_modules() -> list[Path]:
    # The emulator, the other side of the wire, is a distribution of its own in emulator/.
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", _provider_modules(), ids=_name)
def test_module_is_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", [p for p in _provider_modules() if p.read_text().strip()], ids=_name)
def test_module_opens_with_one_line_on_its_purpose(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text()))
    assert docstring
    assert docstring.splitlines()[0].strip()


def test_no_private_name_crosses_modules() -> None:
    crossing = [
        f"{_name(path)}: {node.module}.{alias.name}"
        for path in _provider_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("airflow_provider_meetstream")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.endswith("__")
    ]
    assert crossing == []


def test_trigger_never_imports_the_sensor() -> None:
    imported = _imports(PACKAGE / "triggers" / "meetstream.py", top_level_only=False)
    assert not {name for name in imported if name.startswith("airflow_provider_meetstream.sensors")}


def test_sensor_imports_the_trigger_only_when_it_defers() -> None:
    imported = _imports(PACKAGE / "sensors" / "meetstream.py", top_level_only=True)
    assert not {name for name in imported if name.startswith("airflow_provider_meetstream.triggers")}


def test_importing_the_trigger_loads_the_async_client_but_neither_the_sensor_nor_requests() -> None:
    # The triggerer imports a trigger's module before running it: what run() needs is imported
    # there, not on the event loop; the sensor, the sync hook and requests are not needed at all.
    # Measured against what the triggerer itself loaded first: Airflow 2's triggerer loads requests.
    code = (
        "import sys; import airflow.jobs.triggerer_job_runner; before = set(sys.modules); "
        "import airflow_provider_meetstream.triggers.meetstream; "
        "print(sorted(name for name in set(sys.modules) - before if name == 'requests' or name.startswith("
        "('airflow_provider_meetstream.sensors', 'airflow_provider_meetstream.hooks'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = ast.literal_eval(out.strip().splitlines()[-1])
    assert "airflow_provider_meetstream.hooks.async_client" in loaded
    assert not [name for name in loaded if name.startswith("airflow_provider_meetstream.sensors")]
    assert "airflow_provider_meetstream.hooks.meetstream" not in loaded
    assert "requests" not in loaded


@pytest.mark.parametrize("path", sorted((PACKAGE / "recurrence").rglob("*.py")), ids=_name)
def test_recurrence_imports_nothing_from_airflow(path: Path) -> None:
    # Pure shared vocabulary, a lower layer than anything that needs Airflow.
    imported = _imports(path, top_level_only=False)
    assert not {name for name in imported if name == "airflow" or name.startswith("airflow.")}
