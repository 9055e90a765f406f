"""Every example DAG on a real Airflow 3 deployment (scheduler, executor, triggerer) against the emulator."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from airflow_provider_meetstream.triggers.bot_finished import SAVE_DELAY
from e2e.conftest import Phase
from e2e.deployment import API_KEY, Deployment, wait_until

# What each example DAG must leave in MeetStream, as schedules per event id, when triggered with
# its default params. Change it here when an example DAG changes.
EXPECTED_SCHEDULES: dict[str, dict[str, int]] = {
    "meetstream_schedule_event": {"evt_demo_zoom_sync": 1},
    # occurrence_limit defaults to 20; the weekly series has about 40 upcoming occurrences.
    "meetstream_recurring_mapped": {"evt_demo_standup_weekly": 20},
    "meetstream_recurring_bulk": {"evt_demo_teams_monthly_review": 52},
    # Its default pattern "data team" and its recording rules (someone from outside example.com,
    # not declined, no opt-out marker): the demo's "Data team sync" and "Data team review", two and
    # four hours after the calendar's (re)load, and the next "Data team daily check-in"; it skips
    # the internal retro, the declined vendor demo and the "#norecord" chat, and leaves the other
    # examples' meetings alone.
    "meetstream_batch_from_calendar": {
        "evt_demo_data_sync": 1,
        "evt_demo_data_review": 1,
        "evt_demo_data_daily": 1,
    },
}
# Run after the others, on the bots the batch DAG left, once the emulator's clock has passed them.
TRANSCRIPTS_DAG, WORDS_DAG = "meetstream_transcripts_to_storage", "meetstream_transcript_words"
BATCH_KEYS = "meetstream_batch_from_calendar.sync_bots|"
# Then, on the same bots: the hourly harvest, its one event per landed meeting, and what it leaves.
HARVEST_DAG, HARVEST_TASK, MEETINGS = "meetstream_harvest", "harvest", "meetstream://meetings"
# Started by the triggerer's asset watcher, never by the suite: one run per finished bot of the sync.
FINISHED_DAG, FINISHED_TASK = "meetstream_meeting_finished", "land_meetings"
POLL_INTERVAL = 3.0  # MEETSTREAM_FINISHED_POLL_INTERVAL in deployment.airflow_env
HOURLY_DAGS = ("meetstream_batch_from_calendar", "meetstream_harvest")
ENDED = {"Stopped", "Done"}
LANDED_FILES = ["meeting.json", "participants.jsonl", "speaker_timeline.jsonl", "transcript.jsonl"]
RUN_TIMEOUT = 420  # seconds for one round of every DAG
MAPPED_DAG, MAPPED_TASK = "meetstream_recurring_mapped", "schedule_occurrence"
DEFERRING_DAG, DEFERRING_TASK = "meetstream_schedule_event", "wait_until_listed"
# The deferring sensor does not depend on the scheduling, so it must look before MeetStream lists
# the bot. On a loaded 2-core machine its process may start late; a slow answer to that one schedule
# request keeps the order certain (the emulator sleeps before it handles the request).
SLOW_SCHEDULE = {
    "latency_ms": 8000,
    "method": "POST",
    "path_prefix": "/api/v1/calendar/schedule/evt_demo_zoom_sync",
}
FAULTS = {"probability": 0.3, "seed": 20261202, "statuses": [500, 502, 503, 429, "drop"], "retry_after": 1}
LIVE_STATUSES_EXCLUDED = {"cancelled", "Cancelled", "NotAllowed", "Ended", "Stopped"}


def expected_counts() -> Counter[str]:
    total: Counter[str] = Counter()
    for counts in EXPECTED_SCHEDULES.values():
        total.update(counts)
    return total


def trigger_all(deployment: Deployment) -> dict[str, str]:
    return {dag_id: deployment.trigger(dag_id) for dag_id in EXPECTED_SCHEDULES}


def assert_all_succeeded(deployment: Deployment, runs: dict[str, str], states: dict[str, str]) -> None:
    assert states == dict.fromkeys(runs, "success"), deployment.unfinished(runs)


def assert_expected_state(state: dict[str, Any]) -> None:
    """Schedules per event exactly as EXPECTED_SCHEDULES says, and no meeting with two live bots."""
    assert Counter(s["event_id"] for s in state["schedules"]) == expected_counts()
    bots_per_meeting: dict[tuple[str, str | None], set[str]] = {}
    for bot in state["bots"]:
        if bot["status"] not in LIVE_STATUSES_EXCLUDED:
            bots_per_meeting.setdefault((bot["event_id"], bot["occurrence_date"]), set()).add(bot["bot_id"])
    doubled = {meeting: bots for meeting, bots in bots_per_meeting.items() if len(bots) > 1}
    assert not doubled, f"meetings with two live bots: {doubled}"
    # Every schedule points at a bot the emulator holds, one schedule per meeting.
    assert {s["bot_id"] for s in state["schedules"]} <= {b["bot_id"] for b in state["bots"]}
    meetings = Counter((s["event_id"], s["occurrence_date"]) for s in state["schedules"])
    assert max(meetings.values()) == 1, [m for m, n in meetings.items() if n > 1]


def without_clock(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "now"}


class StateWatcher(threading.Thread):
    """Record every state a task instance is seen in, polling the REST API while runs go on."""

    def __init__(self, deployment: Deployment, dag_id: str, run_id: str, task_id: str) -> None:
        super().__init__(daemon=True)
        self.path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        self.deployment, self.seen, self.stop = deployment, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                state = self.deployment.api("GET", self.path)["state"]
            except AssertionError:  # not created yet
                state = None
            if state and (not self.seen or self.seen[-1] != state):
                self.seen.append(state)
            time.sleep(0.3)


def test_every_example_dag_succeeds_and_leaves_the_expected_state(deployment: Deployment) -> None:
    with Phase(deployment, "runs"):
        deployment.emulator("POST", "faults", json=SLOW_SCHEDULE)
        runs = trigger_all(deployment)
        watcher = StateWatcher(deployment, DEFERRING_DAG, runs[DEFERRING_DAG], DEFERRING_TASK)
        watcher.start()
        try:
            states = deployment.wait_for_runs(runs, RUN_TIMEOUT)
        finally:
            watcher.stop.set()
            watcher.join()
            deployment.emulator("DELETE", "faults")
    deployment.runs, deployment.notes["sensor_states_seen"] = runs, watcher.seen
    assert_all_succeeded(deployment, runs, states)
    every_dag = {d["dag_id"] for d in deployment.api("GET", "/dags")["dags"]}
    assert set(runs) | {TRANSCRIPTS_DAG, WORDS_DAG, HARVEST_DAG, FINISHED_DAG} == every_dag
    assert_expected_state(deployment.emulator("GET", "state"))


def test_mapped_occurrences_overlap_in_separate_processes(deployment: Deployment) -> None:
    tis = [
        ti
        for ti in deployment.task_instances(MAPPED_DAG, deployment.runs[MAPPED_DAG])
        if ti["task_id"] == MAPPED_TASK
    ]
    assert len(tis) == EXPECTED_SCHEDULES[MAPPED_DAG]["evt_demo_standup_weekly"]
    spans = [
        (datetime.fromisoformat(ti["start_date"]), datetime.fromisoformat(ti["end_date"]), ti["pid"], ti)
        for ti in tis
    ]
    overlaps = [
        ((min(end_a, end_b) - max(start_a, start_b)).total_seconds(), a["map_index"], b["map_index"])
        for i, (start_a, end_a, pid_a, a) in enumerate(spans)
        for start_b, end_b, pid_b, b in spans[i + 1 :]
        if pid_a != pid_b and min(end_a, end_b) > max(start_a, start_b)
    ]
    most = max(sum(1 for s, e, _, _ in spans if s <= start < e) for start, _, _, _ in spans)
    print(
        f"\n[e2e] {deployment.executor}: {len(tis)} mapped occurrences in {len({p for _, _, p, _ in spans})}"
        f" processes on {sorted({ti['hostname'] for ti in tis})}, {len(overlaps)} overlapping pairs,"
        f" longest overlap {max(overlaps)[0] if overlaps else 0:.2f} s (map indexes"
        f" {max(overlaps)[1:] if overlaps else '-'}), at most {most} running at once"
    )
    assert overlaps, "no two mapped occurrence tasks ran at the same time in different processes"
    assert most >= 2


def test_sensor_deferred_and_the_triggerer_completed_it(deployment: Deployment) -> None:
    run_id = deployment.runs[DEFERRING_DAG]
    seen = deployment.notes["sensor_states_seen"]
    base = f"/dags/{DEFERRING_DAG}/dagRuns/{run_id}/taskInstances/{DEFERRING_TASK}"
    ti = deployment.api("GET", base)
    log = deployment.api("GET", f"{base}/logs/{ti['try_number']}", params={"full_content": True})
    text = "\n".join(
        str(line.get("event", "")) if isinstance(line, dict) else str(line) for line in log["content"]
    )
    trigger_lines = [line for line in text.splitlines() if "trigger" in line.lower()]
    print(
        f"\n[e2e] {deployment.executor}: {DEFERRING_TASK} states seen {seen}; try {ti['try_number']};"
        f" log lines on the trigger: {trigger_lines[:6]}"
    )
    assert "deferred" in seen, f"the sensor never showed as deferred; states seen: {seen}"
    assert seen[-1] == "success"
    assert ti["state"] == "success"
    assert ti["try_number"] == 1
    # The task's log holds the triggerer's part: the trigger ran there and fired its event.
    assert any("ListScheduledTrigger" in line or "trigger fired" in line.lower() for line in trigger_lines), (
        text
    )


def test_rerunning_and_clearing_leave_the_emulator_state_unchanged(deployment: Deployment) -> None:
    before = without_clock(deployment.emulator("GET", "state"))
    with Phase(deployment, "re-runs"):
        reruns = trigger_all(deployment)
        assert_all_succeeded(deployment, reruns, deployment.wait_for_runs(reruns, RUN_TIMEOUT))
        run_id = deployment.runs[MAPPED_DAG]
        cleared = deployment.clear(MAPPED_DAG, run_id, [[MAPPED_TASK, 0], [MAPPED_TASK, 3], [MAPPED_TASK, 7]])
        assert sorted(ti["map_index"] for ti in cleared) == [0, 3, 7]

        def cleared_done() -> bool:
            tis = {ti["map_index"]: ti for ti in deployment.task_instances(MAPPED_DAG, run_id)}
            return all(tis[i]["state"] == "success" and tis[i]["try_number"] == 2 for i in (0, 3, 7))

        wait_until(cleared_done, RUN_TIMEOUT, "the cleared mapped task instances to run again", 2)
        assert deployment.wait_for_runs({MAPPED_DAG: run_id}, RUN_TIMEOUT) == {MAPPED_DAG: "success"}
    after = without_clock(deployment.emulator("GET", "state"))
    if after != before:
        pytest.fail(f"the emulator's state changed: {json.dumps(state_difference(before, after), indent=1)}")


def state_difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two emulator states, record by record, for a readable failure."""
    changed: dict[str, Any] = {}
    for kind, key in (("schedules", "schedule_id"), ("bots", "bot_id")):
        old = {item[key]: item for item in before[kind]}
        new = {item[key]: item for item in after[kind]}
        changed[kind] = {
            "gone": [old[k] for k in old.keys() - new.keys()],
            "added": [new[k] for k in new.keys() - old.keys()],
            "changed": [(old[k], new[k]) for k in old.keys() & new.keys() if old[k] != new[k]],
        }
    changed["other"] = {
        k: (before[k], after.get(k)) for k in before if k not in changed and before[k] != after.get(k)
    }
    return changed


