"""
`make dist`: both distributions' sdists and wheels into dist/, checked as the package index will
check them, and the provider's wheel installed alone with Airflow in a clean venv, where Airflow
lists the provider and parses every example DAG.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message
from email.parser import Parser
from importlib.metadata import version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DIST = REPO_ROOT / "dist"
UV = Path(sys.executable).with_name("uv")
TWINE = Path(sys.executable).with_name("twine")
VERSION = (REPO_ROOT / "VERSION").read_text(encoding="utf-8").strip()
SOURCES = {"airflow-provider-meetstream": REPO_ROOT, "meetstream-emulator": REPO_ROOT / "emulator"}
# What the provider's wheel must not bring: the emulator, its own runtime and the test tools.
NOT_INSTALLED = ("meetstream_emulator", "pytest", "time_machine", "icalendar", "requests_mock")
EXAMPLE_DAGS = REPO_ROOT / "example_dags"

# Run in the clean venv: every example DAG parsed by Airflow's own DagBag, each file giving a DAG.
_PARSE_EXAMPLES = """
import json, sys
from pathlib import Path
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag
import airflow_provider_meetstream
folder = Path(sys.argv[1])
bag = DagBag(dag_folder=str(folder))
print(json.dumps({
    "provider_file": airflow_provider_meetstream.__file__,
    "import_errors": {str(k): str(v)[-500:] for k, v in bag.import_errors.items()},
    "files": sorted({Path(dag.fileloc).name for dag in bag.dags.values()}),
    "dag_ids": sorted(bag.dag_ids),
}))
"""


class Failed(Exception):
    """A step's check did not hold; the message says which."""


def main() -> int:
    steps: list[tuple[str, float, str]] = []

    def step(name: str, action: Callable[[], str]) -> None:
        print(f"-- {name}", flush=True)
        started = time.perf_counter()
        try:
            detail = action()
        except Exception:
            print(f"   FAILED after {time.perf_counter() - started:.1f} s", flush=True)
            raise
        steps.append((name, time.perf_counter() - started, detail))
        print(f"   passed: {detail}", flush=True)

    airflow_version = version("apache-airflow")
    started = time.perf_counter()
    try:
        step("build sdists and wheels into dist/", build)
        step("twine check --strict dist/*", twine_check)
        step("classifiers known to PyPI", check_classifiers)
        step("versions and sdists' VERSION and LICENSE", check_archives)
        with clean_venv() as (python, home):
            step(
                f"clean venv: the provider's wheel and apache-airflow=={airflow_version}",
                lambda: install(python, airflow_version),
            )
            step("clean venv: no emulator, no test tools", lambda: check_absent(python, home))
            step("clean venv: airflow providers list", lambda: providers_list(python, home))
            step("clean venv: example DAGs parsed", lambda: parse_examples(python, home))
    except Failed as error:
        print(f"\nmake dist FAILED: {error}", file=sys.stderr)
        return 1
    print(f"\nmake dist passed, {VERSION}, in {time.perf_counter() - started:.1f} s:")
    for name, seconds, detail in steps:
        print(f"  {seconds:6.1f} s  {name}: {detail}")
    print("  " + "\n  ".join(sorted(path.name for path in DIST.iterdir() if path.name != ".gitignore")))
    return 0


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command, failing with its output; return its stdout."""
    command = [str(arg) for arg in args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    if done.returncode != 0:
        raise Failed(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def build() -> str:
    shutil.rmtree(DIST, ignore_errors=True)
    # `uv build` builds the sdist, then the wheel from the unpacked sdist: what pip does from an index.
    running = [
        subprocess.Popen(
            [str(UV), "build", "--quiet", "--out-dir", str(DIST), str(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for source in SOURCES.values()
    ]
    for source, process in zip(SOURCES.values(), running, strict=True):
        output, _ = process.communicate(timeout=600)
        if process.returncode != 0:
            raise Failed(f"uv build {source} failed:\n{output}")
    return f"{len(_archives())} archives"


def twine_check() -> str:
    run(TWINE, "check", "--strict", *_archives())
    return f"{len(_archives())} files"


def check_classifiers() -> str:
    from trove_classifiers import classifiers, deprecated_classifiers

    checked = 0
    for wheel in DIST.glob("*.whl"):
        for classifier in _metadata(wheel).get_all("Classifier") or []:
            if classifier not in classifiers or classifier in deprecated_classifiers:
                raise Failed(f"{wheel.name}: {classifier!r} is not a current trove classifier")
            checked += 1
    return f"{checked} classifiers"


def check_archives() -> str:
    for name in SOURCES:
        stem = f"{name.replace('-', '_')}-{VERSION}"
        wheel, sdist = DIST / f"{stem}-py3-none-any.whl", DIST / f"{stem}.tar.gz"
        if not wheel.is_file() or not sdist.is_file():
            raise Failed(f"no {wheel.name} and {sdist.name} in dist/ for VERSION {VERSION}")
        if _metadata(wheel)["Version"] != VERSION:
            raise Failed(f"{wheel.name} says version {_metadata(wheel)['Version']}")
        with tarfile.open(sdist) as archive:
            for member in ("VERSION", "LICENSE"):
                # emulator/VERSION and emulator/LICENSE are links: the sdist must hold the files.
                info = archive.getmember(f"{stem}/{member}")
                if not info.isfile() or info.size == 0:
                    raise Failed(f"{sdist.name}: {member} is not a regular file")
    return f"both at {VERSION}; each sdist holds VERSION and LICENSE as files"


@contextmanager
def clean_venv() -> Iterator[tuple[Path, Path]]:
    """A venv and an AIRFLOW_HOME in a temporary folder, removed whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix="meetstream-dist-"))
    try:
        run(UV, "venv", "--quiet", "--python", sys.executable, folder / "venv")
        (folder / "home").mkdir()
        yield folder / "venv" / "bin" / "python", folder / "home"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def install(python: Path, airflow_version: str) -> str:
    wheel = DIST / f"airflow_provider_meetstream-{VERSION}-py3-none-any.whl"
    run(UV, "pip", "install", "--quiet", "--python", python, wheel, f"apache-airflow=={airflow_version}")
    return wheel.name


