"""Every example DAG under ``dag.test()`` against the emulator, asserting the run and the server's state."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from airflow_versions import write_dag_assets

# The example DAGs read the demo calendar, which moves with the clock, and take "now" from the
# clock too (the batch DAG's next 24 hours, the recurring DAGs' window): every test runs with the
# emulator and dag.test() agreeing on one instant, whose clock ticks on so that the sensors poke.
pytestmark = pytest.mark.usefixtures("meetstream_frozen_now")


def run(dagbag, dag_id: str, **conf: object):
    from airflow.utils.state import DagRunState

    dag_run = dagbag.get_dag(dag_id).test(run_conf=conf or None)
    tis = dag_run.get_task_instances()
    assert dag_run.state == DagRunState.SUCCESS, {(ti.task_id, ti.map_index): ti.state for ti in tis}
    return tis


#: An owner who accepted and an attendee from outside example.com: what the batch DAG's rules record.
WITH_A_VENDOR = {
    "organizer": {"email": "dana@example.com", "self": True},
    "attendees": [
        {"email": "dana@example.com", "self": True, "organizer": True, "responseStatus": "accepted"},
        {"email": "ana@vendor.example", "responseStatus": "accepted"},
    ],
}


def schedules(emulator) -> list[dict]:
    return emulator.admin.state()["schedules"]


def test_schedule_event(dagbag, meetstream_conn_env) -> None:
    tis = run(dagbag, "meetstream_schedule_event")
    assert {ti.state for ti in tis} == {"success"}
    held = schedules(meetstream_conn_env)
    assert [(s["event_id"], s["deduplication_key"]) for s in held] == [
        ("evt_demo_zoom_sync", "meetstream_schedule_event:evt_demo_zoom_sync")
    ]
    # A second run updates the same schedule.
    run(dagbag, "meetstream_schedule_event")
    assert [s["schedule_id"] for s in schedules(meetstream_conn_env)] == [held[0]["schedule_id"]]


def test_recurring_mapped(dagbag, meetstream_conn_env) -> None:
    tis = run(dagbag, "meetstream_recurring_mapped", occurrence_limit=5)
    mapped = sorted((ti for ti in tis if ti.task_id == "schedule_occurrence"), key=lambda ti: ti.map_index)
    assert len(mapped) == 5
    assert all(ti.state == "success" for ti in tis)
    held = sorted(s["occurrence_date"] for s in schedules(meetstream_conn_env))
    assert len(held) == 5
    # Each mapped task instance is named after its occurrence.
    assert [ti.rendered_map_index for ti in mapped] == [date.replace("+00:00", "Z") for date in held]


def test_recurring_bulk(dagbag, meetstream_conn_env) -> None:
    run(dagbag, "meetstream_recurring_bulk", occurrence_limit=10)
    held = schedules(meetstream_conn_env)
    assert len(held) == 10
    assert {s["event_id"] for s in held} == {"evt_demo_teams_monthly_review"}
    assert {s["schedule_group"] for s in held} == {"microsoft_teams"}
    # Running again holds the same schedules: nothing duplicated.
    run(dagbag, "meetstream_recurring_bulk", occurrence_limit=10)
    assert sorted(s["schedule_id"] for s in schedules(meetstream_conn_env)) == sorted(
        s["schedule_id"] for s in held
    )


def test_batch_from_calendar(dagbag, meetstream_conn_env) -> None:
    admin = meetstream_conn_env.admin
    now = admin.now()

    def event(event_id: str, title: str, hours: float, url: str | None, **extra: object) -> dict:
        start, end = now + timedelta(hours=hours), now + timedelta(hours=hours, minutes=30)
        return {
            "id": event_id,
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
            "calendar_id": "cal_batch",
            "platform": "google_calendar",
            "meeting_url": url,
            "raw": {
                "summary": title,
                "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
                **copy.deepcopy(WITH_A_VENDOR),
            },
            **extra,
        }

    daily = event("evt_daily", "Data team daily", 5, "https://meet.google.com/daily")
    daily["raw"]["recurrence"] = ["RRULE:FREQ=DAILY"]
    daily["start_time"] = (now + timedelta(hours=5) - timedelta(days=3)).isoformat()
    daily["end_time"] = (now + timedelta(hours=5, minutes=15) - timedelta(days=3)).isoformat()
    internal = event("evt_internal", "Data team retro", 7, "https://meet.google.com/retro")
    internal["raw"]["attendees"][1]["email"] = "sam@example.com"
    declined = event("evt_declined", "Data team vendor demo", 8, "https://meet.google.com/demo")
    declined["raw"]["attendees"][0]["responseStatus"] = "declined"
    opted_out = event("evt_private", "Data team 1:1", 9, "https://meet.google.com/private")
    opted_out["raw"]["description"] = "Please: [No Recording]"
    admin.load_events(
        [
            event("evt_sync", "Data team sync", 2, "https://us02web.zoom.us/j/123"),
            event("evt_dentist", "Dentist", 3, None),
            event("evt_cancelled", "Sync (cancelled)", 4, "https://meet.google.com/x", is_deleted=True),
            event("evt_lunch", "Lunch", 6, "https://meet.google.com/lunch"),
            event("evt_far", "Quarterly review", 48, "https://teams.microsoft.com/l/far"),
            daily,
            internal,
            declined,
            opted_out,
        ]
    )
    tis = run(dagbag, "meetstream_batch_from_calendar")
    held = sorted((s["event_id"], s["occurrence_date"] is not None) for s in schedules(meetstream_conn_env))
    # Only meetings of the next 24 h, not deleted, with a URL, a matching title and the rules of
    # the DAG's Param (someone from outside example.com, not declined, no opt-out marker).
    assert held == [("evt_daily", True), ("evt_sync", False)]
    sync = next(ti for ti in tis if ti.task_id == "sync_bots")
    skipped = {
        item["event_id"]: item["reason"] for item in sync.xcom_pull(task_ids="sync_bots", key="skipped")
    }
    assert skipped == {
        "evt_internal": "skipped: no attendee known to be outside example.com",
        "evt_declined": "skipped: declined by the calendar's owner",
        "evt_private": "skipped: opt-out marker [no recording] in the description",
    }
    keys = {s["deduplication_key"] for s in schedules(meetstream_conn_env)}
    assert {key.split("|")[0] for key in keys} == {"meetstream_batch_from_calendar.sync_bots"}
    states = {ti.task_id: ti.state for ti in tis}
    assert states["wait_until_listed"] == "success"
    # A second run finds everything in place: it writes nothing and skips the wait.
    admin.clear_requests()
    states = {ti.task_id: ti.state for ti in run(dagbag, "meetstream_batch_from_calendar")}
    assert states["wait_until_listed"] == "skipped"
    assert [r["method"] for r in admin.requests() if r["method"] != "GET"] == []


def test_batch_sensor_defers_and_resumes(
    dagbag, meetstream_conn_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.common.compat.sdk import PokeReturnValue

    from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

    admin = meetstream_conn_env.admin
    now = admin.now()
    start, end = now + timedelta(hours=1), now + timedelta(hours=2)
    admin.load_events(
        [
            {
                "id": "evt_soon",
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "meeting_url": "https://meet.google.com/soon",
                "raw": {
                    "summary": "Data team platform sync",
                    "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
                    **WITH_A_VENDOR,
                },
            }
        ]
    )
    # The check before deferring misses, so the sensor defers and dag.test() runs the trigger inline.
    monkeypatch.setattr(ListScheduledSensor, "poke", lambda self, context: PokeReturnValue(is_done=False))
    tis = run(dagbag, "meetstream_batch_from_calendar")
    sensor = next(ti for ti in tis if ti.task_id == "wait_until_listed")
    assert sensor.state == "success"
    listed = sensor.xcom_pull(task_ids="wait_until_listed")
    assert [bot["custom_attributes"]["event_id"] for bot in listed] == ["evt_soon"]
    # Only the trigger's async client asked for the list: the sync poke was replaced.
    assert any(r["path"].endswith("/calendar/scheduled") for r in admin.requests())


def test_transcripts_to_storage_then_words(dagbag, meetstream_conn_env, tmp_path) -> None:

    admin = meetstream_conn_env.admin
    run(dagbag, "meetstream_batch_from_calendar")
    bot_ids = sorted({s["bot_id"] for s in schedules(meetstream_conn_env)})
    assert bot_ids
    # Past every meeting of the next day, and the transcripts' delay.
    admin.advance_clock(timedelta(hours=25))
    write_dag_assets(dagbag.get_dag("meetstream_transcripts_to_storage"))
    tis = run(dagbag, "meetstream_transcripts_to_storage", bot_ids=bot_ids, base_path=f"file://{tmp_path}")
    states = {(ti.task_id, ti.map_index): ti.state for ti in tis}
    assert states[("create_bot", -1)] == "skipped"
    fetched = sorted((ti for ti in tis if ti.task_id == "fetch_transcript"), key=lambda ti: ti.map_index)
    assert [ti.state for ti in fetched] == ["success"] * len(bot_ids)
    results = [ti.xcom_pull(task_ids="fetch_transcript", map_indexes=ti.map_index) for ti in fetched]
    assert sorted(result["bot_id"] for result in results) == bot_ids
    by_bot = {bot["bot_id"]: bot for bot in admin.state()["bots"]}
    for result in results:
        assert result["transcript_id"] == by_bot[result["bot_id"]]["transcript_id"]
        expected = tmp_path / result["bot_id"] / "transcript.jsonl"
        assert result["uri"] == f"file://{expected}"
        assert expected.is_file()
    # The consumer counts the words of one of them.
    words = run(dagbag, "meetstream_transcript_words", uri=results[0]["uri"])
    (count,) = [ti for ti in words if ti.task_id == "count_words"]
    counts = count.xcom_pull(task_ids="count_words")[results[0]["uri"]]
    text = (tmp_path / results[0]["bot_id"] / "transcript.txt").read_text()
    assert counts == {
        speaker: sum(
            len(line.split(": ", 1)[1].split())
            for line in text.splitlines()
            if line.startswith(f"{speaker}: ")
        )
        for speaker in counts
    }
    assert sum(counts.values()) > 0


def test_transcripts_to_storage_takes_a_bot_that_left_normally(
    dagbag, meetstream_conn_env, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The wait looks between the bot leaving (Stopped) and the end of processing (Done): the
    # meeting went well, so the wait succeeds and the transcript is fetched once it is ready.
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor
    from meetstream_emulator.bots import BOT_SETTINGS

    admin = meetstream_conn_env.admin
    hook = MeetStreamHook()
    bot_id = hook.schedule_event("evt_demo_data_sync", deduplication_key="left-normally")["bot_id"]
    admin.set_clock(hook.get_bot_status(bot_id)["meeting_end_time"])
    assert hook.get_bot_status(bot_id)["status"] == "Stopped"
    seen: list[list[str]] = []
    execute = BotStatusSensor.execute

    def execute_then_process(self, context):
        result = execute(self, context)
        seen.append([bot["status"] for bot in result])
        admin.advance_clock(BOT_SETTINGS["transcript_delay_seconds"])
        return result

    monkeypatch.setattr(BotStatusSensor, "execute", execute_then_process)
    tis = run(dagbag, "meetstream_transcripts_to_storage", bot_ids=[bot_id], base_path=f"file://{tmp_path}")
    assert seen == [["Stopped"]]
    (fetched,) = [ti for ti in tis if ti.task_id == "fetch_transcript"]
    assert fetched.xcom_pull(task_ids="fetch_transcript", map_indexes=0)["bot_id"] == bot_id
    assert [path.name for path in (tmp_path / bot_id).glob("*.jsonl")] == ["transcript.jsonl"]


def test_transcripts_to_storage_fails_on_a_denied_bot(dagbag, meetstream_conn_env, tmp_path) -> None:
    from airflow.utils.state import DagRunState

    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

    admin = meetstream_conn_env.admin
    bot_id = MeetStreamHook().schedule_event("evt_demo_data_sync", deduplication_key="denied")["bot_id"]
    admin.set_bot_outcome(bot_id, status="Denied", reason="The host did not admit the bot.")
    admin.advance_clock(timedelta(hours=3))
    dag_run = dagbag.get_dag("meetstream_transcripts_to_storage").test(
        run_conf={"bot_ids": [bot_id], "base_path": f"file://{tmp_path}"}
    )
    assert dag_run.state == DagRunState.FAILED
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["wait_for_meetings"] == "failed"
    assert list(tmp_path.iterdir()) == []
