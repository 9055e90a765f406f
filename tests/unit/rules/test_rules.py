"""Each recording rule applied to Google's and Graph's documented payloads, with the reason it gives."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from airflow_provider_meetstream.rules import RecordingRules
from tests.unit.rules.meetings import decide, meeting
from tests.unit.rules.payloads import (
    GOOGLE_IO,
    GOOGLE_WITH_ROOM_AND_SELF,
    GRAPH_CREATE_EVENT,
    GRAPH_GET_EVENT,
    GRAPH_OCCURRENCE,
    GRAPH_WITH_ROOM,
)

ALLOWED = "recorded: the rules allow it"
#: Christie Cline declined GRAPH_WITH_ROOM: rules on its other traits need skip_declined off.
KEEP_DECLINED = {"skip_declined": False}


def edited(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``raw`` with top-level keys replaced (None deletes one)."""
    found = copy.deepcopy(raw)
    for key, value in changes.items():
        if value is None:
            found.pop(key, None)
        else:
            found[key] = value
    return found


def google_owner(response: str | None = "needsAction") -> dict[str, Any]:
    """GOOGLE_WITH_ROOM_AND_SELF with sbrin's (the calendar owner's) response changed, or self dropped."""
    raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
    if response is None:
        del raw["attendees"][1]["self"]
    else:
        raw["attendees"][1]["responseStatus"] = response
    return raw


def graph_owner(response: str) -> dict[str, Any]:
    return edited(GRAPH_WITH_ROOM, responseStatus={"response": response, "time": "2019-12-21T05:16:48Z"})


