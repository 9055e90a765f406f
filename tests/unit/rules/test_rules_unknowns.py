"""What a payload leaves out or blurs: calendars that are no one, partial attendee lists, HTML, IDN hosts."""

from __future__ import annotations

import copy

from airflow_provider_meetstream.rules.people import normal_address, read_description
from tests.unit.rules.meetings import decide, meeting
from tests.unit.rules.payloads import GOOGLE_IO, GRAPH_CREATE_EVENT

EXTERNAL = {"internal_domains": ["example.com"], "record": "external"}
INTERNAL = {"internal_domains": ["example.com"], "record": "internal"}


def test_a_team_calendar_that_hosts_is_no_person_and_no_outsider() -> None:
    raw = copy.deepcopy(GOOGLE_IO)
    raw["organizer"] = {"email": "c_abc123@group.calendar.google.com", "displayName": "Data team"}
    found = meeting(raw)
    assert found.organizer is not None
    assert found.organizer.resource
    assert [p.email for p in found.people()] == ["lpage@example.com", "sbrin@example.com"]
    assert decide(EXTERNAL, found).reason == "skipped: no attendee known to be outside example.com"
    assert decide(INTERNAL, found).reason == "recorded: every attendee is from example.com"


def test_a_graph_payload_without_attendees_is_partial() -> None:
    raw = copy.deepcopy(GRAPH_CREATE_EVENT)
    del raw["attendees"]
    found = meeting(raw)
    assert not found.people_complete
    # Known people are a lower bound: enough for "at least", never for "at most" or "every".
    assert decide({"min_attendees": 1}, found).record
    assert decide({"max_attendees": 5}, found).reason == "skipped: its attendees are unknown"
    contoso = {"internal_domains": ["contoso.com"], "record": "internal"}
    assert decide(contoso, found).reason == "skipped: its attendees are unknown (internal only)"


def test_a_google_organizer_alone_is_everyone() -> None:
    raw = copy.deepcopy(GOOGLE_IO)
    del raw["attendees"]
    found = meeting(raw)
    assert found.people_complete
    assert decide({"max_attendees": 1}, found).record


def test_no_minimum_needs_no_people() -> None:
    raw = copy.deepcopy(GRAPH_CREATE_EVENT)
    raw.pop("organizer")
    raw.pop("attendees")
    assert decide({"min_attendees": 0}, meeting(raw)).record


def test_an_idn_host_matches_organizer_in_in_either_form() -> None:
    raw = copy.deepcopy(GOOGLE_IO)
    raw["organizer"] = {"email": "Owner@Bücher.example"}
    found = meeting(raw)
    assert decide({"organizer_in": ["owner@xn--bcher-kva.example"]}, found).record
    assert normal_address("OWNER@BÜCHER.EXAMPLE.") == "owner@xn--bcher-kva.example"
    assert normal_address("@example.com") is None


def test_html_tags_inside_a_word_do_not_hide_a_marker_and_plain_angles_stay() -> None:
    assert read_description({"description": "Please #no<b>record</b> this"}) == "Please #norecord this"
    assert read_description({"description": "Ana <ana@vendor.example> joins"}) == (
        "Ana <ana@vendor.example> joins"
    )
    raw = copy.deepcopy(GOOGLE_IO)
    raw["description"] = "<p>Please <i>#no</i>record</p>"
    assert decide({}, meeting(raw)).reason == "skipped: opt-out marker #norecord in the description"


def test_graph_is_told_by_its_attendees_alone() -> None:
    from airflow_provider_meetstream.rules.people import read_people

    raw = {"attendees": [{"type": "required", "emailAddress": {"address": "ana@vendor.example"}}]}
    (ana,) = read_people(raw, None).attendees
    assert ana.email == "ana@vendor.example"


def test_a_moved_instance_listed_without_its_people_has_the_series_people() -> None:
    from airflow_provider_meetstream.utils.calendar_meetings import read_calendar
    from tests.unit.rules.meetings import item, window_of
    from tests.unit.rules.payloads import GOOGLE_IO_INSTANCE

    moved = copy.deepcopy(GOOGLE_IO_INSTANCE)
    for key in ("organizer", "attendees", "description"):
        moved.pop(key)
    moved["start"] = {"dateTime": "2015-05-29T10:00:00-07:00", "timeZone": "America/Los_Angeles"}
    listing = [item(GOOGLE_IO, event_id="evt_master"), item(moved, event_id="evt_moved")]
    (found,) = [
        m for m in read_calendar(listing, *window_of(moved)).meetings.values() if m.event_id == "evt_moved"
    ]
    assert [p.email for p in found.people()] == [
        "owner@example.com",
        "lpage@example.com",
        "sbrin@example.com",
    ]
    assert found.description == "A chance to hear more about Google's developer products."
    assert found.recurring


def test_an_attendee_list_cut_short_or_hidden_from_a_guest_is_partial() -> None:
    from tests.unit.rules.payloads import GOOGLE_WITH_ROOM_AND_SELF, GRAPH_WITH_ROOM

    for raw, field, value in (
        (GOOGLE_WITH_ROOM_AND_SELF, "attendeesOmitted", True),
        (GOOGLE_WITH_ROOM_AND_SELF, "guestsCanSeeOtherGuests", False),
        (GRAPH_WITH_ROOM, "hideAttendees", True),
    ):
        changed = {**copy.deepcopy(raw), field: value}
        assert meeting(raw).people_complete
        assert not meeting(changed).people_complete, field
        rules = {"max_attendees": 50, "skip_declined": False}
        assert decide(rules, meeting(changed)).reason == "skipped: its attendees are unknown"


def test_the_organizer_sees_every_attendee_even_when_guests_cannot() -> None:
    raw = {**copy.deepcopy(GOOGLE_IO), "guestsCanSeeOtherGuests": False}
    assert meeting(raw).people_complete


def test_an_occurrence_declined_or_marked_at_its_own_time_is_decided_on_its_own_payload() -> None:
    from airflow_provider_meetstream.utils.calendar_meetings import read_calendar
    from tests.unit.rules.meetings import item, window_of
    from tests.unit.rules.payloads import GOOGLE_IO_INSTANCE

    for change in ({"summary": "Google I/O 2015 #norecord"}, {"attendees": "declined"}):
        instance = copy.deepcopy(GOOGLE_IO_INSTANCE)
        if "attendees" in change:
            instance["attendees"][0]["responseStatus"] = "declined"
            instance["attendees"][0]["self"] = True
        else:
            instance.update(change)
        listing = [item(GOOGLE_IO, event_id="evt_master"), item(instance, event_id="evt_instance")]
        (found,) = read_calendar(listing, *window_of(instance)).meetings.values()
        # Scheduled on the series' occurrence, decided on what this occurrence says.
        assert (found.event_id, found.occurrence_date) == ("evt_master", "2015-05-29T16:00:00Z")
        assert not decide({}, found).record, change
