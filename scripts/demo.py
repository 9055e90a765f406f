"""
`make demo`: run every example DAG against a local MeetStream emulator and print what it holds.

The first batch sync's plan shows why each meeting is or is not recorded (the example's recording
rules: someone from outside example.com, not declined, no opt-out marker). Then the demo changes
the calendar (a meeting moved, an occurrence cancelled, an event deleted, one added) and syncs
again; then its people (an outside attendee joins an internal meeting, the owner declines
another) and syncs a third time: one bot added, one cancelled. Then the host of one
meeting refuses its bot, and the emulator's clock moves past the meetings while the asset watcher's
trigger (BotFinishedTrigger) runs: it fires once per finished bot, and meetstream_meeting_finished
lands those meetings; the hourly harvest, the safety net, then finds nothing left to land, twice
over. No bot id is typed anywhere.
Last, the ad-hoc DAG stores one bot's transcript, and the words DAG reads one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_DAGS = REPO / "example_dags"
API_KEY = "demo-emulator-key"
BATCH_DAG = "meetstream_batch_from_calendar"
TRANSCRIPTS_DAG = "meetstream_transcripts_to_storage"
WORDS_DAG = "meetstream_transcript_words"
HARVEST_DAG = "meetstream_harvest"
FINISHED_DAG = "meetstream_meeting_finished"
#: The demo calendar's owner (the attendee marked "self" in cal_demo_google).
OWNER = "dana@example.com"
# Run order: the single event first, the batch pipeline last, so the table reads top-down.
DAG_ORDER = (
    "meetstream_schedule_event",
    "meetstream_recurring_mapped",
    "meetstream_recurring_bulk",
    BATCH_DAG,
)
# Run after the clock has moved past the meetings, on the batch DAG's bots.
AFTER_THE_MEETINGS = (FINISHED_DAG, HARVEST_DAG, TRANSCRIPTS_DAG, WORDS_DAG)


def dag_ids() -> list[str]:
    """The example DAGs of the first pass, in run order; a DAG file not listed anywhere runs last."""
    found = [path.stem for path in sorted(EXAMPLE_DAGS.glob("*.py"))]
    listed = (*DAG_ORDER, *AFTER_THE_MEETINGS)
    return [dag for dag in DAG_ORDER if dag in found] + [dag for dag in found if dag not in listed]


def run_dag(
    dag_id: str, env: dict[str, str], log_dir: Path, conf: dict[str, Any] | None = None, label: str = ""
) -> tuple[bool, float]:
    """`airflow dags test` one DAG; its output goes to a log file. Return success and seconds."""
    started = time.monotonic()
    name = f"{dag_id}{label}"
    log = log_dir / f"{name}.log"
    command = [str(Path(sys.executable).with_name("airflow")), "dags", "test", dag_id]
    if conf is not None:
        command += ["--conf", json.dumps(conf)]
    with log.open("w") as out:
        result = subprocess.run(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        tail = log.read_text().splitlines()[-25:]
        print(f"  FAILED  {name} ({elapsed:.1f} s); the last lines of its output:", *tail, sep="\n    ")
    else:
        print(f"  ok      {name} ({elapsed:.1f} s)")
    return result.returncode == 0, elapsed


def sync_plan(log: Path) -> list[str]:
    """The plan the sync operator logged: from its line starting "Sync " to "… kept as they are."."""
    lines = log.read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if re.search(r"(^|\s)Sync \S+, \S+ to ", line)), None)
    if start is None:
        return ["(no plan found in the log)"]
    marker = "kept as they are."
    # The logger may append its own fields (logger name, source line) after the message's last line.
    end = next((i for i in range(start, len(lines)) if marker in lines[i]), start)
    table = [lines[start][lines[start].index("Sync ") :], *lines[start + 1 : end + 1]]
    table[-1] = table[-1][: table[-1].index(marker) + len(marker)] if marker in table[-1] else table[-1]
    return table


def change_calendar(admin: Any) -> list[str]:
    """Move, cancel, delete and add one "data team" meeting each, as a calendar's owner would."""
    now = admin.now()
    schedules = admin.state()["schedules"]
    daily = next(s for s in schedules if s["event_id"] == "evt_demo_data_daily")
    review = next(e for e in admin.events() if e["id"] == "evt_demo_data_review")
    moved_to = datetime.fromisoformat(review["start_time"]) + timedelta(hours=1)
    admin.move_event("evt_demo_data_review", moved_to)
    admin.cancel_occurrence("evt_demo_data_daily", daily["occurrence_date"], drop_schedules=False)
    admin.delete_event("evt_demo_data_sync", drop_schedules=False)
    start = now + timedelta(hours=6)
    added = {
        "id": "evt_demo_data_planning",
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=30)).isoformat(),
        "calendar_id": "cal_demo_google",
        "platform": "google_calendar",
        "meeting_url": "https://meet.google.com/dat-apla-nng",
        "raw": {
            "summary": "Data team planning",
            "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
            "organizer": {"email": OWNER, "self": True},
            "attendees": [
                {"email": OWNER, "self": True, "organizer": True, "responseStatus": "accepted"},
                {"email": "ana@vendor.example", "responseStatus": "needsAction"},
            ],
        },
    }
    admin.load_events([added], replace=False)
    return [
        f"moved    evt_demo_data_review to {moved_to.isoformat()}",
        f"cancelled evt_demo_data_daily on {daily['occurrence_date']}",
        "deleted  evt_demo_data_sync",
        f"added    evt_demo_data_planning at {start.isoformat()}",
    ]