def with_attendee(raw: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    found = copy.deepcopy(raw)
    found.setdefault("attendees", []).append(entry)
    return found


class TestRecordExternalAndInternal:
    def test_google_with_a_partner(self) -> None:
        found = meeting(GOOGLE_WITH_ROOM_AND_SELF)
        rules = {"internal_domains": ["example.com"]}
        assert (
            decide({**rules, "record": "external"}, found).reason == "recorded: an attendee from example.net"
        )
        assert decide({**rules, "record": "internal"}, found).reason == (
            "skipped: an attendee from example.net (internal only)"
        )
        assert decide({**rules, "record": "all"}, found).reason == ALLOWED

    def test_google_all_inside(self) -> None:
        found = meeting(GOOGLE_IO)
        rules = {"internal_domains": ["example.com"]}
        assert decide({**rules, "record": "external"}, found).reason == (
            "skipped: no attendee known to be outside example.com"
        )
        assert decide({**rules, "record": "internal"}, found).reason == (
            "recorded: every attendee is from example.com"
        )

    def test_graph(self) -> None:
        found = meeting(GRAPH_WITH_ROOM)
        inside = {**KEEP_DECLINED, "internal_domains": ["contoso.onmicrosoft.com"]}
        assert decide({**inside, "record": "internal"}, found).reason == (
            "recorded: every attendee is from contoso.onmicrosoft.com"
        )
        assert not decide({**inside, "record": "external"}, found).record
        # A tenant's onmicrosoft.com domain is not under its own domain.
        outside = {**KEEP_DECLINED, "internal_domains": ["contoso.com"], "record": "external"}
        assert decide(outside, found).reason == "recorded: an attendee from contoso.onmicrosoft.com"
        created = meeting(GRAPH_CREATE_EVENT)
        assert decide({"internal_domains": ["contoso.com"], "record": "internal"}, created).record
        assert not decide({"internal_domains": ["contoso.com"], "record": "external"}, created).record

    @pytest.mark.parametrize(
        ("raw", "own", "entry"),
        [
            (GOOGLE_IO, "example.com", {"email": "cfo@eu.example.com", "responseStatus": "accepted"}),
            (GRAPH_CREATE_EVENT, "contoso.com", {"emailAddress": {"address": "cfo@eu.contoso.com"}}),
        ],
        ids=["google", "graph"],
    )
    def test_a_subdomain_is_inside(self, raw: dict, own: str, entry: dict) -> None:
        found = meeting(with_attendee(raw, entry))
        assert decide({"internal_domains": [own], "record": "internal"}, found).record
        assert not decide({"internal_domains": [own], "record": "external"}, found).record

    @pytest.mark.parametrize(
        ("raw", "own", "entry"),
        [
            (GOOGLE_IO, "example.com", {"email": "x@notexample.com"}),
            (GRAPH_CREATE_EVENT, "contoso.com", {"emailAddress": {"address": "x@notcontoso.com"}}),
        ],
        ids=["google", "graph"],
    )
    def test_a_domain_ending_alike_is_outside(self, raw: dict, own: str, entry: dict) -> None:
        found = meeting(with_attendee(raw, entry))
        outside = entry.get("email") or entry["emailAddress"]["address"]
        assert decide({"internal_domains": [own], "record": "external"}, found).reason == (
            f"recorded: an attendee from {outside.partition('@')[2]}"
        )

    def test_rooms_are_not_attendees(self) -> None:
        google = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        del google["attendees"][2]  # the partner: the room remains, in resource.calendar.google.com
        graph = copy.deepcopy(GRAPH_WITH_ROOM)
        graph["attendees"][3]["emailAddress"]["address"] = "cf100@fabrikam.com"
        for raw, own in ((google, "example.com"), (graph, "contoso.onmicrosoft.com")):
            found = meeting(raw)
            rules = {**KEEP_DECLINED, "internal_domains": [own]}
            assert decide({**rules, "record": "internal"}, found).record
            assert not decide({**rules, "record": "external"}, found).record

    @pytest.mark.parametrize(
        ("raw", "own", "entry"),
        [
            (GOOGLE_IO, "example.com", {"displayName": "Dial-in guest", "responseStatus": "accepted"}),
            (GOOGLE_IO, "example.com", {"email": "not-an-address"}),
            (GRAPH_CREATE_EVENT, "contoso.com", {"type": "required", "emailAddress": {"name": "Guest"}}),
            (GRAPH_CREATE_EVENT, "contoso.com", {"emailAddress": {"address": "a@b@contoso.com"}}),
        ],
        ids=["google-no-email", "google-no-domain", "graph-no-address", "graph-two-at"],
    )
    def test_an_unknown_address_is_never_internal(self, raw: dict, own: str, entry: dict) -> None:
        found = meeting(with_attendee(raw, entry))
        assert decide({"internal_domains": [own], "record": "internal"}, found).reason == (
            "skipped: an attendee's address is unknown (internal only)"
        )
        assert decide({"internal_domains": [own], "record": "external"}, found).reason == (
            f"skipped: no attendee known to be outside {own}"
        )

    def test_no_attendees_is_not_external(self) -> None:
        alone = meeting(edited(GOOGLE_IO, attendees=None))
        rules = {"internal_domains": ["example.com"]}
        assert not decide({**rules, "record": "external"}, alone).record
        assert decide({**rules, "record": "internal"}, alone).record  # the organizer alone
        unknown = meeting(GRAPH_OCCURRENCE)
        graph = {"internal_domains": ["contoso.com"]}
        assert decide({**graph, "record": "external"}, unknown).reason == (
            "skipped: no attendee known to be outside contoso.com"
        )
        assert (
            decide({**graph, "record": "internal"}, unknown).reason
            == "skipped: its attendees are unknown (internal only)"
        )

    def test_many_domains_are_shortened_in_the_reason(self) -> None:
        rules = {
            "internal_domains": ["example.com", "a.test", "b.test", "c.test", "d.test"],
            "record": "external",
        }
        assert decide(rules, meeting(GOOGLE_IO)).reason == (
            "skipped: no attendee known to be outside example.com, a.test, b.test and 2 more"
        )


class TestOrganizerIn:
    def test_google(self) -> None:
        found = meeting(GOOGLE_WITH_ROOM_AND_SELF)
        assert decide({"organizer_in": ["LPage@Example.COM"]}, found).reason == ALLOWED
        assert decide({"organizer_in": ["sbrin@example.com", "owner@example.com"]}, found).reason == (
            "skipped: its host is not one in organizer_in"
        )

    def test_graph(self) -> None:
        found = meeting(GRAPH_WITH_ROOM)
        assert decide({**KEEP_DECLINED, "organizer_in": ["alexw@contoso.onmicrosoft.com"]}, found).record
        assert decide({"organizer_in": ["samanthab@contoso.com"]}, meeting(GRAPH_CREATE_EVENT)).reason == (
            "skipped: its host is not one in organizer_in"
        )

    def test_an_unknown_host_is_not_in(self) -> None:
        assert decide({"organizer_in": ["a@contoso.com"]}, meeting(GRAPH_OCCURRENCE)).reason == (
            "skipped: its host is unknown (organizer_in)"
        )
        nameless = meeting(edited(GOOGLE_IO, organizer={"displayName": "Events team"}))
        assert not decide({"organizer_in": ["owner@example.com"]}, nameless).record


class TestCalendarOwnerIsOrganizer:
    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (GOOGLE_IO, ALLOWED),
            (GOOGLE_WITH_ROOM_AND_SELF, "skipped: the calendar's owner does not host it"),
            (google_owner(None), "skipped: who hosts it is unknown"),
            (GRAPH_CREATE_EVENT, ALLOWED),
            (GRAPH_WITH_ROOM, "skipped: the calendar's owner does not host it"),
            (GRAPH_GET_EVENT, "skipped: who hosts it is unknown"),
        ],
        ids=["google-hosts", "google-guest", "google-unknown", "graph-hosts", "graph-guest", "graph-unknown"],
    )
    def test_hosts(self, raw: dict, reason: str) -> None:
        rules = {**KEEP_DECLINED, "calendar_owner_is_organizer": True}
        assert decide(rules, meeting(raw)).reason == reason
        assert decide(KEEP_DECLINED, meeting(raw)).reason == ALLOWED


