"""The controls that change an event's people and text, in Google's or Graph's fields; their 400s and 404s."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import requests

from meetstream_emulator.admin import EmulatorAdmin, EmulatorAdminError
from meetstream_emulator.backend import Backend
from meetstream_emulator.clock import Clock
from meetstream_emulator.event_changes import GRAPH_NO_TIME, edit
from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(hours=1)
LATER_GRAPH = "2027-01-04T13:00:00Z"

OWNER = {"email": "owner@acme.test", "self": True, "responseStatus": "accepted"}
BOB = {"email": "Bob@acme.test", "displayName": "Bob", "responseStatus": "needsAction"}
CAROL = {
    "type": "required",
    "status": {"response": "none", "time": GRAPH_NO_TIME},
    "emailAddress": {"name": "Carol", "address": "Carol@contoso.test"},
}


def event(
    event_id: str, start: str, raw: dict[str, Any], platform: str = "google_calendar"
) -> dict[str, Any]:
    begin = datetime.fromisoformat(start)
    return {
        "id": event_id,
        "start_time": start,
        "end_time": (begin + timedelta(hours=1)).isoformat(),
        "platform": platform,
        "raw": raw,
    }


CALENDAR = [
    event(
        "evt_google",
        "2027-01-05T10:00:00+00:00",
        {"id": "g1", "summary": "Planning", "description": "Old", "attendees": [OWNER, BOB]},
    ),
    event("evt_google_bare", "2027-01-05T12:00:00+00:00", {"id": "g2", "summary": "Bare"}),
    event(
        "evt_graph",
        "2027-01-06T10:00:00+00:00",
        {"id": "o1", "subject": "Review", "isOrganizer": False, "attendees": [CAROL]},
        "outlook_calendar",
    ),
    event(
        "evt_graph_mine",
        "2027-01-06T12:00:00+00:00",
        {"id": "o2", "subject": "Mine", "isOrganizer": True},
        "outlook_calendar",
    ),
    event(
        "evt_weekly",
        "2027-01-04T15:00:00+00:00",
        {"id": "gw", "summary": "Weekly", "start": {"timeZone": "UTC"}, "recurrence": ["RRULE:FREQ=WEEKLY"]},
    ),
    event(
        "evt_graph_weekly",
        "2027-01-05T15:00:00+00:00",
        {
            "id": "ow",
            "subject": "Graph weekly",
            "type": "seriesMaster",
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
                "range": {"type": "noEnd", "startDate": "2027-01-05", "recurrenceTimeZone": "UTC"},
            },
        },
        "outlook_calendar",
    ),
]


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    meetstream_emulator.admin.set_clock(NOW)
    meetstream_emulator.admin.load_events(CALENDAR)
    # Every change is made an hour later than the load, so that updated_at shows it.
    meetstream_emulator.admin.set_clock(LATER)
    return meetstream_emulator


@pytest.fixture
def admin(emulator: EmulatorServer) -> EmulatorAdmin:
    return emulator.admin


def loaded(admin: EmulatorAdmin, event_id: str) -> dict[str, Any]:
    [found] = [item for item in admin.events() if item["id"] == event_id]
    return found


def listed(api: httpx.Client, event_id: str, time_min: str, time_max: str) -> dict[str, Any]:
    response = api.get("/calendar/events", params={"time_min": time_min, "time_max": time_max})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    [found] = [item for item in results if item["id"] == event_id]
    return found


def in_listing(api: httpx.Client, event_id: str) -> dict[str, Any]:
    return listed(api, event_id, "2027-01-04T00:00:00Z", "2027-01-08T00:00:00Z")


def refused(call: Any, status: int, message: str) -> None:
    with pytest.raises(EmulatorAdminError) as caught:
        call()
    assert caught.value.status_code == status
    assert message in caught.value.message


def assert_changed(result: dict[str, Any], admin: EmulatorAdmin, api: httpx.Client) -> None:
    assert result["updated_at"] == LATER.isoformat()
    assert result["created_at"] == NOW.isoformat()
    assert loaded(admin, result["id"]) == result
    listing = in_listing(api, result["id"])
    assert (listing["raw"], listing["updated_at"]) == (result["raw"], result["updated_at"])


# -- add an attendee ------------------------------------------------------------------------------


def test_add_attendee_to_a_google_event(admin: EmulatorAdmin, api: httpx.Client) -> None:
    result = admin.add_attendee("evt_google", "dan@acme.test", name="Dan", response="tentative")
    assert result["raw"]["attendees"] == [
        OWNER,
        BOB,
        {"email": "dan@acme.test", "displayName": "Dan", "responseStatus": "tentative"},
    ]
    assert_changed(result, admin, api)
    # No name, no displayName; the flags only when true; the list made when the event had none.
    room = admin.add_attendee("evt_google_bare", "room@acme.test", resource=True)
    assert room["raw"]["attendees"] == [
        {"email": "room@acme.test", "responseStatus": "needsAction", "resource": True}
    ]
    maybe = admin.add_attendee("evt_google_bare", "eve@acme.test", optional=True, response="declined")
    assert maybe["raw"]["attendees"][1] == {
        "email": "eve@acme.test",
        "responseStatus": "declined",
        "optional": True,
    }
    assert_changed(maybe, admin, api)


def test_add_attendee_to_a_graph_event(admin: EmulatorAdmin, api: httpx.Client) -> None:
    result = admin.add_attendee("evt_graph", "dan@contoso.test", name="Dan", response="tentative")
    assert result["raw"]["attendees"] == [
        CAROL,
        {
            "type": "required",
            "status": {"response": "tentativelyAccepted", "time": GRAPH_NO_TIME},
            "emailAddress": {"name": "Dan", "address": "dan@contoso.test"},
        },
    ]
    assert_changed(result, admin, api)
    admin.add_attendee("evt_graph_mine", "room@contoso.test", resource=True, response="accepted")
    admin.add_attendee("evt_graph_mine", "eve@contoso.test", optional=True)
    attendees = loaded(admin, "evt_graph_mine")["raw"]["attendees"]
    assert attendees == [
        {
            "type": "resource",
            "status": {"response": "accepted", "time": GRAPH_NO_TIME},
            "emailAddress": {"name": "room@contoso.test", "address": "room@contoso.test"},
        },
        {
            "type": "optional",
            "status": {"response": "none", "time": GRAPH_NO_TIME},
            "emailAddress": {"name": "eve@contoso.test", "address": "eve@contoso.test"},
        },
    ]


@pytest.mark.parametrize(
    ("event_id", "email"),
    [("evt_google", "bob@ACME.test"), ("evt_google", "owner@acme.test"), ("evt_graph", "carol@contoso.TEST")],
)
def test_an_attendee_already_there_is_refused(admin: EmulatorAdmin, event_id: str, email: str) -> None:
    before = loaded(admin, event_id)
    refused(lambda: admin.add_attendee(event_id, email), 400, "is already an attendee")
    refused(lambda: admin.add_attendee(event_id, email), 400, "/calendar/respond")
    assert loaded(admin, event_id) == before


BAD_EMAILS = [
    "nobody",
    "a@@acme.test",
    "@acme.test",
    "a@",
    "a@b@c",
    " @acme.test",
    "a@ ",
    " a@acme.test",
    "",
    5,
    None,
]


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_a_bad_email_is_refused(emulator: EmulatorServer, email: Any) -> None:
    response = requests.post(
        f"{emulator.base_url}/_emulator/calendar/attendees",
        json={"event_id": "evt_google", "email": email},
        timeout=10,
    )
    assert response.status_code == 400
    assert "email must be an address with one '@'" in response.json()["message"]
    refused(lambda: emulator.admin.respond("evt_google", "accepted", email="a@b@c"), 400, "one '@'")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"response": "maybe"}, "response must be one of accepted, declined, tentative, needs_action"),
        ({"response": "needsAction"}, "response must be one of"),
        ({"optional": True, "resource": True}, "optional or a resource, not both"),
        ({"optional": "yes"}, "optional must be a boolean"),
        ({"resource": 1}, "resource must be a boolean"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": 7}, "name must be a non-empty string"),
        ({"event_id": ""}, "event_id must be a non-empty string"),
    ],
)
def test_bad_attendee_fields_are_refused(
    emulator: EmulatorServer, fields: dict[str, Any], message: str
) -> None:
    body = {"event_id": "evt_google", "email": "dan@acme.test", **fields}
    response = requests.post(f"{emulator.base_url}/_emulator/calendar/attendees", json=body, timeout=10)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert len(loaded(emulator.admin, "evt_google")["raw"]["attendees"]) == 2


# -- respond --------------------------------------------------------------------------------------


def test_respond_on_a_google_event(admin: EmulatorAdmin, api: httpx.Client) -> None:
    result = admin.respond("evt_google", "declined")
    assert result["raw"]["attendees"] == [{**OWNER, "responseStatus": "declined"}, BOB]
    assert_changed(result, admin, api)
    result = admin.respond("evt_google", "tentative", email="BOB@acme.test")
    assert result["raw"]["attendees"] == [
        {**OWNER, "responseStatus": "declined"},
        {**BOB, "responseStatus": "tentative"},
    ]
    result = admin.respond("evt_google", "needs_action")
    assert result["raw"]["attendees"][0]["responseStatus"] == "needsAction"


def test_respond_on_a_graph_event(admin: EmulatorAdmin, api: httpx.Client) -> None:
    result = admin.respond("evt_graph", "tentative")
    assert result["raw"]["responseStatus"] == {"response": "tentativelyAccepted", "time": LATER_GRAPH}
    assert result["raw"]["attendees"] == [CAROL]
    assert_changed(result, admin, api)
    # "No answer" is notResponded for the owner, none for an attendee.
    assert admin.respond("evt_graph", "needs_action")["raw"]["responseStatus"]["response"] == "notResponded"
    admin.set_clock(LATER + timedelta(minutes=5))
    result = admin.respond("evt_graph", "accepted", email="carol@contoso.test")
    assert result["raw"]["attendees"] == [
        {**CAROL, "status": {"response": "accepted", "time": "2027-01-04T13:05:00Z"}}
    ]
    result = admin.respond("evt_graph", "needs_action", email="carol@contoso.test")
    assert result["raw"]["attendees"][0]["status"] == {"response": "none", "time": "2027-01-04T13:05:00Z"}
    assert result["updated_at"] == "2027-01-04T13:05:00+00:00"


def test_respond_refusals(admin: EmulatorAdmin) -> None:
    refused(lambda: admin.respond("evt_google_bare", "accepted"), 400, "no attendee marked self")
    refused(lambda: admin.respond("evt_graph_mine", "accepted"), 400, "does not respond to their own")
    admin.load_events(
        [
            event(
                "evt_google_mine", "2027-01-05T14:00:00+00:00", {"attendees": [{**OWNER, "organizer": True}]}
            )
        ],
        replace=False,
    )
    refused(lambda: admin.respond("evt_google_mine", "declined"), 400, "does not respond to their own")
    refused(lambda: admin.respond("evt_google", "accepted", email="zed@acme.test"), 400, "not an attendee")
    refused(lambda: admin.respond("evt_graph", "accepted", email="zed@acme.test"), 400, "not an attendee")
    refused(lambda: admin.respond("evt_google", "yes"), 400, "response must be one of")
    refused(lambda: admin.respond("evt_graph", "tentativelyAccepted"), 400, "response must be one of")
    # The organizer answers for an attendee all the same.
    admin.add_attendee("evt_graph_mine", "dan@contoso.test")
    assert admin.respond("evt_graph_mine", "declined", email="dan@contoso.test")["raw"]["attendees"][0][
        "status"
    ] == {"response": "declined", "time": LATER_GRAPH}
    for event_id in ("evt_google_bare", "evt_graph"):
        assert loaded(admin, event_id)["updated_at"] == NOW.isoformat()


# -- edit -----------------------------------------------------------------------------------------


def test_edit_a_google_event(admin: EmulatorAdmin, api: httpx.Client) -> None:
    result = admin.edit_event("evt_google", title="Planning, moved on")
    assert (result["raw"]["summary"], result["raw"]["description"]) == ("Planning, moved on", "Old")
    assert_changed(result, admin, api)
    result = admin.edit_event("evt_google", description="")
    assert (result["raw"]["summary"], result["raw"]["description"]) == ("Planning, moved on", "")
    assert result["raw"]["attendees"] == [OWNER, BOB]


def test_edit_a_graph_event(admin: EmulatorAdmin, api: httpx.Client) -> None:
    text = "x" * 300
    result = admin.edit_event("evt_graph", title="Review 2", description=text)
    raw = result["raw"]
    assert raw["subject"] == "Review 2"
    assert raw["body"] == {"contentType": "text", "content": text}
    assert raw["bodyPreview"] == "x" * 255
    assert not {"summary", "description"} & set(raw)
    assert_changed(result, admin, api)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Send a title, a description or both."),
        ({"title": None, "description": None}, "Send a title, a description or both."),
        ({"title": 5}, "title must be a string."),
        ({"title": "ok", "description": ["no"]}, "description must be a string."),
    ],
)
def test_bad_edits_are_refused(emulator: EmulatorServer, fields: dict[str, Any], message: str) -> None:
    response = requests.post(
        f"{emulator.base_url}/_emulator/calendar/edit", json={"event_id": "evt_google", **fields}, timeout=10
    )
    assert (response.status_code, response.json()) == (400, {"message": message})
    assert loaded(emulator.admin, "evt_google")["raw"]["summary"] == "Planning"


# -- series, gone events, shared payloads ---------------------------------------------------------


@pytest.mark.parametrize(("event_id", "field"), [("evt_weekly", "summary"), ("evt_graph_weekly", "subject")])
def test_a_change_to_a_master_is_the_whole_series(
    admin: EmulatorAdmin, api: httpx.Client, event_id: str, field: str
) -> None:
    admin.edit_event(event_id, title="Renamed")
    admin.add_attendee(event_id, "dan@acme.test")
    # The listing shows a series as its master, in any window holding one of its occurrences.
    later = listed(api, event_id, "2027-03-01T00:00:00Z", "2027-03-08T00:00:00Z")
    assert later["raw"][field] == "Renamed"
    assert len(later["raw"]["attendees"]) == 1
    assert later["raw"]["recurrence"] == loaded(admin, event_id)["raw"]["recurrence"]
    assert later["updated_at"] == LATER.isoformat()


def test_a_gone_event_is_a_404(admin: EmulatorAdmin) -> None:
    instance = admin.cancel_occurrence("evt_weekly", "2027-01-11T15:00:00Z")
    admin.delete_event("evt_google")
    for event_id in ("evt_google", instance["id"], "evt_unknown"):
        refused(lambda event_id=event_id: admin.add_attendee(event_id, "dan@acme.test"), 404, "not found")
        refused(lambda event_id=event_id: admin.respond(event_id, "accepted"), 404, "not found")
        refused(lambda event_id=event_id: admin.edit_event(event_id, title="t"), 404, "not found")
    assert loaded(admin, "evt_google")["raw"]["summary"] == "Planning"


def test_a_moved_occurrence_is_an_event_of_its_own(admin: EmulatorAdmin) -> None:
    moved = admin.move_event("evt_weekly", "2027-01-11T17:00:00Z", occurrence="2027-01-11T15:00:00Z")
    assert admin.edit_event(moved["id"], title="Just this one")["raw"]["summary"] == "Just this one"
    assert loaded(admin, "evt_weekly")["raw"]["summary"] == "Weekly"
    # A change to the master afterwards leaves the instance as it is.
    admin.edit_event("evt_weekly", title="All of them")
    assert loaded(admin, moved["id"])["raw"]["summary"] == "Just this one"


@pytest.mark.parametrize(
    ("event_id", "moved", "cancelled"),
    [("evt_weekly", "2027-01-11", "2027-01-18"), ("evt_graph_weekly", "2027-01-12", "2027-01-19")],
)
def test_a_moved_or_cancelled_occurrence_carries_the_series_people(
    admin: EmulatorAdmin, event_id: str, moved: str, cancelled: str
) -> None:
    admin.add_attendee(event_id, "dan@acme.test", response="accepted")
    admin.edit_event(event_id, description="Weekly numbers")
    master = loaded(admin, event_id)["raw"]
    instances = (
        admin.move_event(event_id, f"{moved}T17:00:00Z", occurrence=f"{moved}T15:00:00Z"),
        admin.cancel_occurrence(event_id, f"{cancelled}T15:00:00Z"),
    )
    for instance in instances:
        assert instance["raw"]["attendees"] == master["attendees"]
        assert instance["raw"].get("description") == master.get("description")
        assert instance["raw"].get("body") == master.get("body")
    # A copy: a later change to the master leaves the instances as they are.
    admin.add_attendee(event_id, "eve@acme.test")
    assert len(loaded(admin, instances[0]["id"])["raw"]["attendees"]) == 1


def test_a_change_never_touches_the_payload_it_replaces() -> None:
    # In process: an answer being written, or another event, may hold the old raw.
    clock = Clock()
    clock.set(NOW)
    backend = Backend(calendar=CALENDAR, clock=clock)
    before = backend.events.live("evt_google").raw
    kept = copy.deepcopy(before)
    backend.events.revise("evt_google", lambda event, _now: edit(event, "New", "Text"))
    assert before == kept
    assert backend.events.live("evt_google").raw["summary"] == "New"
