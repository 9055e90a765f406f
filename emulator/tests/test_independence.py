"""The emulator stands alone: nothing under emulator/ imports the provider, statically or at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

EMULATOR = Path(__file__).resolve().parents[1]
PROVIDER = "airflow_provider_meetstream"
SOURCES = sorted([*(EMULATOR / "meetstream_emulator").rglob("*.py"), *(EMULATOR / "tests").rglob("*.py")])


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
            in {"import_module", "__import__", "find_spec"}
        ):
            found.update(arg.value for arg in node.args if isinstance(arg, ast.Constant))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.relative_to(EMULATOR).as_posix())
def test_no_module_imports_the_provider(path: Path) -> None:
    imported = _imported(path)
    assert not {name for name in imported if str(name).split(".")[0] == PROVIDER}


def test_the_package_does_not_even_name_the_provider() -> None:
    named = [
        path.name for path in (EMULATOR / "meetstream_emulator").rglob("*.py") if PROVIDER in path.read_text()
    ]
    assert named == []


# Every module imported, and every series of the demo calendar expanded (at load, from its start
# and at a far window), plus a rule refused at load: the error path once imported the provider.
BLOCKED_SCRIPT = f"""
import importlib, pkgutil, sys
sys.modules[{PROVIDER!r}] = None  # any import of the provider now raises ImportError
import meetstream_emulator
from meetstream_emulator.app import create_app
names = [info.name for info in pkgutil.walk_packages(meetstream_emulator.__path__, "meetstream_emulator.")]
for name in names:
    importlib.import_module(name)
create_app(calendar="demo")
bad = {{"id": "bad", "start_time": "2027-01-05T10:00:00Z", "end_time": "2027-01-05T11:00:00Z",
        "raw": {{"recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=XX"]}}}}
try:
    create_app(calendar=[bad])
except ValueError as exc:
    print("REFUSED", type(exc).__name__)
print("MODULES", len(names))
loaded = [name for name, module in sys.modules.items() if module is not None]
print("LOADED", sorted(name for name in loaded if name.split(".")[0] in ({PROVIDER!r}, "airflow")))
"""


def test_the_emulator_runs_with_the_provider_blocked() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "REFUSED ValueError" in lines
    assert int(next(line.split()[1] for line in lines if line.startswith("MODULES "))) >= 12
    assert "LOADED []" in lines
