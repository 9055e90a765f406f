"""The pytest plugin is one plugin, whether the entry point, a conftest's pytest_plugins, or both load it."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

EMULATOR = Path(__file__).resolve().parents[1]
PLUGIN = "meetstream_emulator.pytest_plugin"

# Run from the checkout without installing the emulator, only the conftest can load it.
INSTALLED = any(point.value == PLUGIN for point in entry_points(group="pytest11"))

CONFTEST = f'pytest_plugins = ["{PLUGIN}"]\n'
PROBE = f'''
import {PLUGIN} as plugin


def test_registered_once(request, meetstream_emulator_session):
    manager = request.config.pluginmanager
    assert [manager.get_name(p) for p in manager.get_plugins() if p is plugin] == ["{PLUGIN}"]
    dists = [dist.project_name for _, dist in manager.list_plugin_distinfo()]
    print("ENTRY POINT", "meetstream-emulator" in dists)
'''


# Without the entry point (not installed) there is only the conftest case to check.
CASES = {"conftest-and-entry-point": True, **({"entry-point": False} if INSTALLED else {})}


@pytest.mark.parametrize("with_conftest", list(CASES.values()), ids=list(CASES))
def test_the_plugin_registers_once(tmp_path: Path, with_conftest: bool) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    if with_conftest:
        (tmp_path / "conftest.py").write_text(CONFTEST)
    env = {**os.environ, "PYTHONPATH": str(EMULATOR)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ENTRY POINT {INSTALLED}" in done.stdout