def check_absent(python: Path, home: Path) -> str:
    # Run in the temporary home: from the checkout, `python -c` would find its packages on sys.path.
    code = "import importlib.util, sys; print(*(m for m in sys.argv[1:] if importlib.util.find_spec(m)))"
    found = run(python, "-c", code, *NOT_INSTALLED, cwd=home, env=_env(home)).split()
    if found:
        raise Failed(f"the provider's wheel brought {', '.join(found)}")
    return f"none of {', '.join(NOT_INSTALLED)} importable"


def providers_list(python: Path, home: Path) -> str:
    # Airflow 3.3 lists providers from their entry points without a metadata database.
    out = run(python.with_name("airflow"), "providers", "list", "-o", "json", cwd=home, env=_env(home))
    providers = json.loads(next(line for line in out.splitlines() if line.startswith("[")))
    listed = {p["package_name"]: p["version"] for p in providers}
    if listed.get("airflow-provider-meetstream") != VERSION:
        raise Failed(f"airflow providers list: {listed}")
    return f"airflow-provider-meetstream {VERSION} among {len(listed)} providers"


def parse_examples(python: Path, home: Path) -> str:
    out = run(python, "-c", _PARSE_EXAMPLES, EXAMPLE_DAGS, cwd=home, env=_env(home))
    parsed = json.loads(out.strip().splitlines()[-1])
    if not Path(parsed["provider_file"]).is_relative_to(python.parents[1]):
        raise Failed(f"the provider was imported from {parsed['provider_file']}, not the clean venv")
    if parsed["import_errors"]:
        raise Failed(f"import errors: {parsed['import_errors']}")
    files = sorted(path.name for path in EXAMPLE_DAGS.glob("*.py"))
    if parsed["files"] != files:
        raise Failed(f"files without a DAG: {sorted(set(files) - set(parsed['files']))}")
    return f"{len(parsed['dag_ids'])} DAGs from {len(files)} files, no import errors"


def _env(home: Path) -> dict[str, str]:
    # Nothing of the checkout or of .venv: no PYTHONPATH, no VIRTUAL_ENV, a home of its own.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env = {k: v for k, v in env.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    return env


def _archives() -> list[Path]:
    return sorted(path for path in DIST.iterdir() if path.suffix in (".whl", ".gz"))


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode())


if __name__ == "__main__":
    sys.exit(main())