class TestAttendeeCounts:
    def test_google_counts_people_once_and_rooms_never(self) -> None:
        # lpage (organizer and attendee), sbrin, partner, the optional guest; not the room.
        found = meeting(GOOGLE_WITH_ROOM_AND_SELF)
        assert decide({"min_attendees": 4, "max_attendees": 4}, found).reason == ALLOWED
        assert (
            decide({"min_attendees": 5}, found).reason == "skipped: 4 attendee(s), fewer than min_attendees 5"
        )
        assert decide({"max_attendees": 3}, found).reason == "skipped: 4 attendees, more than max_attendees 3"

    def test_the_organizer_once_whatever_the_case(self) -> None:
        raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        raw["organizer"]["email"] = "LPage@Example.com"
        assert decide({"max_attendees": 4}, meeting(raw)).record

    def test_graph_counts_a_group_as_one(self) -> None:
        # engineering@contoso.com, a group, hosts and is invited: one person, with Irvin two.
        found = meeting(GRAPH_GET_EVENT)
        assert decide({"min_attendees": 2, "max_attendees": 2}, found).record
        assert (
            decide({"min_attendees": 3}, found).reason == "skipped: 2 attendee(s), fewer than min_attendees 3"
        )

    def test_graph_rooms_are_not_counted(self) -> None:
        found = meeting(GRAPH_WITH_ROOM)
        assert decide({**KEEP_DECLINED, "max_attendees": 3}, found).record
        assert decide({**KEEP_DECLINED, "max_attendees": 2}, found).reason == (
            "skipped: 3 attendees, more than max_attendees 2"
        )

    def test_unknown_attendees_are_skipped(self) -> None:
        for rules in ({"min_attendees": 1}, {"max_attendees": 50}):
            assert decide(rules, meeting(GRAPH_OCCURRENCE)).reason == "skipped: its attendees are unknown"
        assert decide({}, meeting(GRAPH_OCCURRENCE)).reason == ALLOWED


class TestResponses:
    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (google_owner("accepted"), ALLOWED),
            (google_owner("needsAction"), "skipped: not accepted by the calendar's owner (needs action)"),
            (google_owner("tentative"), "skipped: not accepted by the calendar's owner (tentative)"),
            (google_owner(None), "skipped: not accepted by the calendar's owner (unknown)"),
            (GOOGLE_IO, ALLOWED),
            (graph_owner("accepted"), ALLOWED),
            (graph_owner("tentativelyAccepted"), "skipped: not accepted by the calendar's owner (tentative)"),
            (graph_owner("notResponded"), "skipped: not accepted by the calendar's owner (needs action)"),
            (GRAPH_CREATE_EVENT, ALLOWED),
            (GRAPH_GET_EVENT, "skipped: not accepted by the calendar's owner (unknown)"),
        ],
        ids=[
            "google-accepted",
            "google-needs-action",
            "google-tentative",
            "google-unknown",
            "google-hosts",
            "graph-accepted",
            "graph-tentative",
            "graph-not-responded",
            "graph-hosts",
            "graph-unknown",
        ],
    )
    def test_only_accepted(self, raw: dict, reason: str) -> None:
        assert decide({"only_accepted": True}, meeting(raw)).reason == reason

    def test_only_accepted_when_declined(self) -> None:
        declined = meeting(GRAPH_WITH_ROOM)
        assert decide({"only_accepted": True}, declined).reason == "skipped: declined by the calendar's owner"
        assert decide({"only_accepted": True, "skip_declined": False}, declined).reason == (
            "skipped: not accepted by the calendar's owner (declined)"
        )

    def test_only_accepted_counts_hosting_as_accepting_on_google(self) -> None:
        # "Accepted (or hosts)": a Google owner who hosts, whose own attendee entry has not
        # answered, counts as accepting, as Graph's organizer does.
        raw = copy.deepcopy(GOOGLE_IO)
        raw["attendees"].insert(
            0,
            {"email": "owner@example.com", "organizer": True, "self": True, "responseStatus": "needsAction"},
        )
        found = meeting(raw)
        assert found.owner_hosts is True
        assert decide({"only_accepted": True}, found).reason == ALLOWED

    @pytest.mark.parametrize(
        "raw",
        [google_owner("declined"), GRAPH_WITH_ROOM, graph_owner("declined")],
        ids=["google", "graph", "g2"],
    )
    def test_skip_declined(self, raw: dict) -> None:
        found = meeting(raw)
        assert RecordingRules().skip_declined is True
        assert decide({}, found).reason == "skipped: declined by the calendar's owner"
        assert decide({"skip_declined": True}, found).reason == "skipped: declined by the calendar's owner"
        assert decide({"skip_declined": False}, found).reason == ALLOWED

    def test_someone_else_declining_does_not_count(self) -> None:
        found = meeting(google_owner("accepted"))  # partner@example.net declined
        assert decide({}, found).reason == ALLOWED
        assert decide({"only_accepted": True}, found).record