def test_connection_test_endpoint_answers_for_good_and_bad_keys(deployment: Deployment) -> None:
    body = {
        "connection_id": "meetstream_e2e",
        "conn_type": "meetstream",
        "host": f"{deployment.emulator_url}/api/v1",
    }
    good = deployment.api("POST", "/connections/test", json={**body, "password": API_KEY})
    bad = deployment.api("POST", "/connections/test", json={**body, "password": "e2e-wrong-key"})
    print(f"\n[e2e] {deployment.executor}: connection test, good key {good}, bad key {bad}")
    # The API server tests the form under a random, transient connection id: it is named as such.
    endpoint = re.escape(f"GET {deployment.emulator_url}/api/v1/calendar/scheduled")
    assert good["status"] is True
    found = r"(no bot is|at least one bot is) scheduled"
    assert re.fullmatch(
        rf"Connected to MeetStream: {endpoint} answered in \d+ ms; {found}\.", good["message"]
    ), good["message"]
    assert bad["status"] is False
    # The emulator, like MeetStream, answers a key it does not know with 403.
    assert re.match(
        rf"Connection '[^']+': {endpoint} was refused \(403\): Invalid API key\.", bad["message"]
    ), bad["message"]
    assert "e2e-wrong-key" not in bad["message"]


def test_every_dag_succeeds_under_injected_faults(deployment: Deployment) -> None:
    deployment.emulator("POST", "reset", json={})
    with Phase(deployment, "faults"):
        deployment.emulator("POST", "faults", json=FAULTS)
        try:
            runs = trigger_all(deployment)
            states = deployment.wait_for_runs(runs, 2 * RUN_TIMEOUT)
        finally:
            plan = deployment.emulator("GET", "faults")["faults"]
            deployment.emulator("DELETE", "faults")
    tries = Counter(
        ti["try_number"]
        for dag_id, run_id in runs.items()
        for ti in deployment.task_instances(dag_id, run_id)
    )
    print(
        f"\n[e2e] {deployment.executor}: faults {FAULTS}: {plan.get('injected')} injected;"
        f" task instances by try number {dict(sorted(tries.items()))}"
    )
    assert plan["injected"] > 0
    assert_all_succeeded(deployment, runs, states)
    assert_expected_state(deployment.emulator("GET", "state"))


