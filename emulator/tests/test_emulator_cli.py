"""The ``meetstream-emulator`` command as a real process: ready line, options, signals, exit codes."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import requests

from meetstream_emulator.__main__ import main
from meetstream_emulator.bots import BOT_SETTINGS
from meetstream_emulator.calendar import demo_calendar_template

#: Events in the packaged demo calendar.
DEMO_EVENTS = len(demo_calendar_template()["events"])

READY = re.compile(r"^MeetStream emulator ready on (http://127\.0\.0\.1:(\d+)) \(API (\S+)\)$")


class Running:
    """A started emulator process and its base URL."""

    def __init__(self, command: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
        self.lines = lines
        try:
            first = lines.get(timeout=20)
        except queue.Empty:
            self.process.kill()
            raise AssertionError("the emulator printed no ready line") from None
        match = READY.match(first.rstrip("\n"))
        assert match, first
        self.base_url = match.group(1)
        assert match.group(3) == f"{self.base_url}/api/v1"

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def other_stdout_lines(self) -> list[str]:
        found = []
        while not self.lines.empty():
            found.append(self.lines.get())
        return found


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "calendar.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "evt_cli",
                    "start_time": "{{today +2d 10:00 UTC}}",
                    "end_time": "{{today +2d 11:00 UTC}}",
                    "meeting_url": "https://zoom.us/j/1",
                }
            ]
        )
    )
    return path


@pytest.fixture
def module_process(calendar_file: Path) -> Iterator[Running]:
    running = Running(
        [
            sys.executable,
            "-m",
            "meetstream_emulator",
            "--port",
            "0",
            "--api-key",
            "first",
            "--api-key",
            "second",
            "--calendar",
            str(calendar_file),
            "--conflict-mode",
            "409",
            "--join-lead-minutes",
            "7",
        ]
    )
    yield running
    if running.process.poll() is None:
        running.process.kill()


def test_module_with_options_then_sigterm(module_process: Running) -> None:
    base = module_process.base_url
    listing = requests.get(
        f"{base}/api/v1/calendar/events", headers={"Authorization": "Token second"}, timeout=10
    )
    assert listing.status_code == 200
    assert [event["id"] for event in listing.json()["results"]] == ["evt_cli"]
    assert (
        requests.get(
            f"{base}/api/v1/calendar/events", headers={"Authorization": "Token x"}, timeout=10
        ).status_code
        == 403
    )
    config = requests.get(f"{base}/_emulator/config", timeout=10).json()
    assert config == {"conflict_mode": "409", "join_lead_minutes": 7, **BOT_SETTINGS}

    assert module_process.stop(signal.SIGTERM) == 0
    assert module_process.other_stdout_lines() == []


def test_console_script_defaults_no_controls_then_sigint() -> None:
    script = Path(sys.executable).with_name("meetstream-emulator")
    running = Running([str(script), "--port", "0", "--no-controls"])
    try:
        base = running.base_url
        headers = {"Authorization": "Token emulator-key"}
        events = requests.get(
            f"{base}/api/v1/calendar/events",
            params={"time_min": "2000-01-01T00:00:00Z"},
            headers=headers,
            timeout=10,
        )
        assert len(events.json()["results"]) == DEMO_EVENTS
        assert requests.get(f"{base}/_emulator/state", timeout=10).status_code == 404
    finally:
        code = running.stop(signal.SIGINT)
    assert code == 0


def test_bad_calendar_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": "x", "start_time": "{{someday}}", "end_time": "2027-01-01T00:00:00Z"}]')
    assert main(["--port", "0", "--calendar", str(broken)]) == 2
    assert main(["--port", "0", "--calendar", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert "Unknown word 'someday'" in err
    assert "missing.json" in err


def test_a_calendar_with_a_bad_recurrence_exits_2(tmp_path: Path) -> None:
    calendar = tmp_path / "bad-rule.json"
    event = {
        "id": "evt_bad_rule",
        "start_time": "{{today +1d 10:00 UTC}}",
        "end_time": "{{today +1d 11:00 UTC}}",
        "raw": {"recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=XX"]},
    }
    calendar.write_text(json.dumps([event]))
    done = run_module("--port", "0", "--calendar", str(calendar))
    assert done.returncode == 2
    assert "ready on" not in done.stdout
    assert "meetstream-emulator: The recurrence of event 'evt_bad_rule' cannot be expanded" in done.stderr
    assert "BYDAY value 'XX'" in done.stderr


def test_options_are_validated() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--conflict-mode", "ignore"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit):
        main(["--calendar", "x.json", "--no-calendar"])


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meetstream_emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_port_in_use_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = run_module("--port", str(taken.getsockname()[1]), "--no-calendar")
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert "address already in use" in done.stderr


@pytest.mark.parametrize("port", ["70000", "65536", "-1", "http"])
def test_a_port_out_of_range_is_an_argument_error(port: str) -> None:
    done = run_module(f"--port={port}")
    assert done.returncode == 2
    assert "--port" in done.stderr
    assert "Traceback" not in done.stderr


NO_AIRFLOW_SCRIPT = """
import sys, requests
from meetstream_emulator.server import EmulatorServer
with EmulatorServer(calendar={calendar!r}) as server:
    headers = {{"Authorization": "Token emulator-key"}}
    body = {{"deduplication_key": "k", "bot_config": {{}}, "schedule_all_occurrences": True}}
    for event_id in {event_ids!r}:
        url = f"{{server.api_url}}/calendar/schedule/{{event_id}}"
        print("STATUS", requests.post(url, json=body, headers=headers, timeout=10).status_code)
    for path in ("/calendar/events", "/calendar/scheduled"):
        print("STATUS", requests.get(server.api_url + path, headers=headers, timeout=10).status_code)
print("MODULES", len([name for name in sys.modules if name == "airflow" or name.startswith("airflow.")]))
"""


def run_without_airflow(calendar: object, event_ids: list[str]) -> tuple[list[str], str]:
    """The statuses the script saw, and how many Airflow modules it ended up importing."""
    script = NO_AIRFLOW_SCRIPT.format(calendar=calendar, event_ids=event_ids)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    # Anything Airflow would print (it logs on import) is not ours: keep the tagged lines only.
    lines = [line.split() for line in done.stdout.splitlines()]
    statuses = [words[1] for words in lines if words[:1] == ["STATUS"]]
    modules = [words[1] for words in lines if words[:1] == ["MODULES"]]
    return statuses, modules[-1]


def test_the_emulator_never_imports_airflow() -> None:
    statuses, modules = run_without_airflow(
        "demo", ["evt_demo_standup_weekly", "evt_demo_teams_monthly_review"]
    )
    assert statuses == ["200", "200", "200", "200"]
    assert modules == "0"
