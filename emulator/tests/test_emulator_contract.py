"""Contract check: the emulator's real responses against the schemas of the MeetStream reference pages.

The schemas are transcribed as data from ``/work/shared/seeds``: 000 (``ScheduleEventResponse`` and
``ScheduleEventResponseBotConfig``, OpenAPI), 001 (the fields it documents on top, series form
included) and 003 (``scheduled_bots`` items). A small validator checks that every listed field is
present with its JSON type.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from meetstream_emulator.server import EmulatorServer

Schema = dict[str, Any]
ANY_OBJECT: Schema = {"type": "object"}

# Seed 000: components.schemas.ScheduleEventResponseBotConfig.
BOT_CONFIG: Schema = {
    "type": "object",
    "properties": {
        "bot_name": {"type": "string"},
        "bot_message": {"type": "string"},
        "bot_image_url": {"type": "string"},
        "audio_required": {"type": "boolean"},
        "video_required": {"type": "boolean"},
        "callback_url": {"type": "string"},
        "meeting_url": {"type": "string"},
        "join_at": {"type": "string", "format": "date-time"},
        "deduplication_key": {"type": "string"},
        "automatic_leave": ANY_OBJECT,
        "recording_config": ANY_OBJECT,
        "custom_attributes": ANY_OBJECT,
        "live_audio_required": ANY_OBJECT,
        "live_transcription_required": ANY_OBJECT,
    },
}
# Seed 000: components.schemas.ScheduleEventResponse.
SCHEDULE_EVENT_RESPONSE: Schema = {
    "type": "object",
    "properties": {
        "scheduled": {"type": "boolean"},
        "schedule_id": {"type": "string"},
        "bot_id": {"type": "string"},
        "schedule_group": {"type": "string", "enum": ["zoom", "google_meet", "microsoft_teams", "default"]},
        "event_id": {"type": "string"},
        "scheduled_time": {"type": "string", "format": "date-time"},
        "existing_schedules": {"type": "integer"},
        "occurrence_date": {"type": ["string", "null"], "format": "date-time"},
        "is_recurring_occurrence": {"type": "boolean"},
        "bot_config": BOT_CONFIG,
    },
}
# Seed 001: response fields documented beyond 000; the last six only in the series form.
SCHEDULE_EXTRA_001: dict[str, Schema] = {
    "message": {"type": "string"},
    "updated_existing": {"type": "boolean"},
}
SERIES_EXTRA_001: dict[str, Schema] = {
    "master_event_id": {"type": "string"},
    "occurrences_scheduled": {"type": "integer"},
    "occurrences_failed": {"type": "integer"},
    "total_occurrences": {"type": "integer"},
    "schedules_created": {"type": "array", "items": ANY_OBJECT},
    "failed_occurrences": {"type": "array", "items": ANY_OBJECT},
}
# Seed 003: the 200 body of GET /calendar/scheduled.
SCHEDULED_BOTS_RESPONSE: Schema = {
    "type": "object",
    "properties": {
        "scheduled_bots": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "bot_id": {"type": "string"},
                    "platform": {"type": "string"},
                    "status": {"type": "string"},
                    "scheduled_join_time": {"type": "string", "format": "date-time"},
                    "custom_attributes": {
                        "type": "object",
                        "properties": {
                            "source": {"type": "string", "enum": ["calendar_schedule_api"]},
                            "event_id": {"type": "string"},
                            "deduplication_key": {"type": "string"},
                        },
                    },
                    "bot_username": {"type": "string"},
                    "is_scheduled": {"type": "boolean", "enum": [True]},
                },
            },
        }
    },
}

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def violations(value: Any, schema: Schema, where: str = "$", *, required: bool = True) -> list[str]:
    """What is wrong with ``value``; every listed property is required unless ``required`` is False."""
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    # bool is an int in Python, but never a JSON integer.
    if kinds and not any(
        isinstance(value, JSON_TYPES[kind])
        and not (kind in ("integer", "number") and isinstance(value, bool))
        for kind in kinds
    ):
        return [f"{where}: expected {'|'.join(kinds)}, got {type(value).__name__} {value!r}"]
    found: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if schema.get("format") == "date-time" and isinstance(value, str):
        try:
            if datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is None:
                found.append(f"{where}: date-time without offset {value!r}")
        except ValueError:
            found.append(f"{where}: not a date-time {value!r}")
    if isinstance(value, dict):
        for name, child in schema.get("properties", {}).items():
            if name in value:
                found += violations(value[name], child, f"{where}.{name}", required=required)
            elif required:
                found.append(f"{where}.{name}: missing")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += violations(item, schema["items"], f"{where}[{index}]", required=required)
    return found


def with_fields(schema: Schema, extra: dict[str, Schema]) -> Schema:
    return {**schema, "properties": {**schema["properties"], **extra}}


FULL_BOT_CONFIG = {
    "bot_name": "Contract Bot",
    "bot_message": "Recording for the minutes",
    "bot_image_url": "https://example.com/bot.png",
    "audio_required": True,
    "video_required": False,
    "callback_url": "https://example.com/hook",
    "meeting_url": "https://meet.google.com/abc-defg-hij",
    "join_at": "2030-01-01T09:50:00Z",
    "automatic_leave": {"everyone_left_timeout": 60},
    "recording_config": {"transcript": {"provider": {"deepgram": {}}}},
    "custom_attributes": {"team": "contract"},
    "live_audio_required": {"websocket_url": "wss://example.com/audio"},
    "live_transcription_required": {"webhook_url": "https://example.com/live"},
}
SERIES = {
    "id": "evt_contract_series",
    "start_time": "2029-12-03T14:00:00Z",
    "end_time": "2029-12-03T14:30:00Z",
    "meeting_url": "https://teams.microsoft.com/l/meetup/1",
    "raw": {"start": {"timeZone": "America/New_York"}, "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"]},
}
SINGLE = {
    "id": "evt_contract_single",
    "start_time": "2030-01-01T10:00:00Z",
    "end_time": "2030-01-01T11:00:00Z",
    "meeting_url": "https://zoom.us/j/5",
}


@pytest.fixture
def api(meetstream_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    meetstream_emulator.admin.set_clock("2029-12-20T12:00:00Z")
    meetstream_emulator.admin.load_events([SERIES, SINGLE])
    headers = {"Authorization": f"Token {meetstream_emulator.api_key}"}
    with httpx.Client(base_url=meetstream_emulator.api_url, headers=headers, timeout=10) as http:
        yield http


def post(http: httpx.Client, event_id: str, **body: Any) -> dict[str, Any]:
    response = http.post(f"/calendar/schedule/{event_id}", json=body)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_the_validator_catches_what_it_should() -> None:
    good = {"scheduled_bots": [{"bot_id": "b", "platform": "zoom", "status": "Scheduled"}]}
    problems = violations(good, SCHEDULED_BOTS_RESPONSE)
    assert "$.scheduled_bots[0].bot_username: missing" in problems
    assert violations({"existing_schedules": True}, SCHEDULE_EVENT_RESPONSE, required=False) == [
        "$.existing_schedules: expected integer, got bool True"
    ]
    assert violations({"occurrence_date": None}, SCHEDULE_EVENT_RESPONSE, required=False) == []
    assert violations(
        {"occurrence_date": "2030-01-01T10:00:00"}, SCHEDULE_EVENT_RESPONSE, required=False
    ) == ["$.occurrence_date: date-time without offset '2030-01-01T10:00:00'"]


def test_schedule_response_with_every_bot_config_field(api: httpx.Client) -> None:
    body = post(api, "evt_contract_single", deduplication_key="contract", bot_config=FULL_BOT_CONFIG)
    assert violations(body, with_fields(SCHEDULE_EVENT_RESPONSE, SCHEDULE_EXTRA_001)) == []
    assert body["occurrence_date"] is None


def test_schedule_response_with_an_empty_bot_config(api: httpx.Client) -> None:
    body = post(api, "evt_contract_single", deduplication_key="contract", bot_config={})
    top_level = {**SCHEDULE_EVENT_RESPONSE, "properties": {**SCHEDULE_EVENT_RESPONSE["properties"]}}
    top_level["properties"]["bot_config"] = ANY_OBJECT
    assert violations(body, with_fields(top_level, SCHEDULE_EXTRA_001)) == []
    # The applied config holds only what was sent plus the key; what is there has the seed's types.
    assert violations(body["bot_config"], BOT_CONFIG, required=False) == []
    assert body["bot_config"] == {"deduplication_key": "contract"}


def test_occurrence_response(api: httpx.Client) -> None:
    body = post(
        api,
        "evt_contract_series",
        deduplication_key="c",
        bot_config={},
        occurrence_date="2029-12-24T09:00:00-05:00",
    )
    assert violations(body, with_fields(SCHEDULE_EVENT_RESPONSE, SCHEDULE_EXTRA_001), required=False) == []
    assert isinstance(body["occurrence_date"], str)


def test_series_response(api: httpx.Client) -> None:
    body = post(
        api,
        "evt_contract_series",
        deduplication_key="c",
        bot_config={"bot_name": "Series"},
        schedule_all_occurrences=True,
        occurrence_limit=3,
    )
    schema = with_fields(with_fields(SCHEDULE_EVENT_RESPONSE, SCHEDULE_EXTRA_001), SERIES_EXTRA_001)
    schema["properties"]["bot_config"] = ANY_OBJECT
    assert violations(body, schema) == []
    created_item: Schema = {
        "type": "object",
        "properties": {
            "occurrence_date": {"type": "string", "format": "date-time"},
            "schedule_id": {"type": "string"},
            "bot_id": {"type": "string"},
            "scheduled_time": {"type": "string", "format": "date-time"},
        },
    }
    assert violations(body["schedules_created"], {"type": "array", "items": created_item}) == []
    assert len(body["schedules_created"]) == 3


def test_scheduled_bots_response(api: httpx.Client) -> None:
    post(api, "evt_contract_single", deduplication_key="one", bot_config=FULL_BOT_CONFIG)
    post(
        api,
        "evt_contract_series",
        deduplication_key="two",
        bot_config={},
        occurrence_date="2029-12-24T14:00:00Z",
    )
    for path in ("/calendar/scheduled", "/calendar/schedule", "/calendar/scheduled_bots"):
        response = api.get(path, params={"limit": 50})
        assert response.status_code == 200
        body = response.json()
        assert violations(body, SCHEDULED_BOTS_RESPONSE) == []
        assert len(body["scheduled_bots"]) == 2