def finished_runs(deployment: Deployment) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """The runs of the watcher's DAG, each with the bots of its triggering asset events."""
    runs = deployment.api("GET", f"/dags/{FINISHED_DAG}/dagRuns", params={"limit": 100})["dag_runs"]
    found = {}
    for run in runs:
        path = f"/dags/{FINISHED_DAG}/dagRuns/{run['dag_run_id']}/upstreamAssetEvents"
        events = deployment.api("GET", path)["asset_events"]
        found[run["dag_run_id"]] = (run, [event["extra"]["payload"]["bot_id"] for event in events])
    return found


def meeting_end(deployment: Deployment, bot_id: str) -> datetime:
    """A bot's meeting end, as MeetStream's API says it."""
    answer = requests.get(
        f"{deployment.emulator_url}/api/v1/bots/{bot_id}/status",
        headers={"Authorization": f"Token {API_KEY}"},
        timeout=30,
    )
    assert answer.ok, answer.text
    return datetime.fromisoformat(answer.json()["meeting_end_time"].replace("Z", "+00:00"))


@contextlib.contextmanager
def asset_scheduling(deployment: Deployment) -> Iterator[None]:
    """
    The scheduler starts asset-triggered runs meanwhile: it is restarted with its job schedule on.

    The suite runs it with ``use_job_schedule`` off, so that the hourly examples add no runs of
    their own; that also stops it from turning asset events into runs. Meanwhile the hourly DAGs
    are paused, and no task runs when the scheduler (and LocalExecutor's workers in it) restarts.
    """
    for dag_id in HOURLY_DAGS:
        deployment.api("PATCH", f"/dags/{dag_id}", json={"is_paused": True})
    deployment.processes.restart("scheduler", AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="True")
    try:
        yield
    finally:
        deployment.processes.restart("scheduler", AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False")
        for dag_id in HOURLY_DAGS:
            deployment.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})


