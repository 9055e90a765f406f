"""The examples of the after-the-meeting, event-driven and recipes pages, run against the emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

import pytest
import time_machine
from docs_examples import EXAMPLES, example_dag, run_example, xcom

# The demo calendar moves with the clock: the emulator and dag.test() agree on one instant.
pytestmark = pytest.mark.usefixtures("meetstream_frozen_now")

AIRFLOW_2 = version("apache-airflow").startswith("2.")
#: The demo calendar's "data team" meetings that the examples' rules record (a vendor, a customer, an agency).
RECORDED = {"evt_demo_data_sync", "evt_demo_data_review", "evt_demo_data_daily"}
#: Past every meeting of the next 24 hours, and the transcripts' processing delay.
AFTER = timedelta(hours=25)


def meetings(base: Path) -> dict[str, dict]:
    """Every landed ``meeting.json`` under ``base``, by bot id."""
    return {p.parent.name: json.loads(p.read_text()) for p in base.glob("*/meeting.json")}


def test_after_bot_to_storage(meetstream_conn_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor

    admin = meetstream_conn_env.admin
    execute = BotStatusSensor.execute

    def meeting_happens_then_wait(self, context):
        admin.advance_clock(timedelta(hours=2))  # the ad-hoc meeting ends, its transcript is ready
        return execute(self, context)

    monkeypatch.setattr(BotStatusSensor, "execute", meeting_happens_then_wait)
    states = run_example("after_bot_to_storage", base_path=f"file://{tmp_path}")
    assert states == {"create_bot": "success", "wait_until_left": "success", "fetch_transcript": "success"}
    (bot,) = admin.state()["bots"]
    folder = tmp_path / bot["bot_id"]
    assert sorted(p.name for p in folder.iterdir()) == ["transcript.jsonl", "transcript.txt"]
    segments = [json.loads(line) for line in (folder / "transcript.jsonl").read_text().splitlines()]
    assert segments
    assert {s["bot_id"] for s in segments} == {bot["bot_id"]}
    assert len((folder / "transcript.txt").read_text().splitlines()) == len(segments)


def test_recipe_sync_then_land(meetstream_conn_env, tmp_path: Path) -> None:
    admin = meetstream_conn_env.admin
    base = f"file://{tmp_path}"
    run_example("recipe_sync_then_land", base_path=base)
    held = admin.state()["schedules"]
    assert {s["event_id"] for s in held} == RECORDED
    assert {s["deduplication_key"].split("|")[0] for s in held} == {"docs_recipe_sync_then_land.sync_bots"}
    assert meetings(tmp_path) == {}  # nothing has ended yet
    admin.advance_clock(AFTER)
    with time_machine.travel(admin.now(), tick=True):
        run_example("recipe_sync_then_land", base_path=base)
        landed = meetings(tmp_path)
        assert {m["event_id"] for m in landed.values()} == RECORDED
        assert {(m["outcome"], m["status"]) for m in landed.values()} == {("landed", "Done")}
        for bot_id in landed:
            assert sorted(p.name for p in (tmp_path / bot_id).iterdir()) == [
                "meeting.json",
                "participants.jsonl",
                "speaker_timeline.jsonl",
                "transcript.jsonl",
            ]
        # A run with nothing new lands nothing again: no write reaches storage.
        before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
        run_example("recipe_sync_then_land", base_path=base)
        assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


def test_recipe_refused_bot(meetstream_conn_env, tmp_path: Path) -> None:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

    admin = meetstream_conn_env.admin
    hook = MeetStreamHook()
    bots = {
        event_id: hook.schedule_event(event_id, deduplication_key=f"sales|{event_id}")["bot_id"]
        for event_id in ("evt_demo_data_sync", "evt_demo_data_review", "evt_demo_data_internal")
    }
    admin.set_bot_outcome(
        bots["evt_demo_data_review"], status="Denied", reason="The host did not admit the bot."
    )
    hook.delete_scheduled_bot(bots["evt_demo_data_internal"])  # cancelled before it joined
    admin.advance_clock(AFTER)
    run_example("recipe_refused_bot", base_path=f"file://{tmp_path}", key_prefix="sales|")
    counts = xcom("docs_recipe_refused_bot", "report")
    assert counts == {"landed": 1, "pending": 0, "failed": 1, "skipped": 1}
    landed = meetings(tmp_path)
    assert set(landed) == {bots["evt_demo_data_sync"], bots["evt_demo_data_review"]}
    refused = landed[bots["evt_demo_data_review"]]
    assert (refused["outcome"], refused["status"], refused["reason"]) == (
        "failed",
        "Denied",
        "The host did not admit the bot.",
    )
    assert landed[bots["evt_demo_data_sync"]]["outcome"] == "landed"
    assert not (tmp_path / bots["evt_demo_data_internal"]).exists()


def test_recipe_max_active_runs(meetstream_conn_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor

    assert example_dag("recipe_max_active_runs").max_active_runs == 1
    admin = meetstream_conn_env.admin
    execute = BotStatusSensor.execute
    waited: list[list[str]] = []

    def meetings_happen_then_wait(self, context):
        admin.advance_clock(AFTER)  # the wait spans the meetings of the next 24 hours
        result = execute(self, context)
        waited.append(sorted(bot["status"] for bot in result))
        return result

    monkeypatch.setattr(BotStatusSensor, "execute", meetings_happen_then_wait)
    states = run_example("recipe_max_active_runs", base_path=f"file://{tmp_path}")
    assert states == {
        "sync_bots": "success",
        "anything_added": "success",
        "wait_until_finished": "success",
        "land_meetings": "success",
    }
    assert waited == [["Done"] * 3]
    assert {m["event_id"] for m in meetings(tmp_path).values()} == RECORDED
    # A day later the next run adds a bot for the daily meeting's next occurrence, waits, lands it.
    with time_machine.travel(admin.now(), tick=True):
        states = run_example("recipe_max_active_runs", base_path=f"file://{tmp_path}")
    assert states["wait_until_finished"] == "success"
    assert waited == [["Done"] * 3, ["Done"]]
    landed = [m["event_id"] for m in meetings(tmp_path).values()]
    assert sorted(landed) == sorted([*RECORDED, "evt_demo_data_daily"])
    # A run that adds nothing skips the wait, and the landing still runs.
    admin.load_events([])
    with time_machine.travel(admin.now(), tick=True):
        states = run_example("recipe_max_active_runs", base_path=f"file://{tmp_path}")
    assert (states["wait_until_finished"], states["land_meetings"]) == ("skipped", "success")
    assert len(waited) == 2


@pytest.mark.skipif(AIRFLOW_2, reason="AssetWatcher and BotFinishedTrigger need Airflow 3")
def test_event_meeting_finished(meetstream_conn_env, tmp_path: Path) -> None:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.triggers.bot_finished import BotFinishedTrigger

    dag = example_dag("event_meeting_finished")
    (asset,) = dag.timetable.asset_condition.objects
    (watcher,) = asset.watchers
    assert isinstance(watcher.trigger, BotFinishedTrigger)
    assert watcher.trigger.sync_id == "docs_recipe_sync_then_land.sync_bots"
    # Triggered by hand with two bots, as the watcher's events would name them.
    admin = meetstream_conn_env.admin
    hook = MeetStreamHook()
    bot_ids = [
        hook.schedule_event(event_id, deduplication_key=f"docs_recipe_sync_then_land.sync_bots|{event_id}")[
            "bot_id"
        ]
        for event_id in ("evt_demo_data_sync", "evt_demo_data_review")
    ]
    admin.advance_clock(AFTER)
    states = run_example("event_meeting_finished", base_path=f"file://{tmp_path}", bot_ids=bot_ids)
    assert states == {"finished_bots": "success", "land_meetings": "success"}
    assert set(meetings(tmp_path)) == set(bot_ids)


def test_recipe_test_my_dag(tmp_path: Path) -> None:
    # A user's layout: their DAG and the test module in their DAGs folder, outside this repository,
    # with an AIRFLOW_HOME of its own, migrated as the page says.
    dags = tmp_path / "dags"
    dags.mkdir()
    for name in ("recipe_test_my_dag", "recipe_sync_then_land"):
        shutil.copy(EXAMPLES / f"{name}.py", dags / f"{name}.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow-home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    if AIRFLOW_2:
        env["AIRFLOW__CORE__EXECUTOR"] = "SequentialExecutor"
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=env, timeout=600)
    # The plugin comes from the emulator's pytest11 entry point: no conftest, no -p.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(dags),
            "recipe_test_my_dag.py",
        ],
        cwd=dags,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout
    # Its own landed meetings were under its tmp_path, never here.
    assert not list(dags.glob("*/meeting.json"))
