"""Many concurrent schedule requests: nothing lost, nothing duplicated, repeats land on the same ids."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=timezone.utc)
EVENTS = 5
KEYS = 50
REPEATS = 4
FIRST_START = NOW + timedelta(days=1, hours=-2)  # 2027-01-05T10:00Z


def daily_series(index: int) -> dict[str, Any]:
    start = FIRST_START + timedelta(minutes=index)
    return {
        "id": f"evt_daily_{index}",
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=30)).isoformat(),
        "meeting_url": "https://zoom.us/j/42",
        "raw": {"start": {"timeZone": "UTC"}, "recurrence": ["RRULE:FREQ=DAILY"]},
    }


def plan() -> list[tuple[str, str, str]]:
    """(key, event_id, occurrence_date) for 50 keys x 4 repeats, shuffled; each key owns one slot."""
    requests_to_send = []
    for key_index in range(KEYS):
        event_index, day = divmod(key_index, KEYS // EVENTS)
        occurrence = FIRST_START + timedelta(minutes=event_index, days=day)
        for _ in range(REPEATS):
            requests_to_send.append(
                (f"key-{key_index:02d}", f"evt_daily_{event_index}", occurrence.isoformat())
            )
    random.Random(7).shuffle(requests_to_send)
    return requests_to_send


def fire(server: EmulatorServer, work: list[tuple[str, str, str]]) -> list[tuple[str, requests.Response]]:
    local = threading.local()
    start = threading.Barrier(32)

    def send(item: tuple[str, str, str]) -> tuple[str, requests.Response]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Token {server.api_key}"
            start.wait(timeout=30)  # every worker has its connection ready: the POSTs really overlap
        key, event_id, occurrence = item
        body = {"deduplication_key": key, "bot_config": {"bot_name": key}, "occurrence_date": occurrence}
        return key, local.session.post(
            f"{server.api_url}/calendar/schedule/{event_id}", json=body, timeout=30
        )

    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(send, work))


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    meetstream_emulator.admin.set_clock(NOW)
    meetstream_emulator.admin.load_events([daily_series(index) for index in range(EVENTS)])
    return meetstream_emulator


def test_200_concurrent_schedules_update_in_place(emulator: EmulatorServer) -> None:
    results = fire(emulator, plan())
    assert len(results) == KEYS * REPEATS
    assert Counter(response.status_code for _, response in results) == {200: KEYS * REPEATS}

    ids: dict[str, set[tuple[str, str]]] = defaultdict(set)
    created = Counter()
    for key, response in results:
        body = response.json()
        ids[key].add((body["bot_id"], body["schedule_id"]))
        created[body["updated_existing"]] += 1
    assert len(ids) == KEYS
    assert all(len(pairs) == 1 for pairs in ids.values())
    assert len({pair for pairs in ids.values() for pair in pairs}) == KEYS
    assert created == {False: KEYS, True: KEYS * (REPEATS - 1)}

    assert len(emulator.admin.requests()) == KEYS * REPEATS
    dump = emulator.admin.state()
    assert len(dump["schedules"]) == KEYS
    assert len(dump["bots"]) == KEYS
    assert {row["status"] for row in dump["bots"]} == {"Scheduled"}
    assert {(row["deduplication_key"], row["bot_id"], row["schedule_id"]) for row in dump["schedules"]} == {
        (key, *pair) for key, pairs in ids.items() for pair in pairs
    }
    listing = requests.get(
        f"{emulator.api_url}/calendar/scheduled",
        headers={"Authorization": f"Token {emulator.api_key}"},
        timeout=10,
    ).json()["scheduled_bots"]
    assert len(listing) == KEYS


def test_200_concurrent_schedules_in_conflict_mode_409(emulator: EmulatorServer) -> None:
    emulator.admin.set_config(conflict_mode="409")
    results = fire(emulator, plan())
    assert Counter(response.status_code for _, response in results) == {200: KEYS, 409: KEYS * (REPEATS - 1)}
    winners = {key: response.json()["bot_id"] for key, response in results if response.status_code == 200}
    assert len(winners) == KEYS
    for key, response in results:
        if response.status_code == 409:
            assert response.json()["bot_id"] == winners[key]
    assert len(emulator.admin.state()["schedules"]) == KEYS
