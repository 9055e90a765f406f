"""The package's shape: small modules that say what they are for, imports one way, one default connection."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator

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


def _re_exports(path: Path) -> list[str]:
    """Names a module imports only to hand them on: ``import X as X``, or imported and in ``__all__``."""
    tree = ast.parse(path.read_text())
    listed: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            listed = {item.value for item in ast.walk(node.value) if isinstance(item, ast.Constant)}
    # A package's __init__ may present its own submodules' names: that is its public face.
    own = f"airflow_provider_meetstream.{path.parent.relative_to(PACKAGE).as_posix().replace('/', '.')}"
    found = []
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
        if path.name == "__init__.py" and module.startswith(f"{own}."):
            continue
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if alias.asname == alias.name or bound in listed:
                found.append(f"{module}.{alias.name}" if module else alias.name)
    return found


@pytest.mark.parametrize("path", _provider_modules(), ids=_name)
def test_no_module_re_exports_another_modules_name(path: Path) -> None:
    # Each public name has one import path: the module that defines it.
    assert _re_exports(path) == []


@pytest.mark.parametrize("path", sorted((PACKAGE / "sensors").glob("*.py")), ids=_name)
def test_sensors_do_not_depend_on_the_operators(path: Path) -> None:
    imported = _imports(path, top_level_only=False)
    assert not {name for name in imported if name.startswith("airflow_provider_meetstream.operators")}


@pytest.mark.parametrize(
    "path", [p for p in _provider_modules() if p.relative_to(PACKAGE).parts[0] != "hooks"], ids=_name
)
def test_only_the_hooks_build_a_hook(path: Path) -> None:
    # Operators and sensors get theirs from MeetStreamHookMixin.hook, with their hook_params.
    built = [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "MeetStreamHook"
    ]
    assert built == []


@pytest.mark.parametrize("path", sorted((PACKAGE / "triggers").glob("*.py")), ids=_name)
def test_trigger_never_imports_the_sensor(path: Path) -> None:
    imported = _imports(path, top_level_only=False)
    assert not {name for name in imported if name.startswith("airflow_provider_meetstream.sensors")}


def test_sensor_imports_the_trigger_only_when_it_defers() -> None:
    imported = _imports(PACKAGE / "sensors" / "meetstream.py", top_level_only=True)
    assert not {name for name in imported if name.startswith("airflow_provider_meetstream.triggers")}


#: What no trigger module may load on import: the HTTP libraries, the hooks (the async client
#: imports httpx, the sync hook requests) and the sensors.
HEAVY_FOR_THE_TRIGGERER = (
    "httpx",
    "requests",
    "airflow_provider_meetstream.hooks",
    "airflow_provider_meetstream.sensors",
    # The recurrence engine: about 7 ms to import from source, and a trigger needs it only once it
    # polls (imported then, in a thread, with the async client).
    "airflow_provider_meetstream.recurrence",
)


def _heavy_for_the_triggerer(name: str) -> bool:
    return any(name == heavy or name.startswith(f"{heavy}.") for heavy in HEAVY_FOR_THE_TRIGGERER)


def test_importing_a_trigger_module_loads_nothing_heavy() -> None:
    # The triggerer imports a trigger's module on its event loop: the async client (httpx) is loaded
    # by the trigger loop on first use, in a worker thread; requests and the sensors not at all.
    # Measured against what the triggerer itself loaded first (Airflow 2's loads requests, Airflow
    # 3's httpx); one interpreter for all, so a heavy module shows at the first import that loads it.
    modules = sorted(
        f"airflow_provider_meetstream.triggers.{path.stem}"
        for path in (PACKAGE / "triggers").glob("*.py")
        if path.stem != "__init__"
    )
    assert len(modules) >= 4  # the loop and the three triggers, at least
    code = (
        "import importlib, sys; import airflow.jobs.triggerer_job_runner; loaded = {}\n"
        f"for module in {modules!r}:\n"
        "    before = set(sys.modules); importlib.import_module(module)\n"
        "    loaded[module] = sorted(set(sys.modules) - before)\n"
        "print(loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = ast.literal_eval(out.strip().splitlines()[-1])
    heavy = {
        module: [name for name in names if _heavy_for_the_triggerer(name)] for module, names in loaded.items()
    }
    assert heavy == {module: [] for module in modules}


@pytest.mark.parametrize(
    "path", sorted([*(PACKAGE / "recurrence").rglob("*.py"), *(PACKAGE / "rules").rglob("*.py")]), ids=_name
)
def test_recurrence_and_rules_import_nothing_from_airflow(path: Path) -> None:
    # Pure shared vocabulary, a lower layer than anything that needs Airflow.
    imported = _imports(path, top_level_only=False)
    assert not {name for name in imported if name == "airflow" or name.startswith("airflow.")}


def test_the_rules_load_no_airflow_at_all() -> None:
    code = (
        "import sys, airflow_provider_meetstream.rules\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'airflow'))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_every_task_defaults_to_the_hooks_connection() -> None:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.operators.meetstream import UnscheduleEventOperator
    from airflow_provider_meetstream.operators.recurring import (
        ExpandRecurringEventOperator,
        ScheduleRecurringEventOperator,
    )
    from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

    tasks = [
        ScheduleEventOperator(task_id="a", event_id="e", deduplication_key="k"),
        UnscheduleEventOperator(task_id="b", event_id="e"),
        ExpandRecurringEventOperator(task_id="c", event_id="e", deduplication_key="k"),
        ScheduleRecurringEventOperator(task_id="d", event_id="e", deduplication_key="k"),
        ListScheduledSensor(task_id="s"),
    ]
    assert {task.meetstream_conn_id for task in tasks} == {MeetStreamHook.default_conn_name}
    assert MeetStreamHook.default_conn_name == "meetstream_default"


def test_importing_operators_and_sensor_loads_no_hook() -> None:
    import subprocess
    import sys

    # Only the hook mixin, which imports the hook (and requests) when a task first uses it.
    code = (
        "import sys; import airflow_provider_meetstream.operators.meetstream, "
        "airflow_provider_meetstream.sensors.meetstream; "
        "print(sorted(name for name in sys.modules if name.startswith("
        "('airflow_provider_meetstream.hooks', 'airflow_provider_meetstream.triggers'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == str(
        ["airflow_provider_meetstream.hooks", "airflow_provider_meetstream.hooks.mixin"]
    )