def test_the_watcher_starts_one_run_per_finished_bot_by_itself(deployment: Deployment) -> None:
    # No `dags trigger` anywhere here: the DAG-processor registered the watcher at start-up, the
    # emulator's clock ends the meetings, and the scheduler starts the runs from the asset events.
    bots = {bot_id for bot_id, status in sync_bots(deployment).items() if status != "Cancelled"}
    assert len(bots) >= 2
    assert finished_runs(deployment) == {}
    ends = sorted((meeting_end(deployment, bot_id), bot_id) for bot_id in bots)
    processing = deployment.emulator("GET", "config")["transcript_delay_seconds"]
    latencies: dict[str, float] = {}

    def runs_of(bot_ids: set[str]) -> dict[str, tuple[dict[str, Any], list[str]]] | None:
        deployment.processes.check_alive()
        runs = finished_runs(deployment)
        announced = {bot_id for run, of_run in runs.values() if run["start_date"] for bot_id in of_run}
        return runs if bot_ids <= announced else None

    def end_and_wait(when: datetime, expected: set[str]) -> dict[str, tuple[dict[str, Any], list[str]]]:
        deployment.emulator("POST", "clock/set", json={"now": when.isoformat()})
        moved = time.time()
        runs = wait_until(lambda: runs_of(expected), 120, f"runs of {FINISHED_DAG} for {expected}", 0.5)
        # From the clock move that ended a bot's meeting to the start of the run that announced it.
        for run, bot_ids in runs.values():
            for bot_id in set(bot_ids) & expected - set(latencies):
                latencies[bot_id] = datetime.fromisoformat(run["start_date"]).timestamp() - moved
        return runs

    with Phase(deployment, "watcher"), asset_scheduling(deployment):
        # The first meeting ends and its data is ready: one run.
        first_end, first = ends[0]
        end_and_wait(first_end + timedelta(seconds=processing + 1), {first})
        # The triggerer restarts, once the mark holds that bot; it reads the mark from the store.
        time.sleep(SAVE_DELAY + 2 * POLL_INTERVAL)
        deployment.processes.restart("triggerer")
        later = max(end for end, _ in ends) + timedelta(seconds=processing + 1)
        end_and_wait(later, bots)
        # A few more polls: a Done bot never fires again.
        time.sleep(4 * POLL_INTERVAL)
        runs = wait_until(
            lambda: (
                (found := finished_runs(deployment))
                and all(run["state"] in {"success", "failed"} for run, _ in found.values())
                and found
            ),
            RUN_TIMEOUT,
            f"the runs of {FINISHED_DAG} to finish",
            2,
        )
    announced = Counter(bot_id for _, bot_ids in runs.values() for bot_id in bot_ids)
    assert announced == Counter(bots), f"every bot once: {announced}"
    assert {run["run_type"] for run, _ in runs.values()} == {"asset_triggered"}
    for run_id, (run, _) in runs.items():
        assert run["state"] == "success", deployment.unfinished({FINISHED_DAG: run_id})
    landed: Counter[str] = Counter()
    for run_id in runs:
        report = deployment.xcom(FINISHED_DAG, run_id, FINISHED_TASK)
        landed.update(item["bot_id"] for item in report["landed"] + report["failed"])
    assert landed == Counter(bots)
    print(
        f"\n[e2e] {deployment.executor}: watcher: {len(bots)} bots finished, {len(runs)} run(s) started "
        f"by the watcher, none twice across a triggerer restart; end to run start: "
        f"{', '.join(f'{seconds:.1f} s' for seconds in sorted(latencies.values()))}"
    )


