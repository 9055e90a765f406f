"""The README as a newcomer reads it: short, its Python a file the tests run, its quickstart as written."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from docs_examples import EXAMPLES

REPO = EXAMPLES.parents[1]
README = REPO / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str, text: str | None = None) -> list[str]:
    return [
        body for lang, body in BLOCK.findall(text or README.read_text(encoding="utf-8")) if lang == language
    ]


def test_the_readme_is_short() -> None:
    assert len(README.read_bytes()) < 8 * 1024


def test_every_python_block_is_a_file_the_tests_run() -> None:
    sources = [
        p.read_text(encoding="utf-8") for p in [*EXAMPLES.glob("*.py"), *(REPO / "example_dags").glob("*.py")]
    ]
    python = blocks("python")
    assert python
    for block in python:
        assert any(block in source for source in sources), block[:200]


def test_every_link_points_at_a_file() -> None:
    links = re.findall(r"\]\(((?!https?://)[^)#]+)\)", README.read_text(encoding="utf-8"))
    assert links
    assert [link for link in links if not (REPO / link).exists()] == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_quickstart_schedules_bots_and_lands_their_meetings(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quickstart against the emulator", 1)[1].split("\n## ", 1)[0]
    (console,) = blocks("console", section)
    port, landed = str(_free_port()), tmp_path / "quickstart"
    lines = [
        line[2:].replace("8765", port).replace("/tmp/quickstart", str(landed))
        for line in console.splitlines()
        if line.startswith("$ ")
    ]
    # Whatever fails, the emulator started in the background goes with the shell.
    script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + "\n".join(lines) + "\n"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    shell = subprocess.Popen(
        ["bash", "-c", script],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = shell.communicate(timeout=300)
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait()
    assert shell.returncode == 0, output[-3000:]
    # The first run's plan: a bot added on each meeting to record (Airflow 2 logs each line twice).
    added = {line.strip() for line in output.splitlines() if line.lstrip().startswith("add ")}
    assert len(added) == 3, output[-3000:]
    folders = sorted(path for path in landed.iterdir() if path.is_dir() and not path.name.startswith("."))
    # The demo calendar's next-day data-team meetings with an outsider: the sync, the review, a daily.
    assert len(folders) == 3, output[-3000:]
    for folder in folders:
        assert sorted(p.name for p in folder.iterdir()) == [
            "meeting.json",
            "participants.jsonl",
            "speaker_timeline.jsonl",
            "transcript.jsonl",
        ]


@pytest.mark.parametrize("path", ["CHANGELOG.md"])
def test_the_changelog_keeps_a_changelog(path: str) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    assert text.startswith("# Changelog")
    versions = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert "0.1.0" in versions
