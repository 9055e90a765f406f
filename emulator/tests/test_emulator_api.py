"""The emulator's /api/v1 over real sockets: auth, tenants, scheduling rules, lists, bots, events."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=timezone.utc)
ENDED_MESSAGE = "Cannot schedule bot as calendar event has ended."


def event(event_id: str, start: str, end: str, url: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": event_id, "start_time": start, "end_time": end, "meeting_url": url, **extra}


CALENDAR = [
    event("evt_zoom", "2027-01-05T15:00:00Z", "2027-01-05T15:45:00Z", "https://us02web.zoom.us/j/123"),
    event("evt_meet", "2027-01-06T10:00:00Z", "2027-01-06T10:30:00Z", "https://meet.google.com/abc-defg-hij"),
    event(
        "evt_teams", "2027-01-07T09:00:00Z", "2027-01-07T10:00:00Z", "https://teams.microsoft.com/l/meetup/1"
    ),
    event("evt_teams_live", "2027-01-07T11:00:00Z", "2027-01-07T12:00:00Z", "https://teams.live.com/meet/99"),
    event("evt_webex", "2027-01-08T09:00:00Z", "2027-01-08T10:00:00Z", "https://acme.webex.com/meet/x"),
    event("evt_nourl", "2027-01-08T11:00:00Z", "2027-01-08T12:00:00Z"),
    event("evt_ended", "2027-01-03T09:00:00Z", "2027-01-03T10:00:00Z", "https://meet.google.com/old"),
    event(
        "evt_deleted", "2027-01-09T09:00:00Z", "2027-01-09T10:00:00Z", "https://zoom.us/j/9", is_deleted=True
    ),
    event("evt_now", "2027-01-04T11:30:00Z", "2027-01-04T12:30:00Z", "https://zoom.us/j/now"),
]


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    meetstream_emulator.admin.set_clock(NOW)
    meetstream_emulator.admin.load_events(CALENDAR)
    return meetstream_emulator


def client(server: EmulatorServer, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Token {key}"} if key else {}
    return httpx.Client(base_url=server.api_url, headers=headers, timeout=10)


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with client(emulator, emulator.api_keys[0]) as http:
        yield http


@pytest.fixture
def other(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with client(emulator, emulator.api_keys[1]) as http:
        yield http


def schedule(http: httpx.Client, event_id: str, key: str = "k1", **body: Any) -> httpx.Response:
    body.setdefault("bot_config", {})
    return http.post(
        f"/calendar/schedule/{quote(event_id, safe='')}", json={"deduplication_key": key, **body}
    )


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def scheduled(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    bots: list[dict[str, Any]] = ok(http.get("/calendar/scheduled", params=params))["scheduled_bots"]
    return bots


def status_of(http: httpx.Client, bot_id: str) -> str:
    status: str = ok(http.get(f"/bots/{quote(bot_id, safe='')}/status"))["status"]
    return status


# -- transport: auth, errors, request ids ----------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer emulator-key"}, 401),
        ({"Authorization": "Token"}, 401),
        ({"Authorization": "Token not-a-key"}, 403),
    ],
)
def test_auth_is_checked_with_message_and_request_id(
    emulator: EmulatorServer, headers: dict[str, str], status: int
) -> None:
    response = httpx.get(f"{emulator.api_url}/calendar/scheduled", headers=headers)
    assert response.status_code == status
    assert set(response.json()) == {"message"}
    assert response.headers["x-request-id"].startswith("req_")


def test_request_ids_are_unique_and_logged(api: httpx.Client, emulator: EmulatorServer) -> None:
    ids = [api.get("/calendar/scheduled").headers["x-request-id"] for _ in range(3)]
    assert len(set(ids)) == 3
    assert [entry["request_id"] for entry in emulator.admin.requests()] == ids


def test_unknown_route_and_wrong_method(api: httpx.Client) -> None:
    missing = api.get("/calendar/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not found."}
    wrong = api.put("/calendar/events")
    assert wrong.status_code == 405
    assert "message" in wrong.json()
    assert "x-request-id" in wrong.headers


@pytest.mark.parametrize(
    ("content", "message_part"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "must be a JSON object")],
)
def test_bad_bodies_are_400_not_422(api: httpx.Client, content: bytes, message_part: str) -> None:
    response = api.post("/calendar/schedule/evt_zoom", content=content)
    assert response.status_code == 400
    assert message_part in response.json()["message"]


# -- tenants ---------------------------------------------------------------------------------------


def test_each_key_is_its_own_tenant(api: httpx.Client, other: httpx.Client) -> None:
    mine = ok(schedule(api, "evt_zoom", "shared-key"))
    theirs = ok(schedule(other, "evt_zoom", "shared-key"))
    assert theirs["bot_id"] != mine["bot_id"]
    assert theirs["schedule_id"] != mine["schedule_id"]
    assert theirs["updated_existing"] is False
    assert [bot["bot_id"] for bot in scheduled(api)] == [mine["bot_id"]]
    assert [bot["bot_id"] for bot in scheduled(other)] == [theirs["bot_id"]]

    for response in (
        other.get(f"/bots/{mine['bot_id']}/status"),
        other.patch(f"/calendar/scheduled/{mine['bot_id']}", json={"bot_username": "x"}),
        other.delete(f"/calendar/scheduled/{mine['bot_id']}"),
    ):
        assert response.status_code == 403
        assert "another API key" in response.json()["message"]
    assert status_of(api, mine["bot_id"]) == "Scheduled"

    events = ok(other.get("/calendar/events"))["results"]
    zoom = next(item for item in events if item["id"] == "evt_zoom")
    assert [bot["bot_id"] for bot in zoom["bots"]] == [theirs["bot_id"]]


def test_unscheduling_touches_only_the_callers_schedules(api: httpx.Client, other: httpx.Client) -> None:
    mine = ok(schedule(api, "evt_zoom"))
    assert other.request("DELETE", "/calendar/schedule/evt_zoom").status_code == 404
    assert status_of(api, mine["bot_id"]) == "Scheduled"


# -- POST /calendar/schedule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_id", "group"),
    [
        ("evt_zoom", "zoom"),
        ("evt_meet", "google_meet"),
        ("evt_teams", "microsoft_teams"),
        ("evt_teams_live", "microsoft_teams"),
        ("evt_webex", "default"),
        ("evt_nourl", "default"),
    ],
)
def test_schedule_group_follows_the_meeting_url(api: httpx.Client, event_id: str, group: str) -> None:
    response = ok(schedule(api, event_id))
    assert response["schedule_group"] == group
    assert scheduled(api)[0]["platform"] == group


def test_bot_config_meeting_url_overrides_the_event(api: httpx.Client) -> None:
    response = ok(schedule(api, "evt_nourl", bot_config={"meeting_url": "https://meet.google.com/zzz"}))
    assert response["schedule_group"] == "google_meet"


def test_first_schedule_response(api: httpx.Client) -> None:
    config = {"bot_name": "Recorder", "audio_required": True, "future_field": {"nested": [1, 2]}}
    response = ok(schedule(api, "evt_zoom", "key-1", bot_config=config))
    assert response["scheduled"] is True
    assert response["event_id"] == "evt_zoom"
    assert response["scheduled_time"] == "2027-01-05T14:57:00+00:00"
    assert response["bot_config"] == {**config, "deduplication_key": "key-1"}
    assert response["updated_existing"] is False
    assert response["existing_schedules"] == 0
    assert response["occurrence_date"] is None
    assert response["is_recurring_occurrence"] is False
    assert response["message"]


def test_join_lead_and_join_at(api: httpx.Client, emulator: EmulatorServer) -> None:
    joined = ok(schedule(api, "evt_meet", bot_config={"join_at": "2027-01-06T11:55:00+02:00"}))
    assert joined["scheduled_time"] == "2027-01-06T09:55:00+00:00"
    assert joined["bot_config"]["join_at"] == "2027-01-06T11:55:00+02:00"
    emulator.admin.set_config(join_lead_minutes=10)
    assert ok(schedule(api, "evt_zoom"))["scheduled_time"] == "2027-01-05T14:50:00+00:00"
    assert scheduled(api)[0]["scheduled_join_time"] == "2027-01-05T14:50:00+00:00"


@pytest.mark.parametrize(
    "join_at", ["2027-01-05T15:45:00Z", "2027-01-05T17:46:00+02:00", "2027-02-01T00:00:00Z"]
)
def test_join_at_must_be_before_the_end(api: httpx.Client, join_at: str) -> None:
    response = schedule(api, "evt_zoom", bot_config={"join_at": join_at})
    assert response.status_code == 400
    assert response.json() == {
        "message": "bot_config.join_at must be before the meeting ends (2027-01-05T15:45:00+00:00)."
    }


def test_a_join_at_already_past_joins_at_once(api: httpx.Client) -> None:
    response = ok(schedule(api, "evt_zoom", bot_config={"join_at": "2027-01-04T11:00:00Z"}))
    assert response["scheduled_time"] == "2027-01-04T11:00:00+00:00"
    assert status_of(api, response["bot_id"]) == "InMeeting"
    assert scheduled(api) == []


def test_same_key_same_event_updates_in_place(api: httpx.Client) -> None:
    first = ok(schedule(api, "evt_zoom", "k", bot_config={"bot_name": "One"}))
    second = ok(schedule(api, "evt_zoom", "k", bot_config={"bot_name": "Two", "custom_attributes": {"a": 1}}))
    assert (second["bot_id"], second["schedule_id"]) == (first["bot_id"], first["schedule_id"])
    assert second["updated_existing"] is True
    assert second["existing_schedules"] == 1
    assert second["bot_config"] == {
        "bot_name": "Two",
        "custom_attributes": {"a": 1},
        "deduplication_key": "k",
    }
    [bot] = scheduled(api)
    assert bot["bot_username"] == "Two"
    assert bot["custom_attributes"] == {
        "a": 1,
        "source": "calendar_schedule_api",
        "event_id": "evt_zoom",
        "deduplication_key": "k",
    }


def test_same_key_on_another_event_shares_the_bot(api: httpx.Client) -> None:
    zoom = ok(schedule(api, "evt_zoom", "shared"))
    meet = ok(schedule(api, "evt_meet", "shared"))
    assert meet["bot_id"] == zoom["bot_id"]
    assert meet["schedule_id"] != zoom["schedule_id"]
    assert meet["updated_existing"] is False
    assert len(scheduled(api)) == 1
    # Unscheduling one event keeps the bot, which the other event still uses.
    removed = ok(api.request("DELETE", "/calendar/schedule/evt_zoom"))
    assert removed["bots_deleted"] == 0
    assert status_of(api, zoom["bot_id"]) == "Scheduled"
    assert ok(api.request("DELETE", "/calendar/schedule/evt_meet"))["bots_deleted"] == 1
    assert status_of(api, zoom["bot_id"]) == "Cancelled"


def test_another_key_repoints_the_schedule(api: httpx.Client) -> None:
    first = ok(schedule(api, "evt_zoom", "alpha"))
    second = ok(schedule(api, "evt_zoom", "beta"))
    assert second["schedule_id"] == first["schedule_id"]
    assert second["bot_id"] != first["bot_id"]
    assert second["updated_existing"] is True
    assert status_of(api, first["bot_id"]) == "Cancelled"
    assert [bot["bot_id"] for bot in scheduled(api)] == [second["bot_id"]]


def test_conflict_mode_409(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.admin.set_config(conflict_mode="409")
    first = ok(schedule(api, "evt_zoom", "alpha"))
    for key in ("alpha", "beta"):
        conflict = schedule(api, "evt_zoom", key)
        assert conflict.status_code == 409
        assert conflict.json()["bot_id"] == first["bot_id"]
        assert conflict.json()["message"]
    assert ok(schedule(api, "evt_meet", "alpha"))["bot_id"] == first["bot_id"]
    assert len(emulator.admin.state()["schedules"]) == 2


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        ({"bot_config": {}}, "deduplication_key is required"),
        ({"deduplication_key": "", "bot_config": {}}, "deduplication_key must be"),
        ({"deduplication_key": "x" * 2001, "bot_config": {}}, "deduplication_key must be"),
        ({"deduplication_key": "tab\there", "bot_config": {}}, "deduplication_key must be"),
        ({"deduplication_key": 7, "bot_config": {}}, "deduplication_key must be"),
        ({"deduplication_key": "k"}, "bot_config is required"),
        ({"deduplication_key": "k", "bot_config": []}, "bot_config must be an object"),
        ({"deduplication_key": "k", "bot_config": {"join_at": "tomorrow"}}, "bot_config.join_at"),
        ({"deduplication_key": "k", "bot_config": {"join_at": "2027-01-05T10:00:00"}}, "UTC offset"),
        ({"deduplication_key": "k", "bot_config": {"custom_attributes": 1}}, "custom_attributes"),
        ({"deduplication_key": "k", "bot_config": {}, "occurrence_limit": 0}, "occurrence_limit"),
        ({"deduplication_key": "k", "bot_config": {}, "occurrence_limit": "5"}, "occurrence_limit"),
        ({"deduplication_key": "k", "bot_config": {}, "occurrence_limit": True}, "occurrence_limit"),
        ({"deduplication_key": "k", "bot_config": {}, "occurrence_date": None}, "must not be null"),
        ({"deduplication_key": "k", "bot_config": {}, "occurrence_date": "2027-01-05"}, "occurrence_date"),
        ({"deduplication_key": "k", "bot_config": {}, "schedule_all_occurrences": "yes"}, "boolean"),
    ],
)
def test_schedule_validation(api: httpx.Client, body: dict[str, Any], message_part: str) -> None:
    response = api.post("/calendar/schedule/evt_zoom", json=body)
    assert response.status_code == 400
    assert message_part in response.json()["message"]


def test_longest_key_and_unicode_key_are_accepted(api: httpx.Client) -> None:
    assert ok(schedule(api, "evt_zoom", "x" * 2000))["bot_config"]["deduplication_key"] == "x" * 2000
    assert ok(schedule(api, "evt_meet", "clé ☕ with spaces"))["bot_config"]["deduplication_key"].startswith(
        "clé"
    )


def test_ended_unknown_and_deleted_events(api: httpx.Client) -> None:
    ended = schedule(api, "evt_ended")
    assert ended.status_code == 400
    assert ended.json() == {"message": ENDED_MESSAGE}
    for event_id in ("evt_unknown", "evt_deleted"):
        response = schedule(api, event_id)
        assert response.status_code == 404
        assert event_id in response.json()["message"]


def test_event_in_progress_is_schedulable_and_its_bot_is_in_the_meeting(api: httpx.Client) -> None:
    response = ok(schedule(api, "evt_now"))
    assert status_of(api, response["bot_id"]) == "InMeeting"
    assert scheduled(api) == []


def test_occurrence_date_on_a_single_event(api: httpx.Client) -> None:
    same = ok(schedule(api, "evt_zoom", occurrence_date="2027-01-05T10:00:00-05:00"))
    assert same["occurrence_date"] is None
    assert same["is_recurring_occurrence"] is False
    assert ok(schedule(api, "evt_zoom"))["schedule_id"] == same["schedule_id"]
    other_time = schedule(api, "evt_zoom", occurrence_date="2027-01-05T15:30:00Z")
    assert other_time.status_code == 400
    assert "not recurring" in other_time.json()["message"]


def test_series_form_needs_a_recurring_event(api: httpx.Client) -> None:
    response = schedule(api, "evt_zoom", schedule_all_occurrences=True)
    assert response.status_code == 400
    assert "recurring" in response.json()["message"]


def test_recurring_event_flag_is_recorded(api: httpx.Client, emulator: EmulatorServer) -> None:
    def recorded() -> bool:
        flag: bool = emulator.admin.state()["schedules"][0]["recurring_event"]
        return flag

    assert ok(schedule(api, "evt_zoom", recurring_event=True))["recurring_event"] is True
    assert recorded() is True
    assert "recurring_event" not in ok(schedule(api, "evt_zoom"))
    assert recorded() is True
    assert ok(schedule(api, "evt_zoom", recurring_event=False))["recurring_event"] is False
    assert recorded() is False


# -- GET /calendar/scheduled -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/calendar/scheduled", "/calendar/schedule", "/calendar/scheduled_bots"])
def test_list_aliases(api: httpx.Client, path: str) -> None:
    response = ok(schedule(api, "evt_zoom", bot_config={"bot_name": "Nora"}))
    [bot] = ok(api.get(path))["scheduled_bots"]
    assert bot == {
        "bot_id": response["bot_id"],
        "platform": "zoom",
        "status": "Scheduled",
        "scheduled_join_time": "2027-01-05T14:57:00+00:00",
        "custom_attributes": {
            "source": "calendar_schedule_api",
            "event_id": "evt_zoom",
            "deduplication_key": "k1",
        },
        "bot_username": "Nora",
        "is_scheduled": True,
    }


@pytest.mark.parametrize("path", ["/calendar/scheduled", "/calendar/events"])
@pytest.mark.parametrize(
    "limit", ["0", "101", "abc", "-1", "+5", "1.5", "", "\u0665", "\uff15", " 5", "5 ", "\t5"]
)
def test_list_limit_bounds(api: httpx.Client, path: str, limit: str) -> None:
    response = api.get(path, params={"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["message"]


def test_list_limit_takes_ascii_digits(api: httpx.Client) -> None:
    for event_id in ("evt_zoom", "evt_meet"):
        ok(schedule(api, event_id, event_id))
    assert len(scheduled(api, limit="01")) == 1
    assert len(ok(api.get("/calendar/events", params={"limit": "002"}))["results"]) == 2


def test_list_is_sorted_by_join_time_and_silently_truncated(api: httpx.Client) -> None:
    order = ["evt_zoom", "evt_meet", "evt_teams", "evt_teams_live", "evt_webex", "evt_nourl"]
    ids = {event_id: ok(schedule(api, event_id, f"key-{event_id}"))["bot_id"] for event_id in reversed(order)}
    assert [bot["bot_id"] for bot in scheduled(api)] == [ids[event_id] for event_id in order]
    assert [bot["bot_id"] for bot in scheduled(api, limit=3)] == [ids[event_id] for event_id in order[:3]]
    assert len(scheduled(api, limit=1)) == 1
    assert len(scheduled(api, limit=100)) == 6


# -- status follows the clock ----------------------------------------------------------------------


def test_status_transitions_as_the_clock_advances(api: httpx.Client, emulator: EmulatorServer) -> None:
    zoom = ok(schedule(api, "evt_zoom", "a"))
    meet = ok(schedule(api, "evt_meet", "b"))
    assert [status_of(api, zoom["bot_id"]), status_of(api, meet["bot_id"])] == ["Scheduled", "Scheduled"]
    assert len(scheduled(api)) == 2

    emulator.admin.set_clock("2027-01-05T14:57:00Z")  # zoom's join time
    assert status_of(api, zoom["bot_id"]) == "InMeeting"
    assert [bot["bot_id"] for bot in scheduled(api)] == [meet["bot_id"]]

    emulator.admin.advance_clock(timedelta(minutes=48))  # zoom ended at 15:45: it left normally
    assert status_of(api, zoom["bot_id"]) == "Stopped"
    emulator.admin.advance_clock(timedelta(minutes=2))  # its recording and transcript processed
    assert status_of(api, zoom["bot_id"]) == "Done"
    status = ok(api.get(f"/bots/{zoom['bot_id']}/status"))
    assert status["event_id"] == "evt_zoom"
    assert status["scheduled_join_time"] == "2027-01-05T14:57:00+00:00"

    emulator.admin.set_clock("2027-01-07T00:00:00Z")
    assert status_of(api, meet["bot_id"]) == "Done"
    assert scheduled(api) == []


def test_status_of_an_unknown_bot(api: httpx.Client) -> None:
    response = api.get("/bots/no-such-bot/status")
    assert response.status_code == 404
    assert "no-such-bot" in response.json()["message"]


# -- PATCH and DELETE /calendar/scheduled/{bot_id} ---------------------------------------------------


@pytest.mark.parametrize("prefix", ["/calendar/scheduled", "/calendar/scheduled_bots"])
def test_patch_a_scheduled_bot(api: httpx.Client, prefix: str) -> None:
    bot_id = ok(schedule(api, "evt_zoom", bot_config={"custom_attributes": {"team": "sales", "keep": 1}}))[
        "bot_id"
    ]
    body = {
        "scheduled_join_time": "2027-01-05T16:50:00+02:00",
        "bot_username": "Renamed",
        "custom_attributes": {"team": "support", "new": True},
    }
    response = ok(api.patch(f"{prefix}/{bot_id}", json=body))
    assert response == {
        "message": response["message"],
        "bot_id": bot_id,
        "updated_fields": ["scheduled_join_time", "bot_username", "custom_attributes"],
        "schedule_updated": True,
    }
    [bot] = scheduled(api)
    assert bot["scheduled_join_time"] == "2027-01-05T14:50:00+00:00"
    assert bot["bot_username"] == "Renamed"
    assert bot["custom_attributes"]["team"] == "support"
    assert bot["custom_attributes"]["keep"] == 1
    assert bot["custom_attributes"]["new"] is True
    unchanged = ok(api.patch(f"{prefix}/{bot_id}", json={"bot_username": "Again"}))
    assert unchanged["schedule_updated"] is False


@pytest.mark.parametrize(
    ("body", "status", "message_part"),
    [
        ({"scheduled_join_time": "2027-01-04T11:00:00Z"}, 400, "future"),
        ({"scheduled_join_time": "2027-01-05T16:00:00Z"}, 400, "before the meeting ends"),
        ({"scheduled_join_time": "2027-01-05T14:00:00"}, 400, "UTC offset"),
        ({"bot_username": ""}, 400, "bot_username"),
        ({"custom_attributes": [1]}, 400, "custom_attributes"),
    ],
)
def test_patch_validation(api: httpx.Client, body: dict[str, Any], status: int, message_part: str) -> None:
    bot_id = ok(schedule(api, "evt_zoom"))["bot_id"]
    response = api.patch(f"/calendar/scheduled/{bot_id}", json=body)
    assert response.status_code == status
    assert message_part in response.json()["message"]


def test_delete_a_scheduled_bot(api: httpx.Client, emulator: EmulatorServer) -> None:
    zoom = ok(schedule(api, "evt_zoom", "a"))
    response = ok(api.delete(f"/calendar/scheduled_bots/{zoom['bot_id']}"))
    assert response == {"message": response["message"], "bot_id": zoom["bot_id"]}
    assert scheduled(api) == []
    assert status_of(api, zoom["bot_id"]) == "Cancelled"
    assert emulator.admin.state()["schedules"] == []
    for again in (
        api.delete(f"/calendar/scheduled/{zoom['bot_id']}"),
        api.patch(f"/calendar/scheduled/{zoom['bot_id']}", json={}),
    ):
        assert again.status_code == 404
    # Scheduling the same key again makes a new bot.
    assert ok(schedule(api, "evt_zoom", "a"))["bot_id"] != zoom["bot_id"]


def test_a_bot_in_its_meeting_cannot_be_deleted_or_changed(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    bot_id = ok(schedule(api, "evt_zoom"))["bot_id"]
    emulator.admin.set_clock("2027-01-05T15:00:00Z")
    for response in (
        api.delete(f"/calendar/scheduled/{bot_id}"),
        api.patch(f"/calendar/scheduled/{bot_id}", json={"bot_username": "x"}),
    ):
        assert response.status_code == 400
        assert "InMeeting" in response.json()["message"]
    assert api.delete("/calendar/scheduled/unknown-bot").status_code == 404


# -- DELETE /calendar/schedule/{event_id} ------------------------------------------------------------


def test_unschedule_a_single_event(api: httpx.Client) -> None:
    created = ok(schedule(api, "evt_zoom"))
    response = ok(api.request("DELETE", "/calendar/schedule/evt_zoom"))
    assert response == {
        "unscheduled": True,
        "message": response["message"],
        "event_id": "evt_zoom",
        "cancelled_schedules": [created["schedule_id"]],
        "schedules_cancelled": 1,
        "bots_deleted": 1,
        "cancel_all_occurrences": False,
        "from_date": None,
        "is_recurring_series": False,
    }
    assert status_of(api, created["bot_id"]) == "Cancelled"
    again = api.request("DELETE", "/calendar/schedule/evt_zoom")
    assert again.status_code == 404
    assert "No bot is scheduled" in again.json()["message"]
    assert api.request("DELETE", "/calendar/schedule/evt_unknown").status_code == 404


def test_unscheduling_an_event_in_progress_keeps_its_bot_in_the_meeting(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    created = ok(schedule(api, "evt_zoom"))
    emulator.admin.set_clock("2027-01-05T15:00:00Z")
    response = ok(api.request("DELETE", "/calendar/schedule/evt_zoom"))
    assert (response["cancelled_schedules"], response["bots_deleted"]) == ([created["schedule_id"]], 0)
    assert status_of(api, created["bot_id"]) == "InMeeting"
    emulator.admin.set_clock("2027-01-05T16:00:00Z")
    assert status_of(api, created["bot_id"]) == "Done"


def test_an_ended_event_has_nothing_left_to_unschedule(api: httpx.Client, emulator: EmulatorServer) -> None:
    created = ok(schedule(api, "evt_zoom"))
    emulator.admin.set_clock("2027-01-05T15:45:00Z")
    for body in (None, {"cancel_all_occurrences": True}):
        response = api.request("DELETE", "/calendar/schedule/evt_zoom", json=body)
        assert response.status_code == 404
    assert status_of(api, created["bot_id"]) == "Stopped"  # left at the end, not cancelled


def test_repointing_a_running_schedule_leaves_the_first_bot_in_its_meeting(api: httpx.Client) -> None:
    first = ok(schedule(api, "evt_now", "alpha"))
    second = ok(schedule(api, "evt_now", "beta"))
    assert second["schedule_id"] == first["schedule_id"]
    assert [status_of(api, first["bot_id"]), status_of(api, second["bot_id"])] == ["InMeeting", "InMeeting"]


def test_unschedule_body_validation(api: httpx.Client) -> None:
    ok(schedule(api, "evt_zoom"))
    for body in ({"cancel_all_occurrences": "yes"}, {"from_date": "soon"}):
        response = api.request("DELETE", "/calendar/schedule/evt_zoom", json=body)
        assert response.status_code == 400


# -- GET /calendar/events ---------------------------------------------------------------------------

EVENT_KEYS = {
    "id",
    "start_time",
    "end_time",
    "calendar_id",
    "platform",
    "platform_id",
    "ical_uid",
    "meeting_platform",
    "meeting_url",
    "created_at",
    "updated_at",
    "is_deleted",
    "bots",
    "raw",
}


def test_events_default_window_and_shape(api: httpx.Client) -> None:
    page = ok(api.get("/calendar/events"))
    assert page["next"] is None
    assert page["previous"] is None
    assert page["has_more"] is False
    ids = [item["id"] for item in page["results"]]
    # evt_ended finished more than a day before now: outside the default window.
    assert ids == [
        "evt_now",
        "evt_zoom",
        "evt_meet",
        "evt_teams",
        "evt_teams_live",
        "evt_webex",
        "evt_nourl",
        "evt_deleted",
    ]
    zoom = page["results"][1]
    assert set(zoom) == EVENT_KEYS
    assert zoom["meeting_platform"] == "zoom"
    assert zoom["platform"] == "google_calendar"
    assert zoom["bots"] == []
    assert page["results"][-1]["is_deleted"] is True


def test_events_window_calendar_and_bots(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.admin.load_events(
        [
            event("evt_outlook", "2027-01-05T08:00:00Z", "2027-01-05T09:00:00Z", calendar_id="cal_b"),
        ],
        replace=False,
    )
    window = {"time_min": "2027-01-05T08:30:00Z", "time_max": "2027-01-05T15:00:01Z"}
    ids = [item["id"] for item in ok(api.get("/calendar/events", params=window))["results"]]
    assert ids == ["evt_outlook", "evt_zoom"]
    only_b = ok(api.get("/calendar/events", params={**window, "calendar_id": "cal_b"}))["results"]
    assert [item["id"] for item in only_b] == ["evt_outlook"]

    created = ok(schedule(api, "evt_zoom", "rec"))
    [zoom] = [
        item for item in ok(api.get("/calendar/events", params=window))["results"] if item["id"] == "evt_zoom"
    ]
    assert zoom["bots"] == [
        {
            "bot_id": created["bot_id"],
            "start_time": "2027-01-05T14:57:00+00:00",
            "deduplication_key": "rec",
            "meeting_url": "https://us02web.zoom.us/j/123",
            "occurrence_date": None,
        }
    ]


def test_events_cursor_pagination(api: httpx.Client) -> None:
    seen: list[str] = []
    pages = 0
    window = {"time_min": "2027-01-01T00:00:00Z", "time_max": "2027-02-01T00:00:00Z"}
    params: dict[str, Any] = {**window, "limit": 2, "sync": "true"}
    previous: str | None = None
    while True:
        page = ok(api.get("/calendar/events", params=params))
        pages += 1
        seen += [item["id"] for item in page["results"]]
        assert page["has_more"] is (page["next"] is not None)
        if pages > 1:
            assert page["previous"] is not None
            previous = page["previous"]
        if page["next"] is None:
            break
        params = {"cursor": page["next"], "limit": 2}
    assert pages == 5
    assert len(seen) == len(set(seen)) == len(CALENDAR)
    back = ok(api.get("/calendar/events", params={"cursor": previous, "limit": 2}))
    assert [item["id"] for item in back["results"]] == seen[-3:-1]


WINDOW = {"time_min": "2027-01-01T00:00:00Z", "time_max": "2027-02-01T00:00:00Z"}
# CALENDAR in (start_time, id) order.
ORDER = [
    "evt_ended",
    "evt_now",
    "evt_zoom",
    "evt_meet",
    "evt_teams",
    "evt_teams_live",
    "evt_webex",
    "evt_nourl",
    "evt_deleted",
]


def walk(http: httpx.Client, cursor: str | None, limit: int) -> list[str]:
    """The ids of every page from a cursor on, following next."""
    seen: list[str] = []
    while cursor is not None:
        page = ok(http.get("/calendar/events", params={"cursor": cursor, "limit": limit}))
        seen += [item["id"] for item in page["results"]]
        cursor = page["next"]
    return seen


@pytest.mark.parametrize(
    ("inserted", "deleted"),
    [(1, 0), (0, 1), (2, 1)],
    ids=["insert-earlier", "delete-on-page-1", "insert-two-delete-one"],
)
def test_events_cursor_neither_repeats_nor_skips_when_the_calendar_changes(
    api: httpx.Client, emulator: EmulatorServer, inserted: int, deleted: int
) -> None:
    first = ok(api.get("/calendar/events", params={**WINDOW, "limit": 3}))
    assert [item["id"] for item in first["results"]] == ORDER[:3]
    earlier = [
        event(f"evt_early_{index}", f"2027-01-02T0{index}:00:00Z", f"2027-01-02T0{index}:30:00Z")
        for index in range(inserted)
    ]
    gone = set(ORDER[:deleted])
    emulator.admin.load_events([item for item in CALENDAR if item["id"] not in gone] + earlier)
    assert walk(api, first["next"], 3) == ORDER[3:]


def test_events_previous_cursor_walks_back(api: httpx.Client) -> None:
    pages: list[dict[str, Any]] = [ok(api.get("/calendar/events", params={**WINDOW, "limit": 2}))]
    while pages[-1]["next"] is not None:
        pages.append(ok(api.get("/calendar/events", params={"cursor": pages[-1]["next"], "limit": 2})))
    assert [[item["id"] for item in page["results"]] for page in pages] == [
        ORDER[0:2],
        ORDER[2:4],
        ORDER[4:6],
        ORDER[6:8],
        ORDER[8:],
    ]
    assert pages[0]["previous"] is None
    back: list[list[str]] = []
    cursor = pages[-1]["previous"]
    while cursor is not None:
        page = ok(api.get("/calendar/events", params={"cursor": cursor, "limit": 2}))
        back.append([item["id"] for item in page["results"]])
        assert page["has_more"] is True
        cursor = page["previous"]
    assert back == [ORDER[6:8], ORDER[4:6], ORDER[2:4], ORDER[0:2]]


def test_forged_or_tampered_cursors_are_400(api: httpx.Client) -> None:
    first = ok(api.get("/calendar/events", params={**WINDOW, "limit": 2}))
    issued: str = first["next"]
    forged_offset = base64.urlsafe_b64encode(
        json.dumps({**WINDOW, "calendar_id": None, "offset": 10**9}).encode()
    ).decode()
    payload, _, signature = issued.partition(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded["time_max"] = "2099-01-01T00:00:00+00:00"
    tampered = base64.urlsafe_b64encode(json.dumps(decoded).encode()).decode().rstrip("=")
    for cursor in (forged_offset, f"{tampered}.{signature}", issued[:-2], issued + "x", "%%%", "."):
        response = api.get("/calendar/events", params={"cursor": cursor})
        assert response.status_code == 400, cursor
        assert response.json() == {"message": "cursor is not a cursor this server issued."}
    assert ok(api.get("/calendar/events", params={"cursor": issued, "limit": 2}))["results"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "x"},
        {"cursor": "not-a-cursor"},
        {"time_min": "yesterday"},
        {"time_min": "2027-01-05T00:00:00Z", "time_max": "2027-01-04T00:00:00Z"},
        {"sync": "maybe"},
    ],
)
def test_events_query_validation(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("/calendar/events", params=params)
    assert response.status_code == 400
    assert response.json()["message"]


# -- opaque ids in paths ------------------------------------------------------------------------------

ODD_IDS = ["a/b", "what?x=1", "frag#ment", "..", ".", "with space", "café ☕ 会議", "100%", "a/../b"]


def encode_segment(value: str) -> str:
    encoded = quote(value, safe="")
    # quote leaves dots alone; clients must encode an all-dots id or the path changes.
    return encoded.replace(".", "%2E") if set(value) == {"."} else encoded


@pytest.mark.parametrize("event_id", ODD_IDS)
def test_odd_event_ids_round_trip(api: httpx.Client, emulator: EmulatorServer, event_id: str) -> None:
    emulator.admin.load_events([event(event_id, "2027-01-05T15:00:00Z", "2027-01-05T16:00:00Z")])
    path = f"/calendar/schedule/{encode_segment(event_id)}"
    created = ok(api.post(path, json={"deduplication_key": "k", "bot_config": {}}))
    assert created["event_id"] == event_id
    assert ok(api.get(f"/bots/{created['bot_id']}/status"))["event_id"] == event_id
    assert ok(api.request("DELETE", path))["event_id"] == event_id
    assert emulator.admin.requests()[0]["path"] == f"/api/v1{path}"


@pytest.mark.parametrize("bot_id", ODD_IDS)
def test_odd_bot_ids_arrive_as_one_segment(api: httpx.Client, bot_id: str) -> None:
    for response in (
        api.get(f"/bots/{encode_segment(bot_id)}/status"),
        api.patch(f"/calendar/scheduled/{encode_segment(bot_id)}", json={}),
        api.delete(f"/calendar/scheduled/{encode_segment(bot_id)}"),
    ):
        assert response.status_code == 404
        assert response.json()["message"] == f"Bot {bot_id!r} not found."


def test_a_literal_dot_dot_segment_changes_the_path(emulator: EmulatorServer) -> None:
    emulator.admin.load_events([event("..", "2027-01-05T15:00:00Z", "2027-01-05T16:00:00Z")])
    # http.client sends the path untouched; unencoded, ".." climbs out as it would behind any proxy.
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/api/v1/calendar/schedule/..",
            body=b'{"deduplication_key": "k", "bot_config": {}}',
            headers={"Authorization": f"Token {emulator.api_key}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        assert response.status == 404
        assert json.loads(response.read()) == {"message": "Not found."}
    finally:
        connection.close()
    assert emulator.admin.state()["schedules"] == []
