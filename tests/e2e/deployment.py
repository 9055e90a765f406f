"""A real Airflow 3 deployment on loopback for the e2e suite: PostgreSQL, Redis, components, emulator."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"
# Recognisable, so that the scans can look for it in every log and in the database dump.
API_KEY = "e2e-secret-key-4c1f9a"
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin"
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port that nothing listens on at this instant, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    """Call ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Processes:
    """Every process the suite started, by process group, and the stop actions for daemons."""

    log_dir: Path
    groups: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stoppers: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    commands: dict[str, tuple[list[str], dict[str, str], dict[str, Any]]] = field(default_factory=dict)

    def start(
        self, name: str, argv: list[str], env: dict[str, str], **kwargs: Any
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in its own process group; stdout and stderr go to ``<log_dir>/<name>.log``."""
        # Appended to: a restarted component writes on in the same log.
        with (self.log_dir / f"{name}.log").open("ab") as out:
            process = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
            )
        self.groups[name] = process
        self.commands[name] = (argv, env, kwargs)
        return process

    def restart(self, name: str, **env: str) -> subprocess.Popen[bytes]:
        """Stop a component's process group (TERM, then KILL after 30 s); start it again, ``env`` changed."""
        process = self.groups[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        argv, started_with, kwargs = self.commands[name]
        return self.start(name, argv, {**started_with, **env}, **kwargs)

    def check_alive(self) -> None:
        """Fail, with the tail of its output, when a started process has exited."""
        for name, process in self.groups.items():
            if process.poll() is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-30:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n" + "\n".join(tail))

    def stop_all(self) -> list[str]:
        """Stop every process group (TERM, then KILL) and run the daemons' stop actions, newest first."""
        problems = []
        for process in reversed(list(self.groups.values())):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in reversed(list(self.groups.items())):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                problems.append(f"{name} (pid {process.pid}) ignored SIGTERM; killed")
            # A component's children (task runners, gunicorn workers) may outlive their parent.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for name, stop in reversed(self.stoppers):
            try:
                stop()
            except Exception as exc:
                problems.append(f"{name}: {exc}")
        return problems


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package (scripts/e2e_setup.sh)")
    return found[-1]


def _as_postgres_owner(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as Debian's `postgres` user then.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def start_postgres(root: Path, processes: Processes) -> str:
    """A private PostgreSQL cluster in ``root/pg`` on a free loopback port; return its SQLAlchemy URL."""
    data, port = root / "pg" / "data", free_port()
    data.parent.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data.parent, "postgres", "postgres")
    subprocess.run(
        _as_postgres_owner(
            [_postgres_bin("initdb"), "-D", str(data), "-U", "airflow", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data.parent}"
    pg_ctl = [_postgres_bin("pg_ctl"), "-D", str(data)]
    subprocess.run(
        _as_postgres_owner([*pg_ctl, "-o", options, "-l", str(data.parent / "server.log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    processes.stoppers.append(
        (
            "postgres",
            lambda: subprocess.run(
                _as_postgres_owner([*pg_ctl, "-m", "fast", "-w", "stop"]), check=True, capture_output=True
            ),
        )
    )
    subprocess.run(
        [_postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "airflow", "airflow"],
        check=True,
        capture_output=True,
    )
    return f"postgresql+psycopg2://airflow@127.0.0.1:{port}/airflow"


def start_redis(processes: Processes) -> str:
    """A Redis server on a free loopback port, nothing persisted; return its URL."""
    port = free_port()
    processes.start(
        "redis",
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        os.environ.copy(),
        cwd=processes.log_dir,
    )
    wait_until(lambda: _listening(port), 20, "redis-server to listen")
    return f"redis://127.0.0.1:{port}/0"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def emulator_command() -> list[str]:
    """The emulator's command: its own ``meetstream-emulator`` script when installed, else the module."""
    script = BIN / "meetstream-emulator"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "meetstream_emulator"]


def start_emulator(processes: Processes, api_key: str) -> str:
    """The MeetStream emulator with its demo calendar on a free port; return its base URL."""
    name = "emulator"
    processes.start(name, [*emulator_command(), "--port", "0", "--api-key", api_key], os.environ.copy())
    log = processes.log_dir / f"{name}.log"

    def ready_url() -> str | None:
        processes.check_alive()
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("MeetStream emulator ready on "):
                return line.split()[4]
        return None

    return str(wait_until(ready_url, 60, "the emulator's ready line"))


@dataclass
class Deployment:
    """A running deployment: its URLs, home, processes, and REST helpers for Airflow and the emulator."""

    executor: str
    root: Path
    home: Path
    api_url: str
    emulator_url: str
    db_url: str
    processes: Processes
    token: str = ""
    # Filled by the tests as they go: runs they triggered, phase times, what they saw.
    runs: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    # -- Airflow's REST API -------------------------------------------------------------------------

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call ``/api/v2<path>`` with the JWT; fail on an error answer; return the decoded JSON."""
        answer = requests.request(
            method,
            f"{self.api_url}/api/v2{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
            **kwargs,
        )
        assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text[:2000]}"
        return answer.json() if answer.content else None

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Trigger a run now; return its run id."""
        from datetime import datetime, timezone

        body = {"logical_date": datetime.now(timezone.utc).isoformat(), "conf": conf or {}}
        return str(self.api("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait_for_runs(self, runs: dict[str, str], timeout: float) -> dict[str, str]:
        """Wait until every ``{dag_id: run_id}`` is finished; return their states."""
        states: dict[str, str] = {}

        def finished() -> bool:
            self.processes.check_alive()
            states.update({dag_id: self.run_state(dag_id, run_id) for dag_id, run_id in runs.items()})
            return all(state in {"success", "failed"} for state in states.values())

        try:
            wait_until(finished, timeout, f"runs {runs} to finish", interval=2)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; states {states}; {self.unfinished(runs)}") from None
        return states

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return list(
            self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})[
                "task_instances"
            ]
        )

    def xcom(self, dag_id: str, run_id: str, task_id: str) -> Any:
        """A task instance's return value, as the REST API decodes it."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
        return self.api("GET", path)["value"]

    def clear(self, dag_id: str, run_id: str, task_ids: list[Any]) -> list[dict[str, Any]]:
        """Clear task instances of a run (ids, or ``[id, map_index]``) so that they run again."""
        body = {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": task_ids,
            "only_failed": False,
            "reset_dag_runs": True,
            "include_downstream": False,
            "include_upstream": False,
        }
        return list(self.api("POST", f"/dags/{dag_id}/clearTaskInstances", json=body)["task_instances"])

    def kill_task(self, ti: dict[str, Any]) -> None:
        """
        SIGKILL a running task instance's process, as the kernel's out-of-memory killer would.

        Only once its process is known to be that task instance's (the task runner's title names
        the instance's id) and this deployment's (it runs in the session of a component the suite
        started), then wait until it is gone.
        """
        pid = int(ti["pid"])
        title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        assert title == f"airflow worker -- {ti['id']}", f"process {pid} is {title!r}, not the task's"
        session = int(_proc_stat(pid)[3])
        components = {process.pid for process in self.processes.groups.values()}
        assert session in components, f"process {pid} runs in session {session}, not a component's"
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: _proc_stat(pid)[0] in {"Z", "X", "gone"}, 30, f"task process {pid} to die", 0.1)

    def unfinished(self, runs: dict[str, str]) -> dict[str, list[tuple[str, int, str]]]:
        """The task instances of ``runs`` that did not succeed, for failure messages."""
        return {
            dag_id: [
                (ti["task_id"], ti["map_index"], ti["state"])
                for ti in self.task_instances(dag_id, run_id)
                if ti["state"] != "success"
            ]
            for dag_id, run_id in runs.items()
        }

    # -- the emulator's controls ------------------------------------------------------------------

    def emulator(self, method: str, control: str, **kwargs: Any) -> Any:
        """Call ``/_emulator/<control>``; fail on an error answer; return the decoded JSON."""
        answer = requests.request(method, f"{self.emulator_url}/_emulator/{control}", timeout=30, **kwargs)
        assert answer.ok, f"{method} /_emulator/{control}: {answer.status_code} {answer.text[:500]}"
        return answer.json()


def _proc_stat(pid: int) -> list[str]:
    # /proc/<pid>/stat after the command's name: state, ppid, pgrp, session...; ["gone"] once reaped.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return ["gone"]


def airflow_env(
    home: Path, db_url: str, api_port: int, emulator_url: str, executor: str, broker_url: str | None
) -> dict[str, str]:
    """The environment every Airflow component shares, with nothing of the caller's Airflow settings."""
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
    api = f"http://127.0.0.1:{api_port}"
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "16",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
            "AIRFLOW__API__BASE_URL": api,
            "AIRFLOW__API__SECRET_KEY": os.urandom(16).hex(),
            "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(32).hex(),
            # Only the runs the suite triggers: the hourly example must not add its own.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            # The example sensors defer wherever a triggerer runs.
            "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True",
            # meetstream_meeting_finished: its watcher polls every 3 s; its runs land in the deployment.
            "MEETSTREAM_FINISHED_POLL_INTERVAL": "3",
            "AIRFLOW_VAR_MEETSTREAM_MEETINGS_PATH": f"file://{home.parent / 'finished'}",
            "AIRFLOW_CONN_MEETSTREAM_DEFAULT": json.dumps(
                {"conn_type": "meetstream", "host": f"{emulator_url}/api/v1", "password": API_KEY}
            ),
        }
    )
    if broker_url:
        env.update(
            {
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + db_url,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
            }
        )
    return env


def start_deployment(executor: str) -> Deployment:
    """Start everything for ``executor`` (Local- or CeleryExecutor); stop it all if start-up fails."""
    root = Path(tempfile.mkdtemp(prefix=f"meetstream-e2e-{executor.lower()}-"))
    # PostgreSQL runs as another user, which must reach its folder inside this one.
    root.chmod(0o755)
    home, log_dir = root / "airflow-home", root / "component-logs"
    home.mkdir()
    log_dir.mkdir()
    processes = Processes(log_dir)
    try:
        db_url = start_postgres(root, processes)
        broker_url = start_redis(processes) if executor == "CeleryExecutor" else None
        emulator_url = start_emulator(processes, API_KEY)
        api_port = free_port()
        env = airflow_env(home, db_url, api_port, emulator_url, executor, broker_url)
        (home / "passwords.json").write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
        airflow = str(BIN / "airflow")
        migrate = subprocess.run(
            [airflow, "db", "migrate"], env=env, capture_output=True, text=True, check=False
        )
        (log_dir / "db-migrate.log").write_text(migrate.stdout + migrate.stderr)
        if migrate.returncode != 0:
            raise RuntimeError(
                f"airflow db migrate failed:\n{migrate.stdout[-3000:]}{migrate.stderr[-3000:]}"
            )
        processes.start(
            "api-server", [airflow, "api-server", "--host", "127.0.0.1", "--port", str(api_port)], env
        )
        processes.start("scheduler", [airflow, "scheduler"], env)
        processes.start("dag-processor", [airflow, "dag-processor"], env)
        # asyncio's debug mode logs each step of the loop over 0.1 s, with its task: what blocked it.
        processes.start("triggerer", [airflow, "triggerer"], {**env, "PYTHONASYNCIODEBUG": "1"})
        if executor == "CeleryExecutor":
            for number in (1, 2):
                processes.start(
                    f"celery-worker-{number}",
                    [
                        *(airflow, "celery", "worker", "--concurrency", "4", "--skip-serve-logs"),
                        *("--celery-hostname", f"e2e-worker-{number}@%h"),
                    ],
                    env,
                )
        deployment = Deployment(
            executor=executor,
            root=root,
            home=home,
            api_url=f"http://127.0.0.1:{api_port}",
            emulator_url=emulator_url,
            db_url=db_url,
            processes=processes,
        )
        deployment.token = wait_until(lambda: _token(deployment), 180, "a JWT from POST /auth/token", 1)
        expected = {path.stem for path in EXAMPLE_DAGS.glob("*.py")}
        wait_until(lambda: _parsed(deployment) >= expected, 180, f"the DAG processor to parse {expected}", 2)
        return deployment
    except BaseException:
        for problem in processes.stop_all():
            print(f"[e2e] while stopping after a failed start: {problem}")
        raise


def _token(deployment: Deployment) -> str | None:
    deployment.processes.check_alive()
    try:
        answer = requests.post(
            f"{deployment.api_url}/auth/token",
            json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
            timeout=10,
        )
    except requests.ConnectionError:
        return None
    return str(answer.json()["access_token"]) if answer.status_code in (200, 201) else None


def _parsed(deployment: Deployment) -> set[str]:
    deployment.processes.check_alive()
    errors = deployment.api("GET", "/importErrors")["import_errors"]
    assert not errors, f"DAG import errors: {errors}"
    return {dag["dag_id"] for dag in deployment.api("GET", "/dags", params={"limit": 100})["dags"]}


def stop_deployment(deployment: Deployment, keep: bool = False) -> None:
    """Stop every process; remove the folder unless ``keep`` (to read the logs after a failure)."""
    for problem in deployment.processes.stop_all():
        print(f"[e2e] {problem}")
    if not keep:
        shutil.rmtree(deployment.root, ignore_errors=True)
