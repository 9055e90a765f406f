"""
What each distribution installs (the provider without the emulator's server stack, the emulator with
it) and what its metadata says: one version, the license, the links and the classifiers.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from importlib.metadata import distribution
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSION = (REPO_ROOT / "VERSION").read_text(encoding="utf-8").strip()
# What the provider's own modules import; pendulum comes with Airflow and only the DAGs use it.
PROVIDER_RUNTIME = {
    "apache-airflow",
    "apache-airflow-providers-common-compat",
    "requests",
    "httpx",
    "tenacity",
    "python-dateutil",
    "tzlocal",
}
EMULATOR_RUNTIME = {
    "fastapi",
    "uvicorn",
    "requests",
    "icalendar",
    "recurring-ical-events",
    "python-dateutil",
    "tzlocal",
    "time-machine",
}
SERVER_STACK = {"fastapi", "uvicorn", "starlette"}


class Wheel:
    """A built wheel's metadata: its requirements, entry points and files."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            self.files = archive.namelist()
            info = next(name.split("/")[0] for name in self.files if name.endswith(".dist-info/METADATA"))
            self.metadata: Message = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
            entry_points = f"{info}/entry_points.txt"
            text = archive.read(entry_points).decode() if entry_points in self.files else ""
        self.entry_points = _entry_points(text)

    def requirements(self, *, runtime: bool) -> set[str]:
        """Names of the requirements without an extra (runtime) or of all of them."""
        return {
            _name(line)
            for line in self.metadata.get_all("Requires-Dist") or []
            if not runtime or "extra ==" not in line
        }


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def _entry_points(text: str) -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    group = ""
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        if line.startswith("["):
            group = line.strip("[]")
            groups[group] = {}
        else:
            name, _, value = line.partition("=")
            groups[group][name.strip()] = value.strip()
    return groups


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both distributions' sdists, and wheels built from them as `pip install` would, side by side."""
    uv = Path(sys.executable).with_name("uv")
    builds = {
        name: (source, tmp_path_factory.mktemp(name))
        for name, source in (("provider", REPO_ROOT), ("emulator", REPO_ROOT / "emulator"))
    }
    running = {
        name: subprocess.Popen(
            [str(uv), "build", "--quiet", "--out-dir", str(out), str(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, (source, out) in builds.items()
    }
    for name, process in running.items():
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, f"uv build of the {name} failed:\n{output}"
    return {name: out for name, (_, out) in builds.items()}


@pytest.fixture(scope="module")
def wheels(builds: dict[str, Path]) -> dict[str, Wheel]:
    """Both distributions' wheels, built from their sdists."""
    return {name: Wheel(next(out.glob("*.whl"))) for name, out in builds.items()}


def test_the_provider_requires_only_what_it_imports(wheels: dict[str, Wheel]) -> None:
    provider = wheels["provider"]
    assert provider.metadata["Name"] == "airflow-provider-meetstream"
    assert provider.requirements(runtime=True) == PROVIDER_RUNTIME
    assert not provider.requirements(runtime=False) & SERVER_STACK
    assert "meetstream-emulator" not in provider.requirements(runtime=False)


def test_the_provider_keeps_its_dev_tools_in_the_test_extra(wheels: dict[str, Wheel]) -> None:
    provider = wheels["provider"]
    assert {"test", "e2e"} <= set(provider.metadata.get_all("Provides-Extra") or [])
    assert {"pytest", "ruff", "mypy"} <= provider.requirements(runtime=False) - PROVIDER_RUNTIME


def test_the_provider_installs_no_script_no_pytest_plugin_and_no_emulator(wheels: dict[str, Wheel]) -> None:
    provider = wheels["provider"]
    assert provider.entry_points == {
        "apache_airflow_provider": {
            "provider_info": "airflow_provider_meetstream.get_provider_info:get_provider_info"
        }
    }
    packages = {
        name.split("/")[0] for name in provider.files if not name.split("/")[0].endswith(".dist-info")
    }
    assert packages == {"airflow_provider_meetstream"}
    assert not [name for name in provider.files if "emulator" in name]


def test_the_emulator_carries_the_server_its_command_and_its_plugin(wheels: dict[str, Wheel]) -> None:
    emulator = wheels["emulator"]
    assert emulator.metadata["Name"] == "meetstream-emulator"
    assert emulator.requirements(runtime=True) == EMULATOR_RUNTIME
    assert not {name for name in emulator.requirements(runtime=False) if name.startswith("apache-airflow")}
    assert emulator.entry_points == {
        "console_scripts": {"meetstream-emulator": "meetstream_emulator.__main__:main"},
        # Named after the module: a conftest's pytest_plugins naming it then finds it registered.
        "pytest11": {"meetstream_emulator.pytest_plugin": "meetstream_emulator.pytest_plugin"},
    }
    assert {
        "meetstream_emulator/demo_calendar.json",
        "meetstream_emulator/py.typed",
        "meetstream_emulator/pytest_plugin.py",
        "meetstream_emulator/__main__.py",
    } <= set(emulator.files)


def test_both_distributions_have_one_version(wheels: dict[str, Wheel]) -> None:
    import airflow_provider_meetstream
    import meetstream_emulator

    # Both pyproject.toml read the root's VERSION, the emulator's through a link beside it.
    for source in (REPO_ROOT, REPO_ROOT / "emulator"):
        project = (source / "pyproject.toml").read_text(encoding="utf-8")
        assert 'dynamic = ["version"]' in project
        assert re.search(r'^version = \{ file = "VERSION" \}$', project, flags=re.MULTILINE)
    assert (REPO_ROOT / "emulator" / "VERSION").resolve() == REPO_ROOT / "VERSION"
    assert {wheel.metadata["Version"] for wheel in wheels.values()} == {VERSION}
    assert meetstream_emulator.__version__ == airflow_provider_meetstream.__version__ == VERSION
    installed = {
        distribution(name).version for name in ("airflow-provider-meetstream", "meetstream-emulator")
    }
    assert installed == {VERSION}, "the editable installs are stale: `make test` reinstalls them"


@pytest.mark.parametrize("name", ["provider", "emulator"])
def test_the_sdists_carry_version_and_license_as_files(builds: dict[str, Path], name: str) -> None:
    # The emulator's VERSION and LICENSE are links to the root's; its sdist must hold the files.
    (sdist,) = builds[name].glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        root = sdist.name.removesuffix(".tar.gz")
        for member in ("VERSION", "LICENSE"):
            info = archive.getmember(f"{root}/{member}")
            assert info.isfile(), f"{sdist.name}: {member} is not a regular file"
            extracted = archive.extractfile(info)
            assert extracted is not None
            assert extracted.read() == (REPO_ROOT / member).read_bytes()


@pytest.mark.parametrize("name", ["provider", "emulator"])
def test_both_distributions_declare_the_license_and_link_only_real_pages(
    wheels: dict[str, Wheel], name: str
) -> None:
    wheel = wheels[name]
    # PEP 639: an SPDX expression and the license file itself, no License classifier beside them.
    assert wheel.metadata["License-Expression"] == "Apache-2.0"
    assert wheel.metadata.get_all("License-File") == ["LICENSE"]
    assert any(path.endswith(".dist-info/licenses/LICENSE") for path in wheel.files)
    assert not [c for c in wheel.metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    # No repository or docs site of the project's own is public: MeetStream's API docs only.
    assert wheel.metadata.get_all("Project-URL") == ["MeetStream API, https://docs.meetstream.ai/"]
    assert wheel.metadata["Keywords"]


def test_the_classifiers_say_what_each_distribution_is(wheels: dict[str, Wheel]) -> None:
    provider, emulator = (
        set(wheels[name].metadata.get_all("Classifier") or []) for name in ("provider", "emulator")
    )
    pythons = {f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12)}
    both = {"Intended Audience :: Developers", "Typing :: Typed", *pythons}
    assert both | {"Framework :: Apache Airflow", "Framework :: Apache Airflow :: Provider"} <= provider
    assert any(c.startswith("Development Status ::") for c in provider)
    assert any(c.startswith("Topic ::") for c in provider)
    assert both | {"Framework :: Pytest", "Topic :: Software Development :: Testing"} <= emulator
    assert any(c.startswith("Development Status ::") for c in emulator)
    # The emulator imports no Airflow.
    assert not [c for c in emulator if "Apache Airflow" in c]
    # The oldest Python classified is requires-python's floor.
    for wheel in wheels.values():
        assert wheel.metadata["Requires-Python"] == ">=3.10"
        assert "Programming Language :: Python :: 3.9" not in wheel.metadata.get_all("Classifier")
