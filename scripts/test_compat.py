"""
`make test-compat`: every supported Airflow, each in a venv of its own, against the whole suite.

For each version of :data:`AIRFLOW`, the script makes (or refreshes) ``.venv-airflow-<version>``
the way Airflow tells its users to install: Airflow first, resolved as of its release (what its
constraints file pinned then), then the project with its test extras beside it. It runs this same
script inside that venv (``--inside``): the pytest suite (unit, integration, system, docs,
reliability, the emulator's), and on Airflow 2, every example DAG on ``airflow standalone`` (3.3's
deployment is ``make test-e2e``'s). Then it prints a table of versions against results and times.
``make test-airflow2`` is the 2.11 row alone.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_DAGS = REPO / "example_dags"
#: Each supported Airflow: its latest patch, and the day after its release, as of which its
#: dependencies are resolved. Without that date, 3.0.6 takes today's cadwyn and FastAPI, and its
#: own task runner's requests fail validation: Airflow's constraints file pins them, and so do we.
AIRFLOW: dict[str, tuple[str, str]] = {
    "2.11": ("2.11.2", "2026-03-15"),
    "3.0": ("3.0.6", "2025-08-30"),
    "3.1": ("3.1.8", "2026-03-12"),
    "3.2": ("3.2.2", "2026-05-30"),
    "3.3": ("3.3.2", "2026-09-18"),
}
#: Installed with Airflow where the tests need them: 3.0 and 3.1 build a provider's connection
#: fields with Flask-AppBuilder's widgets, which the FAB provider brings (3.2 reads the provider info).
WITH_AIRFLOW = {"3.0": ["apache-airflow-providers-fab"], "3.1": ["apache-airflow-providers-fab"]}
#: What makes a venv stale: the project's metadata, its version, and how Airflow is pinned.
INSTALL_INPUTS = ("pyproject.toml", "emulator/pyproject.toml", "VERSION")
#: Example DAG files that define no DAG on Airflow 2: an asset watcher needs Airflow 3.
AIRFLOW_3_ONLY = {
    "meetstream_meeting_finished": "an AssetWatcher needs Airflow 3; meetstream_harvest is the way"
}
TRANSCRIPTS_DAG = "meetstream_transcripts_to_storage"
# The interpreter running this script; inside a compat venv its airflow, pytest and emulator
# scripts sit beside it.
BIN = Path(sys.executable).parent
API_KEY = "airflow2-emulator-key"
# pytest's last line, "909 passed, 65 warnings in 125.64s (0:02:05)", bare under -q or between "="s.
_OUTCOMES = r"(?:passed|failed|errors?|skipped|deselected|warnings?|xfailed|xpassed)"
_SUMMARY = re.compile(rf"^=*\s*(\d+ {_OUTCOMES}\b.*\bin [\d.]+s\b.*?)\s*=*$")


def free_port() -> int:
    """A TCP port that nothing listens on at this instant, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 1.0) -> Any:
    """Call ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
    return result


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, indented, for a failure message."""
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def run_pytest(pytest_args: list[str]) -> tuple[bool, str]:
    """The whole suite (tests/e2e is not collected without --e2e); echo its output, return its summary."""
    last: deque[str] = deque(maxlen=5)
    with subprocess.Popen(
        [str(BIN / "pytest"), "-q", *pytest_args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            last.append(line.strip())
    summary = next((m.group(1) for line in reversed(last) if (m := _SUMMARY.match(line))), "no summary line")
    return process.returncode == 0, summary


class Processes:
    """Every process this script starts, each in a session of its own, and how to stop it and its children."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start ``argv``; its stdout and stderr go to ``<log_dir>/<name>.log``."""
        with (self.log_dir / f"{name}.log").open("wb") as out:
            process = subprocess.Popen(
                argv, env=env, cwd=self.log_dir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started[name] = process
        return process

    def check_alive(self) -> None:
        """Fail, with the tail of its output, when a started process has exited."""
        for name, process in self.started.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}:\n{tail(self.log_dir / f'{name}.log')}"
                )

    def stop_all(self) -> None:
        """SIGINT, then SIGTERM, then SIGKILL, each by pid, to every process started and all its children."""
        import psutil

        for name, process in reversed(self.started.items()):
            # Task runners put themselves in process groups of their own: collect the tree by pid first.
            try:
                tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
            except psutil.NoSuchProcess:
                tree = []
            # `airflow standalone` stops its components on SIGINT (it waits for KeyboardInterrupt).
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                alive = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
                if not alive:
                    break
                for member in alive:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        member.send_signal(sig)
                psutil.wait_procs(alive, timeout=grace)
            process.wait()
            print(f"  stopped {name} (pid {process.pid}) and {max(len(tree) - 1, 0)} child processes")


class Standalone:
    """A running `airflow standalone` on loopback, and its REST API v1 with basic auth."""

    def __init__(self, home: Path, url: str, processes: Processes) -> None:
        import requests

        self.home, self.url, self.processes = home, url, processes
        self.session = requests.Session()

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """One REST API v1 call; fail on any non-2xx answer."""
        answer = self.session.request(method, f"{self.url}/api/v1{path}", timeout=30, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def wait_ready(self, timeout: float) -> None:
        """Until the admin password is written and the scheduler and triggerer report healthy."""
        import requests

        password_file = self.home / "standalone_admin_password.txt"

        def healthy() -> bool:
            self.processes.check_alive()
            if not password_file.exists():
                return False
            try:
                health = self.session.get(f"{self.url}/api/v1/health", timeout=5).json()
            except (requests.RequestException, ValueError):
                return False
            return all(health.get(part, {}).get("status") == "healthy" for part in ("scheduler", "triggerer"))

        wait_until(healthy, timeout, "airflow standalone to be healthy")
        self.session.auth = ("admin", password_file.read_text().strip())

    def wait_dags(self, timeout: float) -> list[str]:
        """Until every example DAG file is parsed, failing on an import error; return the DAG ids."""
        expected = {str(path) for path in EXAMPLE_DAGS.glob("*.py") if path.stem not in AIRFLOW_3_ONLY}

        def parsed() -> list[str] | None:
            self.processes.check_alive()
            errors = self.api("GET", "/importErrors")["import_errors"]
            if errors:
                raise RuntimeError("import errors:\n" + "\n".join(e["stack_trace"] for e in errors))
            dags = self.api("GET", "/dags", params={"limit": 100})["dags"]
            if {dag["fileloc"] for dag in dags} >= expected:
                return sorted(dag["dag_id"] for dag in dags)
            return None

        return list(wait_until(parsed, timeout, "the scheduler to parse every example DAG"))

    def trigger(self, dag_id: str, env: dict[str, str], conf: dict[str, Any] | None = None) -> str:
        """Unpause the DAG and trigger one run with `airflow dags trigger`; return its run id."""
        self.api("PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": False})
        run_id = f"airflow2-{dag_id}"
        subprocess.run(
            [
                str(BIN / "airflow"),
                "dags",
                "trigger",
                dag_id,
                "--run-id",
                run_id,
                "--conf",
                json.dumps(conf or {}),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        return run_id

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        """Until the run ends; return it, or fail after ``timeout`` s with its task states."""

        def ended() -> dict[str, Any] | None:
            self.processes.check_alive()
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            return run if run["state"] in ("success", "failed") else None

        try:
            return dict(wait_until(ended, timeout, f"{dag_id} to end", interval=2))
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; task states: {self.task_states(dag_id, run_id)}") from None

    def task_states(self, dag_id: str, run_id: str) -> dict[str, int]:
        """How many task instances of the run are in each state."""
        instances = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
        states: dict[str, int] = {}
        for instance in instances["task_instances"]:
            states[str(instance["state"])] = states.get(str(instance["state"]), 0) + 1
        return states

    def triggers_fired(self, dag_id: str, run_id: str) -> int:
        """How many of the run's deferrals the triggerer completed, from its task log files."""
        run_logs = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        return sum(
            "fired: TriggerEvent" in log.read_text(errors="replace")
            for log in run_logs.rglob("*.trigger.*.log")
        )

    def failed_task_logs(self, dag_id: str, run_id: str) -> str:
        """The tail of each failed task's latest log file."""
        instances = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
        parts = []
        for instance in instances["task_instances"]:
            if instance["state"] in ("failed", "upstream_failed"):
                logs = sorted(
                    (self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}").glob(
                        f"task_id={instance['task_id']}/**/attempt=*.log"
                    )
                )
                where = f"{instance['task_id']} ({instance['state']})"
                parts.append(f"  {where}:\n{tail(logs[-1]) if logs else '    no log file'}")
        return "\n".join(parts)


def standalone_env(home: Path, web_port: int, emulator_api: str) -> dict[str, str]:
    """The environment of `airflow standalone` and of the CLI calls next to it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AIRFLOW") and key != "PYTEST_ADDOPTS"
    }
    env.update(
        {
            # `airflow standalone` starts its components as `airflow` from PATH.
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": "127.0.0.1",
            "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(web_port),
            "AIRFLOW__WEBSERVER__WORKERS": "2",
            # Free ports, so that another Airflow on this machine keeps its 8793 and 8794.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__API__AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth",
            # Only the runs this script triggers: the hourly example must not add its own.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # The example sensors defer, so the triggerer runs the provider's triggers on Airflow 2.
            "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True",
            "AIRFLOW_CONN_MEETSTREAM_DEFAULT": json.dumps(
                {"conn_type": "meetstream", "host": emulator_api, "password": API_KEY}
            ),
        }
    )
    return env


def emulator_command() -> list[str]:
    """The emulator's own ``meetstream-emulator`` script, wherever its distribution lives."""
    return [str(BIN / "meetstream-emulator")]


def start_emulator(processes: Processes) -> str:
    """The emulator with its demo calendar on a free loopback port; return its API URL."""
    processes.start(
        "emulator",
        [*emulator_command(), "--host", "127.0.0.1", "--port", "0", "--api-key", API_KEY],
        {**os.environ},
    )

    def api_url() -> str | None:
        processes.check_alive()
        found = re.search(r"\(API (\S+)\)", (processes.log_dir / "emulator.log").read_text(errors="replace"))
        return found.group(1) if found else None

    return str(wait_until(api_url, 60, "the emulator's ready line", interval=0.2))


@contextlib.contextmanager
def phase(name: str, times: dict[str, float]) -> Iterator[None]:
    """Time a phase and print how long it took."""
    started = time.monotonic()
    try:
        yield
    finally:
        times[name] = time.monotonic() - started
        print(f"[{name}: {times[name]:.1f} s]", flush=True)


def transcripts_conf(emulator_api: str, home: Path) -> dict[str, Any]:
    """The transcripts DAG's conf: the batch DAG's live bots, once the emulator's clock has passed them."""
    import requests

    controls = emulator_api.removesuffix("/api/v1") + "/_emulator"
    state = requests.get(f"{controls}/state", timeout=30).json()
    bot_ids = sorted(
        bot["bot_id"]
        for bot in state["bots"]
        if bot["deduplication_key"].startswith("meetstream_batch_from_calendar.")
        and bot["status"] != "Cancelled"
    )
    # Past the meetings of the next day and the delay after which a transcript is ready.
    requests.post(f"{controls}/clock/advance", json={"seconds": 26 * 3600}, timeout=30).raise_for_status()
    return {"bot_ids": bot_ids, "base_path": f"file://{home}/transcripts"}


def run_one(
    airflow: Standalone, dag_id: str, env: dict[str, str], timeout: float, conf: dict[str, Any] | None = None
) -> tuple[bool, str]:
    """Trigger one run of a DAG and wait for it; return its success and a line on it."""
    import requests

    started = time.monotonic()
    try:
        run_id = airflow.trigger(dag_id, env, conf)
        state = airflow.wait_run(dag_id, run_id, timeout)["state"]
    except subprocess.CalledProcessError as exc:
        return False, f"`airflow dags trigger` failed:\n{exc.stdout.decode()}{exc.stderr.decode()}"
    except (TimeoutError, requests.RequestException) as exc:
        return False, str(exc)
    took = time.monotonic() - started
    line = (
        f"{state} in {took:.1f} s, tasks {airflow.task_states(dag_id, run_id)},"
        f" triggers fired {airflow.triggers_fired(dag_id, run_id)}"
    )
    if state != "success":
        line += "\n" + airflow.failed_task_logs(dag_id, run_id)
    return state == "success", line


def run_standalone(
    dag_timeout: float, only: list[str], keep_logs: bool, times: dict[str, float]
) -> dict[str, tuple[bool, str]]:
    """The example DAGs (all, or ``only``), one at a time, on `airflow standalone`; return each result."""
    home = Path(tempfile.mkdtemp(prefix="meetstream-compat-"))
    log_dir = home / "process-logs"
    log_dir.mkdir()
    processes = Processes(log_dir)
    results: dict[str, tuple[bool, str]] = {}
    keep = keep_logs
    try:
        with phase("start emulator and airflow standalone", times):
            emulator_api = start_emulator(processes)
            web_port = free_port()
            env = standalone_env(home, web_port, emulator_api)
            processes.start("standalone", [str(BIN / "airflow"), "standalone"], env)
            airflow = Standalone(home, f"http://127.0.0.1:{web_port}", processes)
            print(f"  emulator {emulator_api}; airflow standalone {airflow.url} (AIRFLOW_HOME={home})")
            airflow.wait_ready(timeout=300)
            dag_ids = airflow.wait_dags(timeout=180)
            for stem, why in AIRFLOW_3_ONLY.items():
                print(f"  skipped {stem}: {why}")
        # The transcripts DAG last, on the bots the batch DAG left (its own default sends a bot into
        # a 30-minute meeting).
        order = sorted(only or dag_ids, key=lambda dag_id: dag_id == TRANSCRIPTS_DAG)
        for dag_id in order:
            with phase(dag_id, times):
                conf = transcripts_conf(emulator_api, home) if dag_id == TRANSCRIPTS_DAG else None
                results[dag_id] = run_one(airflow, dag_id, env, dag_timeout, conf)
                print(f"  {'ok    ' if results[dag_id][0] else 'FAILED'}  {dag_id}: {results[dag_id][1]}")
                keep = keep or not results[dag_id][0]
    except Exception:
        keep = True
        raise
    finally:
        with phase("stop every process started", times):
            processes.stop_all()
        if keep:
            print(f"  logs kept in {home} (process-logs/, logs/)")
        else:
            shutil.rmtree(home, ignore_errors=True)
    return results


def run_inside(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """In a compat venv: the suite, then on Airflow 2 the example DAGs; write the result as JSON."""
    airflow_version = version("apache-airflow")
    # `kill` of this script still stops what it started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    times: dict[str, float] = {}
    summary, ok = "skipped", True
    if not args.skip_pytest:
        with phase("pytest", times):
            ok, summary = run_pytest(pytest_args)
    results: dict[str, tuple[bool, str]] = {}
    # Airflow 3's deployment, every component on PostgreSQL, is `make test-e2e`'s.
    if not args.skip_standalone and airflow_version.startswith("2."):
        print(f"\nThe example DAGs on airflow standalone (Airflow {airflow_version}):", flush=True)
        try:
            results = run_standalone(args.dag_timeout, args.dag, args.keep_logs, times)
        except Exception as exc:
            print(f"  FAILED  airflow standalone: {exc!r}")
            results = {"airflow standalone": (False, str(exc).splitlines()[0])}

    print(f"\nAirflow {airflow_version} ({BIN.parent.name}):")
    print(f"  pytest      {summary}")
    for dag_id, (dag_ok, line) in results.items():
        print(f"  {'ok    ' if dag_ok else 'FAILED'}  {dag_id}: {line.splitlines()[0]}")
    print("  phases: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in times.items()))
    passed = ok and all(dag_ok for dag_ok, _ in results.values())
    if args.result:
        Path(args.result).write_text(
            json.dumps(
                {
                    "airflow": airflow_version,
                    "ok": passed,
                    "pytest": summary,
                    "pytest_ok": ok,
                    "dags": None if not results else sum(dag_ok for dag_ok, _ in results.values()),
                    "dags_run": len(results),
                    "times": times,
                }
            )
        )
    return 0 if passed else 1


def install_stamp(minor: str) -> str:
    """What the venv of ``minor`` was installed from; a venv whose stamp differs is refreshed."""
    digest = hashlib.sha256(repr((AIRFLOW[minor], WITH_AIRFLOW.get(minor))).encode())
    for name in INSTALL_INPUTS:
        digest.update((REPO / name).read_bytes())
    return digest.hexdigest()


def ensure_venv(minor: str) -> Path:
    """``.venv-airflow-<minor>``, made or refreshed as Airflow's users install; return its python."""
    release, as_of = AIRFLOW[minor]
    venv = REPO / f".venv-airflow-{minor}"
    python = venv / "bin" / "python"
    stamp = venv / ".installed-test"
    wanted = install_stamp(minor)
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    uv = [str(BIN / "uv"), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python)]
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Airflow as its constraints file had it (resolved as of its release), then the project beside
    # it with Airflow pinned, so that nothing upgrades or downgrades Airflow.
    subprocess.run(
        [
            *uv,
            "--exclude-newer",
            f"{as_of}T00:00:00Z",
            f"apache-airflow=={release}",
            *WITH_AIRFLOW.get(minor, []),
        ],
        check=True,
    )
    subprocess.run(
        # uv too, as in .venv: the packaging tests build both distributions with the uv beside python.
        [*uv, f"apache-airflow=={release}", "uv", "-e", ".[test]", "-e", "./emulator[test]"],
        cwd=REPO,
        check=True,
    )
    stamp.write_text(wanted)
    return python


def run_version(minor: str, passed_on: list[str]) -> dict[str, Any]:
    """Make the venv of ``minor``, run this script inside it, and return its result."""
    row: dict[str, Any] = {"minor": minor, "airflow": AIRFLOW[minor][0], "ok": False, "pytest": "-"}
    started = time.monotonic()
    print(f"\n=== Airflow {AIRFLOW[minor][0]} (.venv-airflow-{minor}) ===", flush=True)
    try:
        python = ensure_venv(minor)
    except subprocess.CalledProcessError as exc:
        return {**row, "pytest": f"install failed: {exc}", "install": time.monotonic() - started}
    row["install"] = time.monotonic() - started
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        subprocess.run([str(python), __file__, "--inside", "--result", result.name, *passed_on], cwd=REPO)
        text = Path(result.name).read_text()
    return {**row, **(json.loads(text) if text else {"pytest": "no result (the run was cut short)"})}


def table(rows: list[dict[str, Any]]) -> str:
    """The versions against their results and times."""
    lines = [
        f"{'Airflow':<9} {'result':<7} {'pytest':<52} {'standalone DAGs':<16} "
        f"{'venv':>6} {'pytest':>7} {'DAGs':>6}"
    ]
    for row in rows:
        times = row.get("times", {})
        # "2632 passed, 5 skipped, 1461 warnings in 344.39s (0:05:44)": the outcomes; the time has its column.
        outcomes = re.sub(r"(, \d+ warnings?)? in [\d.]+s.*$", "", row["pytest"])
        dags = "-" if not row.get("dags_run") else f"{row['dags']} of {row['dags_run']} ok"
        dag_seconds = sum(seconds for name, seconds in times.items() if name != "pytest")
        lines.append(
            f"{row['airflow']:<9} {'ok' if row['ok'] else 'FAILED':<7} {outcomes[:52]:<52} {dags:<16} "
            f"{row.get('install', 0):>5.0f}s {times.get('pytest', 0):>6.0f}s "
            f"{(f'{dag_seconds:.0f}s' if row.get('dags_run') else '-'):>6}"
        )
    return "\n".join(lines)


def main() -> int:
    """Every version asked for (all by default), then the table; non-zero when any failed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--airflow", action="append", choices=sorted(AIRFLOW), help="only this version; repeatable"
    )
    parser.add_argument("--skip-pytest", action="store_true", help="only the standalone DAG runs")
    parser.add_argument("--skip-standalone", action="store_true", help="only the pytest suite")
    parser.add_argument("--dag-timeout", type=float, default=600, help="seconds each DAG run may take")
    parser.add_argument("--dag", action="append", default=[], help="run only this example DAG; repeatable")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary AIRFLOW_HOME")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args, pytest_args = parser.parse_known_args()
    if args.inside:
        return run_inside(args, pytest_args)
    passed_on = [arg for arg in sys.argv[1:] if not arg.startswith("--airflow") and arg not in AIRFLOW]
    started = time.monotonic()
    rows = [run_version(minor, passed_on) for minor in args.airflow or AIRFLOW]
    print(f"\nEvery supported Airflow, {os.cpu_count()} CPUs, in {time.monotonic() - started:.0f} s:")
    print(table(rows))
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
