"""Issue 11, finding 12: answers lost after acting, answers dripped, and ids holding encoded line breaks."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from meetstream_emulator.server import EmulatorServer

EVENT = "evt_demo_zoom_sync"
#: The emulator's clock in the act_then_drop tests, and a join time before the demo event's.
NOW = datetime(2027, 1, 13, 10, 0, tzinfo=timezone.utc)
EARLIER = "2027-01-13T12:00:00+00:00"


@pytest.fixture
def api(meetstream_emulator: EmulatorServer) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Token {meetstream_emulator.api_key}"
        yield session


def url(server: EmulatorServer, path: str) -> str:
    return f"{server.api_url}{path}"


def schedule(session: requests.Session, server: EmulatorServer, event_id: str = EVENT) -> dict[str, Any]:
    response = session.post(
        url(server, f"/calendar/schedule/{event_id}"),
        json={"deduplication_key": "k", "bot_config": {}},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# -- act_then_drop ---------------------------------------------------------------------------------

Request = Callable[[requests.Session, EmulatorServer, dict[str, Any]], requests.Response]
Effect = Callable[[dict[str, Any]], bool]


def _cases() -> list[tuple[str, str, Request, Effect]]:
    """(name, method, the request given a schedule's answer, what the state shows once it acted)."""
    return [
        (
            "schedule",
            "POST",
            lambda s, e, created: s.post(
                url(e, f"/calendar/schedule/{EVENT}"),
                json={"deduplication_key": "k2", "bot_config": {}},
                timeout=10,
            ),
            # Another key on the same event replaces the schedule.
            lambda state: [x["deduplication_key"] for x in state["schedules"]] == ["k2"],
        ),
        (
            "unschedule",
            "DELETE",
            lambda s, e, created: s.delete(url(e, f"/calendar/schedule/{EVENT}"), timeout=10),
            lambda state: state["schedules"] == [],
        ),
        (
            "update bot",
            "PATCH",
            lambda s, e, created: s.patch(
                url(e, f"/calendar/scheduled/{created['bot_id']}"),
                json={"scheduled_join_time": EARLIER},
                timeout=10,
            ),
            lambda state: [b["scheduled_join_time"] for b in state["bots"]] == [EARLIER],
        ),
        (
            "list",
            "GET",
            lambda s, e, created: s.get(url(e, "/calendar/scheduled"), timeout=10),
            lambda state: len(state["schedules"]) == 1,
        ),
    ]


@pytest.mark.parametrize("index", range(len(_cases())), ids=[case[0] for case in _cases()])
def test_act_then_drop_acts_then_loses_the_answer(
    meetstream_emulator: EmulatorServer, api: requests.Session, index: int
) -> None:
    name, method, send, acted = _cases()[index]
    admin = meetstream_emulator.admin
    admin.reset(now=NOW)  # the demo calendar resolved at NOW: the event is tomorrow
    created = schedule(api, meetstream_emulator)
    admin.clear_requests()
    admin.set_faults(sequence=["act_then_drop"], method=method)

    with pytest.raises(requests.ConnectionError):
        send(api, meetstream_emulator, created)

    assert acted(admin.state()), name
    (entry,) = admin.requests()
    assert (entry["method"], entry["status"], entry["acted_status"], entry["fault"]) == (
        method,
        "act_then_drop",
        200,
        "act_then_drop",
    )
    plan = admin.faults()
    assert plan is not None
    assert (plan["injected"], plan["injected_by_kind"]) == (1, {"act_then_drop": 1})
    # The connection was really aborted: the next request comes on a new one and is answered.
    assert api.get(url(meetstream_emulator, "/calendar/scheduled"), timeout=10).status_code == 200
    assert admin.connections()["api_connections"] == 2


def test_act_then_drop_keeps_the_status_it_would_have_answered(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    admin.set_faults(sequence=["act_then_drop"])
    with pytest.raises(requests.ConnectionError):
        api.delete(url(meetstream_emulator, f"/calendar/schedule/{EVENT}"), timeout=10)
    (entry,) = admin.requests()
    assert (entry["status"], entry["acted_status"]) == ("act_then_drop", 404)


def test_act_then_drop_and_drip_mix_with_statuses_under_a_seed(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    statuses: list[int | str] = [503, "drop", "act_then_drop", "drip"]

    def run() -> list[Any]:
        admin.clear_requests()
        admin.set_faults(probability=0.6, statuses=statuses, seed=11, drip_ms=20)
        for _ in range(30):
            with contextlib.suppress(requests.ConnectionError):
                api.get(url(meetstream_emulator, "/calendar/scheduled"), timeout=10)
        return [entry.get("fault") for entry in admin.requests()]

    first = run()
    assert run() == first
    assert {"503", "drop", "act_then_drop", "drip"} <= set(first)
    plan = admin.faults()
    assert plan is not None
    assert sum(plan["injected_by_kind"].values()) == plan["injected"] == sum(f is not None for f in first)


# -- drip ----------------------------------------------------------------------------------------------


def test_drip_sends_the_real_answer_a_byte_at_a_time(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    schedule(api, meetstream_emulator, EVENT)
    target = url(meetstream_emulator, "/calendar/scheduled")
    plain = api.get(target, timeout=10)
    admin.set_faults(sequence=["drip"], drip_ms=600)

    started = time.monotonic()
    arrivals: list[float] = []
    body = b""
    with api.get(target, timeout=10, stream=True) as dripped:
        headers_after = time.monotonic() - started
        for chunk in dripped.iter_content(chunk_size=1):
            arrivals.append(time.monotonic() - started)
            body += chunk
    print(
        f"\ndrip of {len(body)} bytes over 600 ms: headers after {headers_after:.3f} s, "
        f"first byte after {arrivals[0]:.3f} s, last after {arrivals[-1]:.2f} s"
    )

    assert dripped.status_code == 200
    assert body == plain.content
    assert dripped.headers["content-length"] == str(len(plain.content))
    assert "x-request-id" in dripped.headers
    assert headers_after < 0.3
    assert arrivals[0] < 0.3
    assert 0.5 < arrivals[-1] < 5
    # Spread out, not sent in one piece at the end: half the bytes are in before the last third.
    assert arrivals[len(arrivals) // 2] < arrivals[-1] - 0.15
    entry = admin.requests()[-1]
    assert (entry["status"], entry["fault"]) == (200, "drip")
    plan = admin.faults()
    assert plan is not None
    assert (plan["drip_ms"], plan["injected_by_kind"]) == (600.0, {"drip": 1})


def test_a_long_body_drips_in_drip_ms_too(meetstream_emulator: EmulatorServer, api: requests.Session) -> None:
    target = url(meetstream_emulator, "/calendar/events?limit=100")
    size = len(api.get(target, timeout=10).content)
    meetstream_emulator.admin.set_faults(sequence=["drip"], drip_ms=300)
    started = time.monotonic()
    assert len(api.get(target, timeout=10).content) == size
    took = time.monotonic() - started
    print(f"\ndrip of {size} bytes over 300 ms: {took:.2f} s")
    assert size > 3000
    assert 0.25 < took < 2


def test_drip_acts_even_when_the_client_gives_up(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    admin.set_faults(sequence=["drip"], drip_ms=5000)
    body = {"deduplication_key": "k", "bot_config": {}}
    target = url(meetstream_emulator, f"/calendar/schedule/{EVENT}")
    started = time.monotonic()
    with api.post(target, json=body, timeout=10, stream=True) as response:
        assert response.raw.read(5) == b'{"sch'
    # Closed after five bytes: the answer is lost to the client, the schedule is made.
    assert time.monotonic() - started < 3
    assert len(admin.state()["schedules"]) == 1


@pytest.mark.parametrize("body", [{"drip_ms": -1}, {"drip_ms": "fast"}, {"statuses": ["dribble"]}])
def test_bad_drip_or_outcome_is_refused(meetstream_emulator: EmulatorServer, body: dict[str, Any]) -> None:
    response = requests.post(f"{meetstream_emulator.base_url}/_emulator/faults", json=body, timeout=10)
    assert response.status_code == 400
    assert "drip" in response.json()["message"]


# -- ids with encoded line breaks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "decoded"), [("a%0Ab", "a\nb"), ("a%0Db", "a\rb"), ("a%0D%0Ab", "a\r\nb"), ("ab%0A", "ab\n")]
)
def test_an_id_with_an_encoded_line_break_reaches_the_handler(
    meetstream_emulator: EmulatorServer, api: requests.Session, encoded: str, decoded: str
) -> None:
    response = api.get(url(meetstream_emulator, f"/bots/{encoded}/status"), timeout=10)
    # The emulator's own 404 for an unknown bot, not the router's bare "Not found.".
    assert response.status_code == 404
    assert response.json() == {"message": f"Bot {decoded!r} not found."}
    assert "x-request-id" in response.headers
    assert [entry["path"] for entry in meetstream_emulator.admin.requests()] == [
        f"/api/v1/bots/{encoded}/status"
    ]


def test_an_event_id_with_a_line_break_is_scheduled_and_unscheduled(
    meetstream_emulator: EmulatorServer, api: requests.Session
) -> None:
    admin = meetstream_emulator.admin
    now = admin.now()
    start = now.replace(microsecond=0) + timedelta(days=1)
    end = start + timedelta(hours=1)
    admin.load_events(
        [
            {
                "id": "evt\nline",
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "meeting_url": "https://zoom.us/j/1",
            }
        ],
        replace=False,
    )
    created = schedule(api, meetstream_emulator, "evt%0Aline")
    assert created["event_id"] == "evt\nline"
    assert [s["event_id"] for s in admin.state()["schedules"]] == ["evt\nline"]
    gone = api.delete(url(meetstream_emulator, "/calendar/schedule/evt%0Aline"), timeout=10)
    assert gone.status_code == 200, gone.text
    assert admin.state()["schedules"] == []