def test_transcripts_reach_storage_with_one_asset_event_each(deployment: Deployment) -> None:
    state = deployment.emulator("GET", "state")
    bot_ids = sorted(
        {b["bot_id"] for b in state["bots"] if b["deduplication_key"].startswith(BATCH_KEYS)}
        - {b["bot_id"] for b in state["bots"] if b["status"] == "Cancelled"}
    )
    assert bot_ids
    storage = deployment.root / "transcripts"
    with Phase(deployment, "transcripts"):
        # Past every meeting of the next day, and past the delay after which a transcript is ready.
        deployment.emulator("POST", "clock/advance", json={"seconds": 26 * 3600})
        run_id = deployment.trigger(TRANSCRIPTS_DAG, {"bot_ids": bot_ids, "base_path": f"file://{storage}"})
        states = deployment.wait_for_runs({TRANSCRIPTS_DAG: run_id}, RUN_TIMEOUT)
        assert_all_succeeded(deployment, {TRANSCRIPTS_DAG: run_id}, states)
        written = sorted(storage.glob("*/transcript.jsonl"))
        events = deployment.api("GET", "/assets/events", params={"source_dag_id": TRANSCRIPTS_DAG})
        uris = sorted(event["extra"]["uri"] for event in events["asset_events"])
        # The consumer reads a transcript like an asset-triggered run does, from the event's uri.
        words = deployment.trigger(WORDS_DAG, {"uri": uris[0]})
        assert_all_succeeded(
            deployment, {WORDS_DAG: words}, deployment.wait_for_runs({WORDS_DAG: words}, 180)
        )
    assert [path.parent.name for path in written] == bot_ids
    assert uris == [f"file://{path}" for path in written]
    first = json.loads(written[0].read_text().splitlines()[0])
    assert first["bot_id"] == written[0].parent.name
    assert first["speaker"]
    print(f"[e2e] {deployment.executor}: {len(written)} transcript(s) stored, {len(uris)} asset event(s)")


def sync_bots(deployment: Deployment) -> dict[str, str]:
    """The batch DAG's bots in the emulator, their status by bot id."""
    bots = deployment.emulator("GET", "state")["bots"]
    return {b["bot_id"]: b["status"] for b in bots if str(b["deduplication_key"]).startswith(BATCH_KEYS)}


def harvest(deployment: Deployment, base: Path, timeout: float = RUN_TIMEOUT) -> tuple[str, dict[str, Any]]:
    """Trigger the harvest into ``base``; once it succeeded, return its run id and its XCom."""
    run_id = deployment.trigger(HARVEST_DAG, {"base_path": f"file://{base}"})
    states = deployment.wait_for_runs({HARVEST_DAG: run_id}, timeout)
    assert_all_succeeded(deployment, {HARVEST_DAG: run_id}, states)
    return run_id, deployment.xcom(HARVEST_DAG, run_id, HARVEST_TASK)


def meeting_events(deployment: Deployment, run_ids: set[str] | None = None) -> list[dict[str, Any]]:
    """The asset events the harvest sent, of ``run_ids`` only when given."""
    params = {"source_dag_id": HARVEST_DAG, "limit": 1000}
    events = deployment.api("GET", "/assets/events", params=params)["asset_events"]
    assert {event["name"] for event in events} <= {MEETINGS}
    return [event for event in events if run_ids is None or event["source_run_id"] in run_ids]