def change_people(admin: Any) -> list[str]:
    """An outsider joins an internal meeting, and the calendar's owner declines a recorded one."""
    admin.add_attendee("evt_demo_data_internal", "ana@vendor.example", name="Ana (vendor)")
    admin.respond("evt_demo_data_review", "declined")
    return [
        "ana@vendor.example joins evt_demo_data_internal (internal until now)",
        f"{OWNER} declines evt_demo_data_review",
    ]


def print_table(state: dict, head: int = 4, tail: int = 3) -> None:
    """What the emulator holds: one row per schedule; a long series shows its first and last rows."""
    from airflow_provider_meetstream.recurrence import format_occurrence

    schedules = sorted(state["schedules"], key=lambda s: (s["event_id"], s["occurrence_date"] or ""))
    rows: list[tuple[str, ...]] = []
    for event_id in dict.fromkeys(s["event_id"] for s in schedules):
        of_event = [
            (
                event_id,
                format_occurrence(s["occurrence_date"]) if s["occurrence_date"] else "-",
                s["bot_id"],
                format_occurrence(s["scheduled_time"]),
                s["schedule_group"],
            )
            for s in schedules
            if s["event_id"] == event_id
        ]
        if len(of_event) > head + tail + 1:
            skipped = (event_id, f"... {len(of_event) - head - tail} more", "", "", "")
            of_event = [*of_event[:head], skipped, *of_event[-tail:]]
        rows += of_event
    header = ("event", "occurrence", "bot id", "join time", "schedule group")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    counts = f"{len(schedules)} schedules, {len(state['bots'])} bots, emulator clock {state['now'][:19]}Z"
    print(f"\nWhat the emulator now holds ({counts}):")
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def harvest_line(log: Path) -> str:
    """The harvest's summary from its log: "N landed, N pending, N failed, N skipped"."""
    found = re.findall(r"\d+ landed, \d+ pending, \d+ failed, \d+ skipped", log.read_text())
    return found[-1] if found else "(no summary found in the log)"


