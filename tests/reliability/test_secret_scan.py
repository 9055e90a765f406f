"""
The API key appears nowhere it should not: every example DAG run, then every place searched for it.

Every example DAG runs under ``dag.test()`` against an emulator that accepts only a recognisable
key; then the key, in every form MeetStream could echo it (raw, JSON-escaped, percent-encoded,
base64), is searched for in the task logs, the console, every table of the metadata database
(XCom, rendered fields, trigger rows, task instances, runs...), the files the DAGs wrote, and the
emulator's request log. The errors the hook raises when a gateway echoes the key (in
``x-request-id``, ``Location`` or the body) are searched in their text, repr, pickle and
formatted traceback. Each search counts as one place; the test prints how many and the hits (0).
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import sqlite3
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm
from airflow_versions import without_masker_echo, write_dag_assets

from airflow_provider_meetstream.exceptions import MeetStreamError
from airflow_provider_meetstream.hooks.errors import secret_forms
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

SECRET = "reliability-secret-key-7f3a9b2c"
FORMS = tuple(
    {
        *secret_forms(SECRET),
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(f"Token {SECRET}".encode()).decode(),
    }
)


class Search:
    """Places searched for the key, and where it was found."""

    def __init__(self) -> None:
        self.places: list[str] = []
        self.hits: list[str] = []

    def text(self, place: str, text: str | bytes | None) -> None:
        self.places.append(place)
        data = text if isinstance(text, bytes) else (text or "").encode("utf-8", "surrogateescape")
        for form in FORMS:
            if form.encode() in data:
                self.hits.append(f"{place}: {form!r}")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    from meetstream_emulator.server import EmulatorServer

    with EmulatorServer(api_keys=(SECRET,)) as server:
        yield server


@pytest.fixture
def secret_env(emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The emulator with only the secret key, reset at the frozen instant, as the default connection."""
    import time_machine

    from meetstream_emulator.pytest_plugin import DEFAULT_FROZEN_NOW

    emulator.admin.reset(now=DEFAULT_FROZEN_NOW)
    monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", emulator.airflow_conn_json())
    with time_machine.travel(DEFAULT_FROZEN_NOW, tick=True):
        yield emulator


def run(dagbag, dag_id: str, **conf: Any) -> Any:
    from airflow.utils.state import DagRunState

    dag_run = dagbag.get_dag(dag_id).test(run_conf=conf or None)
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == DagRunState.SUCCESS, (dag_id, states)
    return dag_run


def batch_meetings(admin: Any) -> None:
    now = admin.now()
    start = now + timedelta(hours=2)
    admin.load_events(
        [
            {
                "id": "evt_secret_scan",
                "start_time": start.isoformat(),
                "end_time": (start + timedelta(minutes=30)).isoformat(),
                "meeting_url": "https://meet.google.com/sec-ret-scan",
                # Someone from outside example.com: the batch DAG's recording rules record it.
                "raw": {
                    "summary": "Data team secret scan",
                    "attendees": [{"email": "ana@vendor.example", "responseStatus": "accepted"}],
                },
            }
        ],
        replace=False,
    )


