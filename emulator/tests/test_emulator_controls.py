"""The emulator's /_emulator controls, its fault injection over real sockets, and its server runner."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from meetstream_emulator.admin import EmulatorAdminError
from meetstream_emulator.bots import BOT_SETTINGS
from meetstream_emulator.calendar import demo_calendar_template
from meetstream_emulator.pytest_plugin import DEFAULT_FROZEN_NOW, FrozenNow
from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=timezone.utc)
DEMO_IDS = {event["id"] for event in demo_calendar_template()["events"]}


@pytest.fixture
def api(meetstream_emulator: EmulatorServer) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Token {meetstream_emulator.api_key}"
        yield session


def url(server: EmulatorServer, path: str) -> str:
    return f"{server.api_url}{path}"


def schedule(session: requests.Session, server: EmulatorServer, event_id: str = "evt_demo_zoom_sync") -> Any:
    response = session.post(
        url(server, f"/calendar/schedule/{event_id}"),
        json={"deduplication_key": "k", "bot_config": {}},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_reset_restores_everything(meetstream_emulator: EmulatorServer, api: requests.Session) -> None:
    admin = meetstream_emulator.admin
    schedule(api, meetstream_emulator)
    admin.set_config(conflict_mode="409", join_lead_minutes=9)
    admin.set_faults(sequence=["ok"], latency_ms=1)
    admin.set_clock(NOW)
    admin.load_events(
        [{"id": "only", "start_time": "2027-01-05T10:00:00Z", "end_time": "2027-01-05T11:00:00Z"}]
    )

    result = admin.reset()
    assert result["reset"] is True
    assert result["events"] == len(DEMO_IDS)
    assert admin.state()["schedules"] == []
    assert admin.state()["bots"] == []
    assert admin.requests() == []
    assert admin.faults() is None
    assert admin.config() == {"conflict_mode": "update", "join_lead_minutes": 3, **BOT_SETTINGS}
    assert admin.clock()["frozen"] is False
    before = datetime.now(timezone.utc)
    emulator_now = admin.now()
    assert before <= emulator_now <= datetime.now(timezone.utc)
    assert {item["id"] for item in admin.events()} == DEMO_IDS


def test_a_request_waiting_across_a_reset_does_not_act_on_the_new_state(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    # A test's last request, held by injected latency, must not land in the next test's state.
    from concurrent.futures import ThreadPoolExecutor

    admin = meetstream_emulator.admin
    admin.set_faults(latency_ms=600, method="POST")
    with ThreadPoolExecutor(1) as pool:
        late = pool.submit(
            api.post,
            url(meetstream_emulator, "/calendar/schedule/evt_demo_zoom_sync"),
            json={"deduplication_key": "previous-test", "bot_config": {}},
            timeout=10,
        )
        deadline = time.monotonic() + 5
        while not admin.requests():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        admin.reset()
        answer = late.result()
    assert answer.status_code == 503
    assert "reset" in answer.json()["message"]
    assert admin.state()["schedules"] == []
    assert admin.requests() == []


def by_id(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {event["id"]: event for event in events}


def test_reset_at_an_instant_freezes_the_clock_and_resolves_the_calendar_there(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    schedule(api, meetstream_emulator)
    wednesday = datetime(2027, 1, 13, 10, 0, tzinfo=timezone.utc)
    result = admin.reset(now=wednesday)
    assert result == {"reset": True, "now": "2027-01-13T10:00:00+00:00", "events": len(DEMO_IDS)}
    assert admin.clock()["frozen"] is True
    assert admin.now() == wednesday
    assert admin.state()["schedules"] == []
    events = by_id(admin.events())
    # "{{today +1d 15:00 UTC}}" and "{{today -14d >=MO 09:00 America/New_York}}" read at that instant.
    assert events["evt_demo_zoom_sync"]["start_time"] == "2027-01-14T15:00:00+00:00"
    assert events["evt_demo_standup_weekly"]["start_time"] == "2027-01-04T14:00:00+00:00"
    # The same instant gives the same calendar, field for field; another instant another one.
    admin.reset(now="2027-01-13T11:00:00+01:00")
    assert by_id(admin.events()) == events
    admin.reset(now=wednesday + timedelta(days=1))
    assert by_id(admin.events())["evt_demo_zoom_sync"]["start_time"] == "2027-01-15T15:00:00+00:00"
    # Without an instant the clock runs in real time again.
    admin.reset()
    assert admin.clock()["frozen"] is False
    before = datetime.now(timezone.utc)
    assert before <= admin.now() <= datetime.now(timezone.utc)


def test_reset_refuses_a_bad_instant(meetstream_emulator: EmulatorServer) -> None:
    admin = meetstream_emulator.admin
    with pytest.raises(ValueError, match="'now'"):
        admin.reset(now=datetime(2027, 1, 13, 10, 0))
    for bad in ({"now": "noon"}, {"now": "2027-01-13T10:00:00"}, {"when": "2027-01-13T10:00:00Z"}):
        response = requests.post(f"{meetstream_emulator.base_url}/_emulator/reset", json=bad, timeout=10)
        assert response.status_code == 400, bad
        assert "message" in response.json()
    with pytest.raises(EmulatorAdminError) as caught:
        admin.reset(now="2027-13-01T10:00:00Z")
    assert caught.value.status_code == 400
    # Nothing was reset at a wrong instant: the clock still runs.
    assert admin.clock()["frozen"] is False


def test_load_events_replace_add_and_relative_dates(meetstream_emulator: EmulatorServer) -> None:
    admin = meetstream_emulator.admin
    admin.set_clock(NOW)
    first = {
        "id": "rel",
        "start_time": "{{today +1d 10:00 UTC}}",
        "end_time": "{{now +1d +90min}}",
        "raw": {
            "recurrence": [
                "RRULE:FREQ=WEEKLY;UNTIL={{today +28d | icaldate}}",
                "EXDATE;TZID=America/New_York:{{today +7d >=FR 09:30 America/New_York | ical}}",
            ]
        },
    }
    assert admin.load_events([first]) == {"loaded": 1, "total": 1, "replace": True}
    [loaded] = admin.events()
    assert (loaded["start_time"], loaded["end_time"]) == (
        "2027-01-05T10:00:00+00:00",
        "2027-01-05T13:30:00+00:00",
    )
    assert loaded["raw"]["recurrence"] == [
        "RRULE:FREQ=WEEKLY;UNTIL=20270201",
        "EXDATE;TZID=America/New_York:20270115T093000",
    ]

    month = {
        "id": "month",
        "start_time": "{{today month-start <=SU 08:00 UTC}}",
        "end_time": "{{today 23:59}}",
    }
    changed = {**first, "start_time": "2027-01-05T09:00:00Z", "end_time": "2027-01-05T09:30:00Z"}
    assert admin.load_events([month, changed], replace=False)["total"] == 2
    by_id = {item["id"]: item for item in admin.events()}
    assert by_id["month"]["start_time"] == "2026-12-27T08:00:00+00:00"
    assert by_id["rel"]["start_time"] == "2027-01-05T09:00:00+00:00"


@pytest.mark.parametrize(
    ("events", "message_part"),
    [
        ([{"start_time": "2027-01-05T10:00:00Z", "end_time": "2027-01-05T11:00:00Z"}], "'id'"),
        ([{"id": "x", "start_time": "2027-01-05T10:00:00Z", "end_time": "2027-01-05T09:00:00Z"}], "after"),
        ([{"id": "x", "start_time": "{{today +1q}}", "end_time": "2027-01-05T11:00:00Z"}], "Unknown word"),
        (
            [{"id": "x", "start_time": "{{today Mars/Olympus}}", "end_time": "2027-01-05T11:00:00Z"}],
            "time zone",
        ),
        (
            [{"id": "x", "start_time": "2027-01-05T10:00:00", "end_time": "2027-01-05T11:00:00Z"}],
            "UTC offset",
        ),
        (
            [
                {"id": "x", "start_time": "2027-01-05T10:00:00Z", "end_time": "2027-01-05T11:00:00Z"},
                {"id": "x", "start_time": "2027-01-05T10:00:00Z", "end_time": "2027-01-05T11:00:00Z"},
            ],
            "Duplicate",
        ),
    ],
)
def test_bad_events_are_refused_with_a_message(
    meetstream_emulator: EmulatorServer, events: list[dict[str, Any]], message_part: str
) -> None:
    with pytest.raises(EmulatorAdminError) as caught:
        meetstream_emulator.admin.load_events(events)
    assert caught.value.status_code == 400
    assert message_part in caught.value.message
    assert len(meetstream_emulator.admin.events()) == len(DEMO_IDS)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=XX"]}, "BYDAY value 'XX'"),
        ({"recurrence": ["RRULE:FREQ=WEEKLY;SOMEDAY=1"]}, "is not a valid RRULE"),
        ({"start": {"timeZone": "Mars/Olympus"}, "recurrence": ["RRULE:FREQ=WEEKLY"]}, "Mars/Olympus"),
        (
            {
                "recurrence": {
                    "pattern": {"type": "fortnightly"},
                    "range": {"type": "noEnd", "startDate": "2027-01-05"},
                }
            },
            "pattern.type",
        ),
        # A COUNT beyond what one expansion may walk.
        ({"recurrence": ["RRULE:FREQ=DAILY;COUNT=10001"]}, "COUNT at most 10000"),
    ],
)
def test_a_recurrence_that_cannot_be_expanded_is_refused_at_load(
    meetstream_emulator: EmulatorServer, raw: dict[str, Any], reason: str
) -> None:
    good = {"id": "evt_fine", "start_time": "2027-01-05T10:00:00Z", "end_time": "2027-01-05T11:00:00Z"}
    bad = {"id": "evt_bad_rule", "start_time": "2027-01-05T10:00:00Z", "end_time": "2027-01-05T11:00:00Z"}
    with pytest.raises(EmulatorAdminError) as caught:
        meetstream_emulator.admin.load_events([good, {**bad, "raw": raw}], replace=False)
    assert caught.value.status_code == 400
    assert "The recurrence of event 'evt_bad_rule' cannot be expanded" in caught.value.message
    assert reason in caught.value.message
    assert {item["id"] for item in meetstream_emulator.admin.events()} == DEMO_IDS


def test_an_endless_hourly_series_loads_and_expands_in_a_far_window(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    # The series engine starts an endless rule near the window instead of walking to it from its
    # start, so an hourly rule begun in 2027 is as cheap to schedule in the year 9000.
    hourly = {
        "id": "evt_hourly",
        "start_time": "2027-01-05T10:00:00Z",
        "end_time": "2027-01-05T10:30:00Z",
        "raw": {"start": {"timeZone": "Europe/Berlin"}, "recurrence": ["RRULE:FREQ=HOURLY"]},
    }
    meetstream_emulator.admin.load_events([hourly], replace=False)
    meetstream_emulator.admin.set_clock("9000-03-05T07:40:00Z")
    response = api.post(
        url(meetstream_emulator, "/calendar/schedule/evt_hourly"),
        json={
            "deduplication_key": "k",
            "bot_config": {},
            "schedule_all_occurrences": True,
            "occurrence_limit": 3,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    # The 07:00 occurrence ended at 07:30, before the clock; the next three start on the hour.
    assert [item["occurrence_date"] for item in response.json()["schedules_created"]] == [
        "9000-03-05T08:00:00+00:00",
        "9000-03-05T09:00:00+00:00",
        "9000-03-05T10:00:00+00:00",
    ]


def test_a_calendar_argument_with_a_bad_recurrence_is_refused() -> None:
    bad = {
        "id": "evt_bad_zone",
        "start_time": "2027-01-05T10:00:00Z",
        "end_time": "2027-01-05T11:00:00Z",
        "raw": {"start": {"timeZone": "Nowhere/Land"}, "recurrence": ["RRULE:FREQ=DAILY"]},
    }
    with pytest.raises(ValueError, match="'evt_bad_zone' cannot be expanded"):
        EmulatorServer(calendar=[bad])


def test_request_log(meetstream_emulator: EmulatorServer, api: requests.Session) -> None:
    admin = meetstream_emulator.admin
    created = schedule(api, meetstream_emulator)
    api.get(url(meetstream_emulator, "/calendar/scheduled?limit=5"), timeout=10)
    api.patch(
        url(meetstream_emulator, f"/calendar/scheduled/{created['bot_id']}"), data=b"not json", timeout=10
    )
    post, listing, patch = admin.requests()
    assert post["method"] == "POST"
    assert post["path"] == "/api/v1/calendar/schedule/evt_demo_zoom_sync"
    assert post["query"] == ""
    assert post["body"] == {"deduplication_key": "k", "bot_config": {}}
    assert post["headers"]["authorization"] == "Token ***"
    assert post["status"] == 200
    assert post["request_id"].startswith("req_")
    assert meetstream_emulator.api_key not in json.dumps(admin.requests())
    assert (listing["method"], listing["query"], listing["body"]) == ("GET", "limit=5", None)
    assert (patch["body"], patch["status"]) == ("not json", 400)
    assert [entry["seq"] for entry in (post, listing, patch)] == sorted(
        {post["seq"], listing["seq"], patch["seq"]}
    )
    assert admin.clear_requests() == 3
    assert admin.requests() == []


def test_request_log_truncates_large_bodies(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    name = "é" * 2_500_000  # 5 MB of two-byte characters
    big = json.dumps(
        {"deduplication_key": "k", "bot_config": {"bot_name": name}}, ensure_ascii=False
    ).encode()
    response = api.post(
        url(meetstream_emulator, "/calendar/schedule/evt_demo_zoom_sync"), data=big, timeout=30
    )
    assert response.status_code == 200
    [entry] = meetstream_emulator.admin.requests()
    assert isinstance(entry["body"], str)
    assert entry["body"].startswith('{"deduplication_key": "k", "bot_config": {"bot_name": "')
    assert entry["body"].endswith(f"[truncated: {len(big)} bytes]")
    assert len(entry["body"].encode()) < 10_300


def test_request_log_masks_every_credential(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    other_key = meetstream_emulator.api_keys[1]
    api.headers.update(
        {
            "Proxy-Authorization": "Basic dXNlcjpwYXNzd29yZA==",
            "Cookie": "sessionid=abc123; csrftoken=def",
            "X-Api-Key": "some-other-secret",
            "X-Debug": f"key={meetstream_emulator.api_key};other={other_key}",
            "X-Plain": "nothing secret",
        }
    )
    assert api.get(url(meetstream_emulator, "/calendar/scheduled"), timeout=10).status_code == 200
    [entry] = meetstream_emulator.admin.requests()
    headers = entry["headers"]
    assert headers["authorization"] == "Token ***"
    assert headers["proxy-authorization"] == "Basic ***"
    assert headers["cookie"] == "***"
    assert headers["x-api-key"] == "***"
    assert headers["x-debug"] == "key=***;other=***"
    assert headers["x-plain"] == "nothing secret"
    logged = json.dumps(entry)
    for secret in (
        meetstream_emulator.api_key,
        other_key,
        "dXNlcjpwYXNzd29yZA",
        "abc123",
        "some-other-secret",
    ):
        assert secret not in logged


def test_unknown_paths_outside_the_api_answer_like_the_api(meetstream_emulator: EmulatorServer) -> None:
    for path in ("/nothing", "/api/v1", "/api/v1/", "/api", "/_emulator/state/"):
        response = requests.get(f"{meetstream_emulator.base_url}{path}", timeout=10, allow_redirects=False)
        assert response.status_code == 404, path
        assert response.json() == {"message": "Not found."}, path
        assert response.headers["x-request-id"].startswith("req_")
    wrong = requests.delete(f"{meetstream_emulator.base_url}/_emulator/state", timeout=10)
    assert wrong.status_code == 405
    assert set(wrong.json()) == {"message"}


DOCS = Path(__file__).resolve().parents[1] / "README.md"


def test_the_docs_examples_count_the_demo_calendar() -> None:
    text = DOCS.read_text(encoding="utf-8")
    resets = re.findall(r'\{"reset":true,"now":"[^"]+","events":(\d+)\}', text)
    [total] = re.findall(r'\{"loaded":1,"total":(\d+),"replace":false\}', text)
    assert len(resets) == 2  # the plain reset and the reset at an instant
    assert ({int(reset) for reset in resets}, int(total)) == ({len(DEMO_IDS)}, len(DEMO_IDS) + 1)
    section = text.split("### The demo calendar", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `(evt_[a-z_]+)` \|", section, flags=re.MULTILINE)) == DEMO_IDS


def test_clock_controls(meetstream_emulator: EmulatorServer) -> None:
    admin = meetstream_emulator.admin
    assert set(admin.clock()) == {"now", "frozen", "offset_seconds"}
    frozen = admin.set_clock(NOW)
    assert (frozen["now"], frozen["frozen"]) == ("2027-01-04T12:00:00+00:00", True)
    time.sleep(0.05)
    assert admin.now() == NOW
    with pytest.raises(ValueError, match="'when'"):
        admin.set_clock(datetime(2027, 1, 5, 12, 0))
    assert admin.now() == NOW
    assert admin.advance_clock(90)["now"] == "2027-01-04T12:01:30+00:00"
    running = admin.run_clock()
    assert running["frozen"] is False
    time.sleep(0.05)
    assert admin.now() > datetime(2027, 1, 4, 12, 1, 30, tzinfo=timezone.utc)
    before = admin.now()
    admin.advance_clock(3600)
    assert (admin.now() - before).total_seconds() >= 3600
    for bad in ({"now": "noon"}, {"now": "2027-01-04T12:00:00"}, {}):
        response = requests.post(f"{meetstream_emulator.base_url}/_emulator/clock/set", json=bad, timeout=10)
        assert response.status_code == 400
        assert "message" in response.json()
    response = requests.post(
        f"{meetstream_emulator.base_url}/_emulator/clock/advance", json={"seconds": "x"}, timeout=10
    )
    assert response.status_code == 400


def test_config_controls(meetstream_emulator: EmulatorServer) -> None:
    admin = meetstream_emulator.admin
    assert admin.set_config(conflict_mode=409) == {
        "conflict_mode": "409",
        "join_lead_minutes": 3,
        **BOT_SETTINGS,
    }
    assert admin.set_config(join_lead_minutes=0) == {
        "conflict_mode": "409",
        "join_lead_minutes": 0,
        **BOT_SETTINGS,
    }
    for body in (
        {"conflict_mode": "ignore"},
        {"join_lead_minutes": -1},
        {"join_lead_minutes": "5"},
        {"x": 1},
    ):
        response = requests.post(f"{meetstream_emulator.base_url}/_emulator/config", json=body, timeout=10)
        assert response.status_code == 400
        assert response.json()["message"]
    assert admin.config() == {"conflict_mode": "409", "join_lead_minutes": 0, **BOT_SETTINGS}


def test_state_dump(meetstream_emulator: EmulatorServer, api: requests.Session) -> None:
    created = schedule(api, meetstream_emulator)
    dump = meetstream_emulator.admin.state()
    [row] = dump["schedules"]
    assert row == {
        "schedule_id": created["schedule_id"],
        "tenant": row["tenant"],
        "event_id": "evt_demo_zoom_sync",
        "occurrence_date": None,
        "bot_id": created["bot_id"],
        "scheduled_time": created["scheduled_time"],
        "schedule_group": "zoom",
        "deduplication_key": "k",
        "status": "Scheduled",
        "recurring_event": False,
    }
    assert row["tenant"].startswith("tenant_")
    assert meetstream_emulator.api_key not in json.dumps(dump)
    assert [bot["bot_id"] for bot in dump["bots"]] == [created["bot_id"]]


# -- faults ------------------------------------------------------------------------------------------


def test_fault_sequence(meetstream_emulator: EmulatorServer, api: requests.Session) -> None:
    admin = meetstream_emulator.admin
    admin.set_faults(sequence=[503, 429, "drop", "ok"], retry_after=7)
    target = url(meetstream_emulator, "/calendar/scheduled")

    unavailable = api.get(target, timeout=10)
    assert unavailable.status_code == 503
    assert unavailable.json() == {"message": "Injected fault: 503."}
    assert "x-request-id" in unavailable.headers
    assert "Retry-After" not in unavailable.headers

    limited = api.get(target, timeout=10)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"

    with pytest.raises(requests.ConnectionError):
        api.get(target, timeout=10)

    assert api.get(target, timeout=10).status_code == 200
    assert api.get(target, timeout=10).status_code == 200
    plan = admin.faults()
    assert plan is not None
    assert (plan["sequence"], plan["matched"], plan["injected"]) == ([], 5, 3)
    assert [entry["status"] for entry in admin.requests()] == [503, 429, "drop", 200, 200]


def test_retry_after_may_be_an_http_date(meetstream_emulator: EmulatorServer, api: requests.Session) -> None:
    meetstream_emulator.admin.set_faults(sequence=[429], retry_after="Wed, 21 Oct 2026 07:28:00 GMT")
    response = api.get(url(meetstream_emulator, "/calendar/scheduled"), timeout=10)
    assert response.headers["Retry-After"] == "Wed, 21 Oct 2026 07:28:00 GMT"


def outcomes(server: EmulatorServer, session: requests.Session, count: int) -> list[int | str]:
    seen: list[int | str] = []
    for _ in range(count):
        try:
            seen.append(session.get(url(server, "/calendar/scheduled"), timeout=10).status_code)
        except requests.ConnectionError:
            seen.append("drop")
    return seen


def test_probabilistic_faults_are_reproducible_under_a_seed(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    admin.set_faults(probability=0.5, statuses=[500, 502, 503, "drop"], seed=42)
    first = outcomes(meetstream_emulator, api, 30)
    admin.set_faults(probability=0.5, statuses=[500, 502, 503, "drop"], seed=42)
    assert outcomes(meetstream_emulator, api, 30) == first
    admin.set_faults(probability=0.5, statuses=[500, 502, 503, "drop"], seed=43)
    assert outcomes(meetstream_emulator, api, 30) != first
    assert 200 in first
    assert set(first) - {200} <= {500, 502, 503, "drop"}
    assert len(set(first) - {200}) >= 3


def test_latency(meetstream_emulator: EmulatorServer, api: requests.Session) -> None:
    admin = meetstream_emulator.admin
    target = url(meetstream_emulator, "/calendar/scheduled")
    admin.set_faults(latency_ms=300, method="GET")
    assert api.get(target, timeout=10).status_code == 200
    assert api.post(target, timeout=10).status_code == 405
    plan = admin.faults()
    assert plan is not None
    assert (plan["latency_ms"], plan["matched"], plan["injected"]) == (300.0, 1, 0)
    admin.clear_faults()
    assert api.get(target, timeout=10).status_code == 200
    assert [(entry["method"], entry["latency_ms"]) for entry in admin.requests()] == [
        ("GET", 300.0),
        ("POST", 0.0),
        ("GET", 0.0),
    ]


def test_fault_filter_by_method_and_path_prefix(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    admin.set_faults(sequence=[503, 503], method="post", path_prefix="/api/v1/calendar/schedule/")
    assert api.get(url(meetstream_emulator, "/calendar/schedule"), timeout=10).status_code == 200
    assert (
        api.delete(url(meetstream_emulator, "/calendar/schedule/evt_demo_zoom_sync"), timeout=10).status_code
        == 404
    )
    body = {"deduplication_key": "k", "bot_config": {}}
    failed = api.post(
        url(meetstream_emulator, "/calendar/schedule/evt_demo_zoom_sync"), json=body, timeout=10
    )
    assert failed.status_code == 503
    plan = admin.faults()
    assert plan is not None
    assert (plan["sequence"], plan["method"], plan["matched"]) == ([503], "POST", 1)


def test_controls_are_never_faulted_or_logged(meetstream_emulator: EmulatorServer) -> None:
    admin = meetstream_emulator.admin
    admin.set_faults(sequence=[503, "drop", 503], latency_ms=0)
    assert admin.state()["schedules"] == []
    assert admin.clock()["frozen"] is False
    assert admin.requests() == []
    plan = admin.faults()
    assert plan is not None
    assert plan["sequence"] == [503, "drop", 503]


@pytest.mark.parametrize(
    "body",
    [
        {"sequence": [200]},
        {"sequence": ["boom"]},
        {"probability": 2},
        {"statuses": ["ok"]},
        {"latency_ms": -5},
        {"seed": "x"},
        {"surprise": True},
        {"retry_after": -1},
        {"retry_after": 1.5},
        {"retry_after": True},
        {"retry_after": "soon"},
        {"retry_after": "-1"},
        {"retry_after": ""},
    ],
)
def test_bad_fault_plans_are_refused(meetstream_emulator: EmulatorServer, body: dict[str, Any]) -> None:
    response = requests.post(f"{meetstream_emulator.base_url}/_emulator/faults", json=body, timeout=10)
    assert response.status_code == 400
    assert response.json()["message"]


def test_a_dropped_connection_is_replaced_by_the_next_request(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    target = url(meetstream_emulator, "/calendar/scheduled")
    assert api.get(target, timeout=10).status_code == 200
    meetstream_emulator.admin.set_faults(sequence=["drop"])
    with pytest.raises(requests.ConnectionError):
        api.get(target, timeout=10)
    assert api.get(target, timeout=10).status_code == 200
    assert meetstream_emulator.admin.connections()["api_connections"] == 2


def test_a_drop_ignores_a_spoofed_x_forwarded_for(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    api.headers["X-Forwarded-For"] = "10.1.2.3"
    admin.set_faults(sequence=["drop"])
    with pytest.raises(requests.ConnectionError):
        api.get(url(meetstream_emulator, "/calendar/scheduled"), timeout=10)
    assert [entry["status"] for entry in admin.requests()] == ["drop"]
    assert admin.connections()["api_connections"] == 1


# -- connections ---------------------------------------------------------------------------------------


def test_keep_alive_uses_one_connection(meetstream_emulator: EmulatorServer, api: requests.Session) -> None:
    target = url(meetstream_emulator, "/calendar/scheduled")
    for _ in range(20):
        assert api.get(target, timeout=10).status_code == 200
    counts = meetstream_emulator.admin.connections()
    assert counts["api_connections"] == 1
    assert counts["tracking"] is True
    for _ in range(3):
        response = requests.get(
            target, headers={"Authorization": f"Token {meetstream_emulator.api_key}"}, timeout=10
        )
        assert response.status_code == 200
    counts = meetstream_emulator.admin.connections()
    assert counts["api_connections"] == 4
    assert counts["accepted"] >= 4


# -- the server runner and switches ---------------------------------------------------------------------


def test_no_controls() -> None:
    with EmulatorServer(enable_controls=False, calendar=None, api_keys=["solo"]) as server:
        for method, path in (("POST", "/reset"), ("GET", "/state"), ("POST", "/faults"), ("GET", "/clock")):
            response = requests.request(method, f"{server.base_url}/_emulator{path}", timeout=10)
            assert response.status_code == 404
            assert set(response.json()) == {"message"}
        listing = requests.get(
            f"{server.api_url}/calendar/events", headers={"Authorization": "Token solo"}, timeout=10
        )
        assert listing.status_code == 200
        assert listing.json()["results"] == []


def test_server_starts_and_stops_cleanly() -> None:
    server = EmulatorServer(calendar=None, conflict_mode="409", join_lead_minutes=5).start()
    try:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert server.api_url == f"{server.base_url}/api/v1"
        assert server.admin.config() == {"conflict_mode": "409", "join_lead_minutes": 5, **BOT_SETTINGS}
        assert json.loads(server.airflow_conn_json()) == {
            "conn_type": "meetstream",
            "host": server.api_url,
            "password": "emulator-key",
        }
        port = server.port
    finally:
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/api/v1/calendar/events", timeout=2)
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_create_app_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="conflict_mode"):
        EmulatorServer(conflict_mode="ignore")
    with pytest.raises(ValueError, match="API key"):
        EmulatorServer(api_keys=[])


def test_conn_env_fixture(meetstream_conn_env: EmulatorServer) -> None:
    conn = json.loads(os.environ["AIRFLOW_CONN_MEETSTREAM_DEFAULT"])
    assert conn["host"] == meetstream_conn_env.api_url
    assert conn["password"] == meetstream_conn_env.api_key


def test_frozen_now_fixture_agrees_with_the_emulator(meetstream_frozen_now: FrozenNow) -> None:
    frozen = meetstream_frozen_now
    assert frozen.now == DEFAULT_FROZEN_NOW
    assert frozen.now.weekday() == 2  # a Wednesday
    admin = frozen.emulator.admin
    assert admin.now() == frozen.now
    assert admin.clock()["frozen"] is True
    assert by_id(admin.events())["evt_demo_zoom_sync"]["start_time"] == "2027-01-14T15:00:00+00:00"
    # The test's own clock travelled there too, and ticks on from there.
    assert frozen.now <= datetime.now(timezone.utc) < frozen.now + timedelta(days=1)
    assert frozen.now.timestamp() <= time.time()
    conn = json.loads(os.environ["AIRFLOW_CONN_MEETSTREAM_DEFAULT"])
    assert conn["host"] == frozen.emulator.api_url


@pytest.mark.meetstream_now("2027-03-13T20:00:00Z", tick=False)
def test_frozen_now_marker_sets_the_instant_and_can_stop_the_clock(meetstream_frozen_now: FrozenNow) -> None:
    eve = datetime(2027, 3, 13, 20, 0, tzinfo=timezone.utc)
    assert meetstream_frozen_now.now == eve
    assert meetstream_frozen_now.emulator.admin.now() == eve
    time.sleep(0.01)
    assert datetime.now(timezone.utc) == eve
    assert time.time() == eve.timestamp()
    # reset() puts the emulator back at the same instant, with the same calendar.
    events = meetstream_frozen_now.emulator.admin.events()
    meetstream_frozen_now.emulator.admin.advance_clock(3600)
    meetstream_frozen_now.reset()
    assert meetstream_frozen_now.emulator.admin.now() == eve
    assert meetstream_frozen_now.emulator.admin.events() == events