def harvest_meetings(
    admin: Any, env: dict[str, str], log_dir: Path, base: Path
) -> dict[str, tuple[bool, float]]:
    """A host refuses one bot; past the meetings, the harvest lands every meeting, twice over."""
    bots = [
        bot
        for bot in admin.state()["bots"]
        if str(bot["deduplication_key"]).startswith(f"{BATCH_DAG}.") and bot["status"] == "Scheduled"
    ]
    refused = bots[0]
    admin.set_bot_outcome(refused["bot_id"], status="Denied", reason="The host did not admit the bot.")
    print(f"\nThe host of {refused['event_id']} refuses its bot (Denied).")
    finished = watch_finished(admin, env, len(bots))
    print(f"The emulator clock moved past the meetings, to {admin.now().isoformat()[:19]}Z.")
    print(f"BotFinishedTrigger, as an asset watcher runs it, fired {len(finished)} events:")
    for payload in finished:
        print(
            f"  {payload['bot_id']}  {payload['status']:<8} {payload['outcome']:<7} {payload['title'] or ''}"
        )
    conf = {"base_path": f"file://{base}"}
    finished_conf = {**conf, "bot_ids": [payload["bot_id"] for payload in finished]}
    results = {FINISHED_DAG: run_dag(FINISHED_DAG, env, log_dir, finished_conf)}
    print(f"  {FINISHED_DAG}, with those events' bots: {harvest_line(log_dir / f'{FINISHED_DAG}.log')}")
    print(f"The hourly harvest of the batch DAG's sync, the safety net, into file://{base}:")
    results[HARVEST_DAG] = run_dag(HARVEST_DAG, env, log_dir, conf)
    print(f"  {harvest_line(log_dir / f'{HARVEST_DAG}.log')}")
    meetings = [json.loads(path.read_text()) for path in sorted(base.glob("*/meeting.json"))]
    header = ("meeting", "status", "outcome", "segments", "reason")
    rows = [
        (
            str(m["title"] or m["event_id"]),
            m["status"],
            m["outcome"],
            str(m["transcript"].get("segments", "-")),
            m["reason"] or "",
        )
        for m in meetings
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("    " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    results[f"{HARVEST_DAG} (again)"] = run_dag(HARVEST_DAG, env, log_dir, conf, label=" (again)")
    print(f"  {harvest_line(log_dir / f'{HARVEST_DAG} (again).log')}")
    landed = [m for m in meetings if "transcript" in m["objects"]]
    if not landed:
        return results
    folder = base / landed[0]["bot_id"]
    print(
        f"\nThe first lines of {folder / 'meeting.json'}:",
        *(folder / "meeting.json").read_text().splitlines()[:12],
        sep="\n  ",
    )
    segments = [json.loads(line) for line in (folder / "transcript.jsonl").read_text().splitlines()]
    print(f"\nThe first lines of {folder / 'transcript.jsonl'}, as text:")
    for segment in segments[:4]:
        print(f"  {segment['speaker']}: {segment['transcript']}")
    results[WORDS_DAG] = run_dag(WORDS_DAG, env, log_dir, {"uri": f"file://{folder / 'transcript.jsonl'}"})
    counted = [
        line.split("print ")[-1] if "print " in line else line
        for line in (log_dir / f"{WORDS_DAG}.log").read_text().splitlines()
        if re.search(r"Words per speaker|^\s*\S+\s+\d+$", line)
    ]
    print(f"{WORDS_DAG} says:", *counted, sep="\n  ")
    # The ad-hoc way back, one bot at a time, writes the same layout.
    ad_hoc = base.parent / "transcripts"
    adhoc_conf = {"bot_ids": [landed[0]["bot_id"]], "base_path": f"file://{ad_hoc}"}
    results[TRANSCRIPTS_DAG] = run_dag(TRANSCRIPTS_DAG, env, log_dir, adhoc_conf)
    print(
        f"  {TRANSCRIPTS_DAG} wrote", *(f"file://{p}" for p in sorted(ad_hoc.rglob("transcript.*"))), sep=" "
    )
    return results


def watch_finished(
    admin: Any, env: dict[str, str], expected: int, timeout: float = 60.0
) -> list[dict[str, Any]]:
    """
    Run the watcher's trigger here while the clock moves past the meetings; its events' payloads.

    It takes its baseline first (nothing has ended), then fires once per bot of the sync that
    finishes; on a deployment the triggerer runs it and each event starts meetstream_meeting_finished.
    """
    import asyncio

    # AIRFLOW_HOME and the connection, before Airflow is imported here; the trigger's own log lines
    # would only repeat the events printed below.
    os.environ.update({**env, "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"})
    from airflow_provider_meetstream.triggers.bot_finished import BotFinishedTrigger

    # No scheduler here to start runs: no need to space the events out.
    trigger = BotFinishedTrigger(sync_id=f"{BATCH_DAG}.sync_bots", poll_interval=0.2, event_interval=0)

    def listings() -> int:
        return sum(1 for r in admin.requests() if r["method"] == "GET" and r["path"].endswith("/bots"))

    async def watch() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []

        async def collect() -> None:
            async for event in trigger.run():
                events.append(event.payload)

        task = asyncio.create_task(collect())
        before = await asyncio.to_thread(listings)
        # Two listings: the first (the baseline) was handled before the second began.
        while await asyncio.to_thread(listings) < before + 2:
            await asyncio.sleep(0.1)
        await asyncio.to_thread(admin.advance_clock, timedelta(hours=25))
        deadline = time.monotonic() + timeout
        while len(events) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        task.cancel()
        return events

    return asyncio.run(watch())


def main() -> int:
    """Run the demo; exit non-zero when any DAG failed."""
    # In this process: it only waits while `airflow dags test` runs, so the server has it to itself.
    from meetstream_emulator.server import EmulatorServer

    with (
        tempfile.TemporaryDirectory(prefix="meetstream-demo-") as home,
        EmulatorServer(api_keys=(API_KEY,)) as emulator,
    ):
        log_dir = Path(home) / "demo-logs"
        log_dir.mkdir()
        print(f"MeetStream emulator with the demo calendar: {emulator.base_url}")
        env = {
            **os.environ,
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW_CONN_MEETSTREAM_DEFAULT": emulator.airflow_conn_json(),
        }
        migrate = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            raise SystemExit(f"`airflow db migrate` failed:\n{migrate.stdout}{migrate.stderr}")
        admin = emulator.admin
        print(f"Running the example DAGs with `airflow dags test` (AIRFLOW_HOME={home}):")
        results = {dag_id: run_dag(dag_id, env, log_dir) for dag_id in dag_ids()}
        print_table(admin.state())
        if BATCH_DAG in results:
            print("\nThe first batch sync's plan:", *sync_plan(log_dir / f"{BATCH_DAG}.log"), sep="\n  ")
            print("\nThe calendar changes:", *change_calendar(admin), sep="\n  ")
            print("Syncing again:")
            results[f"{BATCH_DAG} (again)"] = run_dag(BATCH_DAG, env, log_dir, label=" (again)")
            print("\nThe plan it carried out:", *sync_plan(log_dir / f"{BATCH_DAG} (again).log"), sep="\n  ")
            print("\nThe people change:", *change_people(admin), sep="\n  ")
            print("Syncing a third time:")
            label = " (people)"
            results[f"{BATCH_DAG}{label}"] = run_dag(BATCH_DAG, env, log_dir, label=label)
            print("\nThe plan it carried out:", *sync_plan(log_dir / f"{BATCH_DAG}{label}.log"), sep="\n  ")
            results.update(harvest_meetings(admin, env, log_dir, Path(home) / "meetings"))
    failed = [dag_id for dag_id, (ok, _) in results.items() if not ok]
    total = sum(seconds for _, seconds in results.values())
    print(f"\n{len(results) - len(failed)} of {len(results)} DAGs succeeded in {total:.0f} s.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