@pytest.fixture
def deferrals(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """
    Every deferral of the runs, as the trigger row would hold it: the classpath and its kwargs.

    ``dag.test()`` runs a trigger in line and writes no trigger row, so the row is taken where it
    is made, from ``trigger.serialize()``; and each deferrable sensor's first check is made to
    miss, so that it does defer (a meeting already listed would let it succeed at once).
    """
    try:
        from airflow.sdk.definitions import dag as dag_module
    except ImportError:  # Airflow 2 runs the trigger inline from its own DAG module
        from airflow.models import dag as dag_module  # type: ignore[no-redef]

    from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor
    from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

    seen: list[tuple[str, dict[str, Any]]] = []
    run_inline = dag_module._run_inline_trigger

    def recording(trigger: Any, *args: Any) -> Any:
        seen.append(trigger.serialize())
        return run_inline(trigger, *args)

    monkeypatch.setattr(dag_module, "_run_inline_trigger", recording)
    for sensor in (ListScheduledSensor, BotStatusSensor):
        monkeypatch.setattr(sensor, "execute", first_check_misses(sensor))
    return seen


def first_check_misses(sensor: type) -> Any:
    from airflow.providers.common.compat.sdk import PokeReturnValue

    execute, poke = sensor.execute, sensor.poke

    def run(self: Any, context: Any) -> Any:
        if not self.deferrable:
            return execute(self, context)
        self.poke = lambda context: PokeReturnValue(is_done=False)
        try:
            return execute(self, context)
        finally:
            self.poke = poke.__get__(self)

    return run


def test_no_example_dag_leaves_the_key_anywhere(
    airflow_db, dagbag, secret_env, deferrals, capfd, tmp_path, figures
) -> None:

    admin = secret_env.admin
    batch_meetings(admin)
    ran: list[str] = []
    run(dagbag, "meetstream_schedule_event")
    run(dagbag, "meetstream_recurring_mapped", occurrence_limit=3)
    run(dagbag, "meetstream_recurring_bulk", occurrence_limit=5)
    run(dagbag, "meetstream_batch_from_calendar")
    ran += ["meetstream_schedule_event", "meetstream_recurring_mapped", "meetstream_recurring_bulk"]
    ran.append("meetstream_batch_from_calendar")
    bot_ids = sorted(s["bot_id"] for s in admin.state()["schedules"] if s["event_id"] == "evt_secret_scan")
    assert bot_ids
    admin.advance_clock(timedelta(hours=25))
    write_dag_assets(dagbag.get_dag("meetstream_transcripts_to_storage"))
    storage = run(
        dagbag, "meetstream_transcripts_to_storage", bot_ids=bot_ids, base_path=f"file://{tmp_path}"
    )
    ran.append("meetstream_transcripts_to_storage")
    uri = next(
        ti.xcom_pull(task_ids="fetch_transcript", map_indexes=ti.map_index)["uri"]
        for ti in storage.get_task_instances()
        if ti.task_id == "fetch_transcript"
    )
    run(dagbag, "meetstream_transcript_words", uri=uri)
    ran.append("meetstream_transcript_words")
    harvested = run(dagbag, "meetstream_harvest", base_path=f"file://{tmp_path}/meetings")
    ran.append("meetstream_harvest")
    assert harvested.get_task_instance("harvest").xcom_pull(task_ids="harvest")["counts"]["landed"]
    if "meetstream_meeting_finished" in dagbag.dag_ids:  # Airflow 3: by hand, as its watcher would
        finished = run(
            dagbag, "meetstream_meeting_finished", bot_ids=bot_ids, base_path=f"file://{tmp_path}/finished"
        )
        landed = finished.get_task_instance("land_meetings").xcom_pull(task_ids="land_meetings")
        assert landed["counts"]["landed"] == len(bot_ids)
        ran.append("meetstream_meeting_finished")
    # Every example DAG ran: a new one must be added here.
    assert sorted(ran) == sorted(dagbag.dag_ids)

    search = Search()
    out, err = capfd.readouterr()
    search.text("console stdout", without_masker_echo(out))
    search.text("console stderr", without_masker_echo(err))
    logs = Path(os.environ["AIRFLOW_HOME"], "logs")
    for path in sorted(p for p in logs.rglob("*") if p.is_file()):
        search.text(f"task log {path.relative_to(logs)}", path.read_bytes())
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        search.text(f"written file {path.name}", path.read_bytes())
    tables = search_database(search, airflow_db)
    for index, (classpath, kwargs) in enumerate(deferrals):
        search.text(f"trigger row {index} ({classpath})", json.dumps(kwargs, default=repr))
    search.text("emulator request log", json.dumps(admin.requests()))
    search.text("emulator state", json.dumps(admin.state()))

    # The places were real: the runs spoke to the emulator with the key and wrote to the console,
    # and the search finds the key where it is.
    assert len(admin.requests()) > 20
    assert len(out) + len(err) > 10_000
    probe = Search()
    probe.text("probe", f"x{SECRET}x")
    assert probe.hits
    figures("console bytes", len(out) + len(err))
    figures("example DAGs run", len(ran))
    figures("task log files", sum(place.startswith("task log") for place in search.places))
    figures("database tables", tables)
    figures("trigger rows (each deferral's classpath and kwargs)", len(deferrals))
    figures("places searched", len(search.places))
    figures("hits", len(search.hits))
    SCAN["places"] += len(search.places)
    SCAN["hits"] += len(search.hits)
    assert search.hits == []
    # Where the key could have gone: these tables must have been searched with rows in them.
    assert {"xcom", "rendered_task_instance_fields", "trigger", "task_instance"} <= set(ROWS)
    assert ROWS["xcom"]
    assert ROWS["rendered_task_instance_fields"]
    assert len(deferrals) >= 2  # the batch sync's wait and the transcripts' wait


#: Rows per table of the last database search.
ROWS: dict[str, int] = {}
SCAN: dict[str, int] = {"places": 0, "hits": 0}


def search_database(search: Search, database: Path) -> int:
    """Every column of every row of every table of the metadata database; returns the tables searched."""
    with sqlite3.connect(database) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            rows = connection.execute(f'SELECT * FROM "{name}"').fetchall()  # noqa: S608 -- our own names
            ROWS[name] = len(rows)
            cells = b"\x00".join(
                cell if isinstance(cell, bytes) else str(cell).encode("utf-8", "surrogateescape")
                for row in rows
                for cell in row
            )
            search.text(f"table {name}", cells)
    return len(names)


# -- errors raised while a gateway echoes the key ------------------------------------------------------

ECHOES = [
    ("400 body", {"status_code": 400, "json": {"message": f"bad key {SECRET}"}}),
    (
        "401 body and x-request-id",
        {"status_code": 401, "json": {"detail": f"Token {SECRET}"}, "headers": {"x-request-id": SECRET}},
    ),
    ("403 errors list", {"status_code": 403, "json": {"message": "no", "errors": [f"key={SECRET}"]}}),
    ("404 text body", {"status_code": 404, "text": f"<html>Token%20{SECRET}</html>"}),
    ("409 bot id", {"status_code": 409, "json": {"message": f"taken by {SECRET}", "bot_id": SECRET}}),
    ("302 Location", {"status_code": 302, "headers": {"Location": f"https://evil.test/?k={SECRET}"}}),
    (
        "429 Retry-After and id",
        {
            "status_code": 429,
            "json": {"error": SECRET},
            "headers": {"x-request-id": f"r-{SECRET}", "Retry-After": "0"},
        },
    ),
    (
        "500 JSON-escaped",
        {"status_code": 500, "text": json.dumps({"message": f"Authorization: Token {SECRET}"})},
    ),
    ("503 percent-encoded", {"status_code": 503, "text": f"key%3D{SECRET.replace('-', '%2D')}"}),
]


@pytest.fixture
def gateway(connection: Callable[..., None], no_waits: None) -> None:
    connection(password=SECRET, extra={"max_retries": 2})


def searched_error(search: Search, name: str, error: BaseException) -> None:
    search.text(f"{name}: str", str(error))
    search.text(f"{name}: repr", repr(error))
    search.text(f"{name}: args", repr(error.args))
    search.text(f"{name}: attributes", repr(vars(error)))
    search.text(f"{name}: pickle", pickle.dumps(error))
    search.text(f"{name}: traceback", "".join(traceback.format_exception(error)))
    search.text(f"{name}: unpickled str", str(pickle.loads(pickle.dumps(error))))


@pytest.mark.parametrize(("case", "answer"), ECHOES, ids=[name for name, _ in ECHOES])
def test_errors_of_an_echoing_gateway_carry_no_key(
    gateway, figures, case: str, answer: dict[str, Any]
) -> None:
    search = Search()
    calls = {
        "schedule_event": lambda hook: hook.schedule_event("evt", deduplication_key="k", bot_config={}),
        "get_bot_status": lambda hook: hook.get_bot_status("bot"),
        "list_scheduled_bots": lambda hook: hook.list_scheduled_bots(),
    }
    for method, call in calls.items():
        with rm.Mocker() as mock:
            mock.register_uri(rm.ANY, rm.ANY, **answer)
            with MeetStreamHook() as hook, pytest.raises(MeetStreamError) as caught:
                call(hook)
        searched_error(search, f"{case}, {method}", caught.value)
    figures("places searched", len(search.places))
    figures("hits", len(search.hits))
    SCAN["places"] += len(search.places)
    SCAN["hits"] += len(search.hits)
    assert search.hits == []


def test_secret_scan_totals(figures) -> None:
    """The sums over both scans above (run last in this module)."""
    figures("places searched in all", SCAN["places"])
    figures("hits in all", SCAN["hits"])
    assert SCAN["places"] > 0
    assert SCAN["hits"] == 0