def objects(base: Path) -> dict[str, tuple[bytes, int]]:
    """Every object under ``base``, its content and modification time (ns) by relative path."""
    return {
        str(path.relative_to(base)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(base.rglob("*"))
        if path.is_file()
    }


def assert_landed_once(base: Path, bot_ids: list[str]) -> None:
    """Exactly ``bot_ids`` landed under ``base``: one folder each, its meeting.json naming that bot."""
    landed = sorted(path.parent.name for path in base.glob("*/meeting.json"))
    assert landed == sorted(bot_ids)
    for bot_id in bot_ids:
        meeting = json.loads((base / bot_id / "meeting.json").read_text())
        assert (meeting["bot_id"], meeting["outcome"], meeting["status"] in ENDED) == (bot_id, "landed", True)
        assert sorted(path.name for path in (base / bot_id).iterdir()) == LANDED_FILES
    # A write cut short leaves a temporary object; the next one that lands the object removes it.
    assert not list(base.rglob("*.tmp"))


def test_harvest_lands_every_ended_meeting_once_with_one_asset_event_each(deployment: Deployment) -> None:
    # After test_transcripts_reach_storage_with_one_asset_event_each moved the clock past them.
    bots = sync_bots(deployment)
    ended = sorted(bot_id for bot_id, status in bots.items() if status in ENDED)
    cancelled = [bot_id for bot_id, status in bots.items() if status == "Cancelled"]
    assert ended, bots
    base = deployment.root / "harvest"
    with Phase(deployment, "harvest"):
        run_id, report = harvest(deployment, base)
    deployment.notes["harvest"] = {"base": base, "run_id": run_id, "ended": ended, "cancelled": cancelled}
    print(f"\n[e2e] {deployment.executor}: harvest of {bots}: {report['counts']}")
    assert report["counts"] == {"landed": len(ended), "pending": 0, "failed": 0, "skipped": len(cancelled)}
    assert_landed_once(base, ended)
    items = {item["bot_id"]: item for item in report["landed"]}
    assert sorted(items) == ended
    for bot_id, item in items.items():
        folder = base / bot_id
        assert item["uri"] == f"file://{folder}/meeting.json"
        assert item["transcript_uri"] == f"file://{folder}/transcript.jsonl"
        meeting = json.loads((folder / "meeting.json").read_text())
        first = json.loads((folder / "transcript.jsonl").read_text().splitlines()[0])
        assert (first["bot_id"], first["speaker"] in meeting["speakers"]) == (bot_id, True)
    events = meeting_events(deployment)
    assert sorted(event["extra"]["bot_id"] for event in events) == ended
    assert all(event["extra"] == items[event["extra"]["bot_id"]] for event in events)
    assert {event["source_run_id"] for event in events} == {run_id}


def test_harvest_rerun_and_cleared_task_land_nothing_and_only_read(deployment: Deployment) -> None:
    landed = deployment.notes["harvest"]
    base, run_id = landed["base"], landed["run_id"]
    before, events_before = objects(base), meeting_events(deployment)
    deployment.emulator("DELETE", "requests")
    with Phase(deployment, "harvest"):
        _, second = harvest(deployment, base)
        cleared = deployment.clear(HARVEST_DAG, run_id, [HARVEST_TASK])
        assert [ti["task_id"] for ti in cleared] == [HARVEST_TASK]
        ti_path = f"/dags/{HARVEST_DAG}/dagRuns/{run_id}/taskInstances/{HARVEST_TASK}"

        def ran_again() -> bool:
            ti = deployment.api("GET", ti_path)
            return ti["state"] == "success" and ti["try_number"] == 2

        wait_until(ran_again, RUN_TIMEOUT, "the cleared harvest to run again", 1)
        assert deployment.wait_for_runs({HARVEST_DAG: run_id}, RUN_TIMEOUT) == {HARVEST_DAG: "success"}
        again = deployment.xcom(HARVEST_DAG, run_id, HARVEST_TASK)
    requests = deployment.emulator("GET", "requests")["requests"]
    idle = {
        "landed": 0,
        "pending": 0,
        "failed": 0,
        "skipped": len(landed["ended"]) + len(landed["cancelled"]),
    }
    assert second["counts"] == idle
    assert again["counts"] == idle
    assert objects(base) == before
    assert meeting_events(deployment) == events_before
    # Two idle runs: each read the bots' listing, and nothing else.
    assert len(requests) >= 2
    assert {(request["method"], request["path"]) for request in requests} == {("GET", "/api/v1/bots")}


def test_a_worker_killed_mid_landing_leaves_no_meeting_json_and_the_retry_lands_it(
    deployment: Deployment,
) -> None:
    landed = deployment.notes["harvest"]
    slow, *others = landed["ended"]
    base = deployment.root / "harvest-killed"
    timeline = f"/api/v1/bots/{slow}/get_speaker_timeline"
    ti_path = ""

    def mid_landing() -> bool:
        asked = {request["path"] for request in deployment.emulator("GET", "requests")["requests"]}
        return timeline in asked and all((base / bot_id / "meeting.json").exists() for bot_id in others)

    with Phase(deployment, "worker-kill"):
        deployment.emulator("DELETE", "requests")
        # Each attempt at that read waits a minute: until the hook's deadline (120 s) makes it give
        # up, the task is still waiting on it, with every other meeting landed.
        deployment.emulator(
            "POST", "faults", json={"latency_ms": 60_000, "method": "GET", "path_prefix": timeline}
        )
        try:
            run_id = deployment.trigger(HARVEST_DAG, {"base_path": f"file://{base}"})
            ti_path = f"/dags/{HARVEST_DAG}/dagRuns/{run_id}/taskInstances/{HARVEST_TASK}"
            wait_until(mid_landing, 60, f"the harvest to land {others} and wait on {timeline}", 0.2)
            ti = deployment.api("GET", ti_path)
            assert (ti["state"], ti["try_number"]) == ("running", 1)
            deployment.kill_task(ti)
            left = objects(base)
        finally:
            deployment.emulator("DELETE", "faults")
        states = deployment.wait_for_runs({HARVEST_DAG: run_id}, RUN_TIMEOUT)
    deployment.notes["harvest_killed"] = run_id
    print(f"\n[e2e] {deployment.executor}: killed {ti['pid']} waiting on {timeline}; left {sorted(left)}")
    assert f"{slow}/meeting.json" not in left
    assert {f"{bot_id}/meeting.json" for bot_id in others} <= set(left)
    assert_all_succeeded(deployment, {HARVEST_DAG: run_id}, states)
    # Airflow saw the kill as a failed try and retried the task; the retry landed the meeting.
    assert deployment.api("GET", ti_path)["try_number"] == 2
    report = deployment.xcom(HARVEST_DAG, run_id, HARVEST_TASK)
    # The retry lands the slow meeting and announces the ones the killed try landed: Airflow
    # recorded no event of that try.
    skipped = len(landed["cancelled"])
    assert report["counts"] == {"landed": len(landed["ended"]), "pending": 0, "failed": 0, "skipped": skipped}
    assert sorted(item["bot_id"] for item in report["landed"]) == landed["ended"]
    assert_landed_once(base, landed["ended"])
    after = objects(base)
    # The meetings the killed try landed were not written again.
    assert {name: after[name] for name in left} == left


def test_every_meeting_the_killed_harvest_landed_has_its_asset_event(deployment: Deployment) -> None:
    run_id = deployment.notes["harvest_killed"]
    events = meeting_events(deployment, {run_id})
    assert sorted(event["extra"]["bot_id"] for event in events) == deployment.notes["harvest"]["ended"]


def test_harvest_under_injected_faults_loses_no_meeting_and_lands_none_twice(deployment: Deployment) -> None:
    ended = deployment.notes["harvest"]["ended"]
    base = deployment.root / "harvest-faults"
    reports: dict[str, dict[str, Any]] = {}
    plans = []
    with Phase(deployment, "harv-faults"):
        # A meeting whose reads fail past the hook's retries stays pending: the next run lands it.
        for _ in range(3):
            deployment.emulator("POST", "faults", json=FAULTS)
            try:
                run_id, report = harvest(deployment, base, 2 * RUN_TIMEOUT)
                reports[run_id] = report
            finally:
                plans.append(deployment.emulator("GET", "faults")["faults"])
                deployment.emulator("DELETE", "faults")
            if not report["counts"]["pending"]:
                break
    tries = [
        deployment.api("GET", f"/dags/{HARVEST_DAG}/dagRuns/{run}/taskInstances/{HARVEST_TASK}")["try_number"]
        for run in reports
    ]
    injected = [plan["injected"] for plan in plans]
    print(
        f"\n[e2e] {deployment.executor}: harvest under faults, {injected} injected:"
        f" runs {[report['counts'] for report in reports.values()]}, tries {tries}"
    )
    assert sum(injected) > 0
    landed = Counter(item["bot_id"] for report in reports.values() for item in report["landed"])
    assert landed == Counter(ended)
    assert not any(report["failed"] for report in reports.values())
    assert_landed_once(base, ended)
    events = meeting_events(deployment, set(reports))
    assert sorted(event["extra"]["bot_id"] for event in events) == ended


def trigger_creation_line() -> int | None:
    """The line of the triggerer's main task where it awaits ``create_triggers()``, if found."""
    import importlib.util

    origin = importlib.util.find_spec("airflow.jobs.triggerer_job_runner").origin  # type: ignore[union-attr]
    lines = Path(str(origin)).read_text().splitlines()
    return next((i + 1 for i, line in enumerate(lines) if "await self.create_triggers()" in line), None)


def providers_step(step: str, creation_line: int | None) -> bool:
    """
    Whether a slow step of the triggerer's loop ran the provider's code.

    A trigger's own task (named ``ID <n>`` or ``... (ID <n>)``: every trigger of this deployment is
    the provider's), anything naming the provider's package, and the main task's steps inside
    ``create_triggers()``, which import each trigger's class and build the trigger (asyncio names a
    task by its outermost coroutine, suspended there at that line).
    """
    if "airflow_provider_meetstream" in step or re.search(r"name='(?:[^']* )?\(?ID \d+\)?'", step):
        return True
    return creation_line is not None and f"triggerer_job_runner.py:{creation_line}>" in step


def task_of(step: str) -> str:
    """A slow step's task in short: its name and its outermost coroutine, where it stood."""
    found = re.search(r"name='([^']*)' coro=<([^ >]*)(?: running at [^>]*?([\w.]+:\d+))?", step)
    return " ".join(part for part in found.groups() if part) if found else step[:80]


def test_no_step_of_the_providers_triggers_blocked_the_triggerers_loop(deployment: Deployment) -> None:
    # The triggerer runs with PYTHONASYNCIODEBUG=1: asyncio logs every step over 0.1 s with its task.
    log = (deployment.processes.log_dir / "triggerer.log").read_text(errors="replace")
    steps = [
        (float(seconds), what) for what, seconds in re.findall(r"Executing (<.*>) took ([\d.]+) seconds", log)
    ]
    creation_line = trigger_creation_line()
    ours = [(seconds, what[:300]) for seconds, what in steps if providers_step(what, creation_line)]
    # Airflow's own warning times the whole loop: on 2 cores and 7 processes, CPU contention alone
    # can raise it. Reported, never a failure.
    blanket = re.findall(r"async thread was blocked for ([\d.]+) seconds", log)
    print(
        f"\n[e2e] {deployment.executor}: triggerer loop: {len(steps)} step(s) over 0.1 s "
        f"({', '.join(f'{s:.3f} s in {task_of(what)}' for s, what in steps) or 'none'}), "
        f"{len(ours)} of them the provider's; "
        f"'blocked' warnings: {', '.join(f'{float(b):.2f} s' for b in blanket) or 'none'}"
    )
    assert "Executing" not in log or steps, "asyncio's debug lines changed shape"
    assert not ours, ours


def test_the_api_key_appears_in_no_log_and_not_in_the_database(deployment: Deployment) -> None:
    with Phase(deployment, "scans"):
        hits: list[str] = []
        scanned: Counter[str] = Counter()
        task_logs = list((deployment.home / "logs").rglob("*"))
        landed = list(deployment.root.glob("harvest*/**/*"))
        for path in [*task_logs, *deployment.processes.log_dir.rglob("*"), *landed]:
            if path.is_file():
                scanned["files"] += 1
                scanned["bytes"] += path.stat().st_size
                if API_KEY.encode() in path.read_bytes():
                    hits.append(str(path))
        port = urlsplit(deployment.db_url.replace("postgresql+psycopg2", "postgresql")).port
        from e2e.deployment import _postgres_bin

        dump = subprocess.run(
            [
                _postgres_bin("pg_dump"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "airflow",
                "--data-only",
                "airflow",
            ],
            check=True,
            capture_output=True,
        ).stdout
        if API_KEY.encode() in dump:
            hits += [
                f"pg_dump line: {line[:200]!r}" for line in dump.splitlines() if API_KEY.encode() in line
            ]
    print(
        f"\n[e2e] {deployment.executor}: scanned {scanned['files']} log files ({scanned['bytes']} bytes)"
        f" and a {len(dump)}-byte pg_dump --data-only for {API_KEY!r}: {len(hits)} hits {hits}"
    )
    # The scans looked at real material: every example DAG's task logs, and its runs in the dump,
    # and the meetings the harvest landed.
    assert any(path.name == "transcript.jsonl" for path in landed)
    for dag_id in [*EXPECTED_SCHEDULES, HARVEST_DAG]:
        assert any(f"dag_id={dag_id}" in str(path) for path in task_logs), dag_id
        assert re.search(dag_id.encode(), dump)
    assert not hits


@pytest.fixture(autouse=True)
def _alive(deployment: Deployment) -> None:
    # A component that died earlier makes every later test fail with its output, not a timeout.
    deployment.processes.check_alive()
