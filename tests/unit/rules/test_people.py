"""Who a meeting gathers, read from Google's and Graph's documented payloads the way the sync reads them."""

from __future__ import annotations

import copy

import pytest

from airflow_provider_meetstream.rules.people import (
    People,
    Person,
    is_all_day,
    is_recurring,
    read_description,
    read_people,
)
from tests.unit.rules.meetings import GOOGLE, GRAPH, meeting
from tests.unit.rules.payloads import (
    GOOGLE_ALL_DAY,
    GOOGLE_IO,
    GOOGLE_IO_INSTANCE,
    GOOGLE_WITH_ROOM_AND_SELF,
    GRAPH_ALL_DAY,
    GRAPH_CREATE_EVENT,
    GRAPH_EXCEPTION,
    GRAPH_GET_EVENT,
    GRAPH_OCCURRENCE,
    GRAPH_SERIES_MASTER,
    GRAPH_WITH_ROOM,
)

ROOM = "example.com_3132323634@resource.calendar.google.com"


def rows(people: tuple[Person, ...]) -> list[tuple[str | None, str | None, str | None, bool, bool]]:
    return [(p.email, p.name, p.response, p.optional, p.resource) for p in people]


def one_google_attendee(**entry: object) -> Person:
    (person,) = read_people({"attendees": [entry]}, GOOGLE).attendees
    return person


def one_graph_attendee(**entry: object) -> Person:
    (person,) = read_people({"attendees": [entry]}, GRAPH).attendees
    return person


class TestGoogle:
    def test_organizer_attendees_room_and_owner(self) -> None:
        found = meeting(GOOGLE_WITH_ROOM_AND_SELF)
        assert found.organizer == Person("lpage@example.com", None, "accepted")
        assert rows(found.attendees) == [
            ("lpage@example.com", None, "accepted", False, False),
            ("sbrin@example.com", None, "needs_action", False, False),
            ("partner@example.net", "Partner", "declined", False, False),
            ("guest@example.com", None, "tentative", True, False),
            (ROOM, "NYC-2-Training Room 1A (16)", "accepted", False, True),
        ]
        assert found.owner == Person("sbrin@example.com", None, "needs_action")
        assert found.owner_hosts is False
        assert found.recurring is False
        assert found.all_day is False
        assert found.description == "A chance to hear more about Google's developer products."

    @pytest.mark.parametrize(
        ("status", "response"),
        [
            ("accepted", "accepted"),
            ("declined", "declined"),
            ("tentative", "tentative"),
            ("needsAction", "needs_action"),
            ("maybe", None),
            ("Accepted", None),
            (1, None),
            (None, None),
        ],
    )
    def test_responses(self, status: object, response: str | None) -> None:
        assert one_google_attendee(email="a@example.com", responseStatus=status).response == response

    def test_a_room_address_is_a_room_without_the_flag(self) -> None:
        raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        del raw["attendees"][4]["resource"]
        raw["attendees"][4]["email"] = ROOM.upper()
        assert meeting(raw).attendees[4].resource is True
        assert one_google_attendee(email="board@example.com", resource=True).resource is True
        assert one_google_attendee(email="board@example.com", resource="true").resource is False

    def test_the_organizer_takes_the_response_of_their_own_entry(self) -> None:
        raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        raw["attendees"][0]["responseStatus"] = "tentative"
        assert meeting(raw).organizer == Person("lpage@example.com", None, "tentative")

    def test_the_owner_hosts_by_organizer_self(self) -> None:
        found = meeting(GOOGLE_IO)
        assert found.organizer == Person("owner@example.com", None, "accepted")
        assert found.owner == Person("owner@example.com", None, "accepted")
        assert found.owner_hosts is True
        assert rows(found.attendees) == [
            ("lpage@example.com", None, "needs_action", False, False),
            ("sbrin@example.com", None, "needs_action", False, False),
        ]

    def test_the_owner_hosts_by_their_own_organizer_entry(self) -> None:
        raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        del raw["attendees"][1]["self"]
        raw["attendees"][0]["self"] = True
        found = meeting(raw)
        assert found.owner == Person("lpage@example.com", None, "accepted")
        assert found.owner_hosts is True

    def test_the_owner_is_unknown_without_self(self) -> None:
        raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        del raw["attendees"][1]["self"]
        found = meeting(raw)
        assert found.owner is None
        assert found.owner_hosts is None
        assert found.organizer == Person("lpage@example.com", None, "accepted")

    def test_an_owner_without_a_known_organizer_may_host_or_not(self) -> None:
        raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        del raw["organizer"]
        found = meeting(raw)
        assert found.organizer is None
        assert found.owner == Person("sbrin@example.com", None, "needs_action")
        assert found.owner_hosts is None

    def test_recurring(self) -> None:
        occurrence = meeting(GOOGLE_IO)
        assert occurrence.recurring is True
        assert occurrence.occurrence_date == "2015-05-28T16:00:00Z"
        instance = meeting(GOOGLE_IO_INSTANCE)
        assert instance.recurring is True
        assert instance.occurrence_date is None
        assert meeting(GOOGLE_WITH_ROOM_AND_SELF).recurring is False

    def test_all_day(self) -> None:
        assert meeting(GOOGLE_ALL_DAY).all_day is True
        assert meeting(GOOGLE_IO).all_day is False

    def test_an_html_description_is_read_as_text(self) -> None:
        raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        raw["description"] = "<p><b>Agenda</b>: Q&amp;A &lt;draft&gt;</p><br>Notes&nbsp;&#35;1"
        assert " ".join(meeting(raw).description.split()) == "Agenda: Q&A <draft> Notes #1"
        del raw["description"]
        assert meeting(raw).description == ""


class TestGraph:
    def test_get_event_lacks_the_owner(self) -> None:
        found = meeting(GRAPH_GET_EVENT)
        assert found.organizer == Person("engineering@contoso.com", "Engineering", "accepted")
        assert rows(found.attendees) == [
            ("engineering@contoso.com", "Engineering", "needs_action", False, False),
            ("IrvinS@contoso.com", "Irvin Sayers", "needs_action", False, False),
        ]
        assert found.owner is None
        assert found.owner_hosts is None
        assert found.recurring is False
        assert found.all_day is False

    def test_the_owner_hosts_by_is_organizer(self) -> None:
        found = meeting(GRAPH_CREATE_EVENT)
        assert found.organizer == Person("danas@contoso.com", "Dana Swope", "accepted")
        assert found.owner == found.organizer
        assert found.owner_hosts is True
        assert rows(found.attendees) == [
            ("samanthab@contoso.com", "Samantha Booth", "needs_action", False, False)
        ]

    def test_the_owner_response_and_a_room(self) -> None:
        found = meeting(GRAPH_WITH_ROOM)
        assert found.owner == Person(None, None, "declined")
        assert found.owner_hosts is False
        assert found.organizer == Person("AlexW@contoso.OnMicrosoft.com", "Alex Wilber", "accepted")
        assert [p.resource for p in found.attendees] == [False, False, False, True]
        assert found.attendees[3] == Person("cf100@contoso.com", "Conf Room 100", "accepted", resource=True)

    @pytest.mark.parametrize(
        ("status", "response"),
        [
            ("accepted", "accepted"),
            ("organizer", "accepted"),
            ("declined", "declined"),
            ("tentativelyAccepted", "tentative"),
            ("none", "needs_action"),
            ("notResponded", "needs_action"),
            ("tentative", None),
            (None, None),
        ],
    )
    def test_responses(self, status: object, response: str | None) -> None:
        person = one_graph_attendee(emailAddress={"address": "a@contoso.com"}, status={"response": status})
        assert person.response == response
        raw = copy.deepcopy(GRAPH_WITH_ROOM)
        raw["responseStatus"]["response"] = status
        owner = meeting(raw).owner
        # isOrganizer false: the owner is known to exist, their response may not be.
        assert owner == Person(None, None, response)

    def test_optional_and_required(self) -> None:
        optional = one_graph_attendee(type="optional", emailAddress={"address": "a@contoso.com"})
        assert (optional.optional, optional.resource) == (True, False)
        required = one_graph_attendee(type="required", emailAddress={"address": "a@contoso.com"})
        assert (required.optional, required.resource) == (False, False)

    def test_the_owner_response_without_is_organizer(self) -> None:
        raw = copy.deepcopy(GRAPH_GET_EVENT)
        raw["responseStatus"] = {"response": "tentativelyAccepted", "time": "2014-11-01T00:00:00Z"}
        found = meeting(raw)
        assert found.owner == Person(None, None, "tentative")
        assert found.owner_hosts is None

    @pytest.mark.parametrize(
        "raw",
        [GRAPH_SERIES_MASTER, GRAPH_OCCURRENCE, GRAPH_EXCEPTION],
        ids=["series", "occurrence", "exception"],
    )
    def test_recurring(self, raw: dict) -> None:
        assert meeting(raw).recurring is True

    def test_single_instance_is_not_recurring(self) -> None:
        assert meeting(GRAPH_CREATE_EVENT).recurring is False
        assert is_recurring({"type": "seriesMaster"}) is True
        assert is_recurring({"type": "singleInstance", "seriesMasterId": None, "recurrence": None}) is False

    def test_all_day(self) -> None:
        assert meeting(GRAPH_ALL_DAY).all_day is True
        assert meeting(GRAPH_CREATE_EVENT).all_day is False
        assert is_all_day({"isAllDay": "true"}) is False

    def test_the_html_body_is_read_as_text(self) -> None:
        description = meeting(GRAPH_GET_EVENT).description
        assert "<" not in description
        assert " ".join(description.split()) == (
            "New Product Regulations Strategy Online Touchpoint Meeting You're receiving this message "
            "because you're a member of the Engineering group. If you don't want to receive any messages "
            "or events from this group, stop following it in your inbox. View group conversations | View "
            "group files"
        )
        raw = copy.deepcopy(GRAPH_CREATE_EVENT)
        raw["body"]["content"] = "<html><body><p>Q&amp;A&nbsp;&lt;draft&gt; &#35;1</p></body></html>"
        assert " ".join(meeting(raw).description.split()) == "Q&A <draft> #1"

    def test_the_body_preview_when_there_is_no_body(self) -> None:
        raw = copy.deepcopy(GRAPH_CREATE_EVENT)
        del raw["body"]
        assert meeting(raw).description == "Does noon work for you?"
        raw["body"] = "Does noon work?"
        assert meeting(raw).description == "Does noon work for you?"
        assert meeting(GRAPH_OCCURRENCE).description == ""


class TestUnknownRatherThanErrors:
    @pytest.mark.parametrize(
        "attendees",
        ["x@example.com", {"email": "x@example.com"}, None, [], ["x@example.com", None, 3, ["a"]]],
        ids=["text", "dict", "null", "empty", "items-not-dicts"],
    )
    @pytest.mark.parametrize("platform", [GOOGLE, GRAPH])
    def test_attendees_of_the_wrong_shape(self, attendees: object, platform: str) -> None:
        assert read_people({"attendees": attendees}, platform).attendees == ()

    @pytest.mark.parametrize("platform", [GOOGLE, GRAPH])
    def test_attendees_not_iterable(self, platform: str) -> None:
        # Not a list: unknown, never an error that would stop the whole sync.
        assert read_people({"attendees": 5}, platform).attendees == ()

    def test_attendees_not_iterable_through_the_calendar(self) -> None:
        raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        raw["attendees"] = 0.5
        assert meeting(raw).attendees == ()

    @pytest.mark.parametrize(
        "entry",
        [
            {"email": ["a@example.com"], "displayName": 3, "responseStatus": ["accepted"]},
            {"email": "   ", "optional": "yes", "resource": 1},
            {},
        ],
    )
    def test_google_attendee_fields_of_the_wrong_type(self, entry: dict) -> None:
        assert read_people({"attendees": [entry]}, GOOGLE).attendees == (Person(None),)

    @pytest.mark.parametrize(
        ("entry", "response"),
        [
            ({"type": "required", "status": {"response": "accepted"}}, "accepted"),
            ({"emailAddress": "a@contoso.com", "status": "accepted"}, None),
            (
                {"emailAddress": {"address": 5, "name": ["x"]}, "status": {"response": {"a": 1}}, "type": 3},
                None,
            ),
            ({"emailAddress": None, "status": None}, None),
        ],
    )
    def test_graph_attendee_fields_of_the_wrong_type(self, entry: dict, response: str | None) -> None:
        assert read_people({"attendees": [entry]}, GRAPH).attendees == (Person(None, None, response),)

    @pytest.mark.parametrize("organizer", ["lpage@example.com", None, 7, ["lpage@example.com"], {}])
    @pytest.mark.parametrize("platform", [GOOGLE, GRAPH])
    def test_an_organizer_that_is_not_a_dict(self, organizer: object, platform: str) -> None:
        people = read_people({"organizer": organizer, "isOrganizer": "yes"}, platform)
        assert (people.organizer, people.owner, people.owner_hosts) == (None, None, None)

    def test_graph_organizer_without_email_address(self) -> None:
        raw = copy.deepcopy(GRAPH_WITH_ROOM)
        raw["organizer"] = {"emailAddress": {"name": "Alex Wilber"}}
        assert meeting(raw).organizer == Person(None, "Alex Wilber", "accepted")
        raw["organizer"] = {"emailAddress": "AlexW@contoso.OnMicrosoft.com"}
        assert meeting(raw).organizer is None

    def test_google_self_must_be_true(self) -> None:
        people = read_people(
            {
                "organizer": {"email": "a@example.com", "self": "true"},
                "attendees": [{"email": "b@x.com", "self": 1}],
            },
            GOOGLE,
        )
        assert (people.owner, people.owner_hosts) == (None, None)

    @pytest.mark.parametrize(
        "status", [None, "declined", {"response": "maybe"}, {"response": None}, {}], ids=repr
    )
    def test_graph_owner_response_unknown(self, status: object) -> None:
        raw = copy.deepcopy(GRAPH_GET_EVENT)
        raw["responseStatus"] = status
        assert meeting(raw).owner is None

    def test_graph_is_organizer_true_names_the_organizer_as_owner(self) -> None:
        people = read_people({"isOrganizer": True, "responseStatus": {"response": "declined"}}, GRAPH)
        assert (people.owner, people.owner_hosts) == (Person(None, None, "accepted"), True)

    @pytest.mark.parametrize("platform", [GOOGLE, GRAPH, None])
    def test_an_empty_payload(self, platform: str | None) -> None:
        assert read_people({}, platform) == People()

    @pytest.mark.parametrize(
        "raw",
        [
            {"description": 5, "body": {"content": ["x"]}, "bodyPreview": None},
            {"body": "text", "bodyPreview": 3},
            {"description": None},
        ],
    )
    def test_descriptions_of_the_wrong_type(self, raw: dict) -> None:
        assert read_description(raw) == ""

    @pytest.mark.parametrize(
        "raw",
        [{"start": "2015-05-28"}, {"start": {"date": ""}}, {"start": None}, {"isAllDay": 1}, {}],
        ids=repr,
    )
    def test_all_day_unknown(self, raw: dict) -> None:
        assert is_all_day(raw) is False

    @pytest.mark.parametrize(
        "raw",
        [{"recurrence": []}, {"recurrence": None}, {"type": ["occurrence"]}, {"type": {"a": 1}}, {}],
        ids=repr,
    )
    def test_recurring_unknown(self, raw: dict) -> None:
        assert is_recurring(raw) is False


class TestPlatform:
    @pytest.mark.parametrize("platform", [None, "", "zoom", "microsoft"])
    def test_graph_told_by_its_field_names(self, platform: str | None) -> None:
        assert read_people(GRAPH_WITH_ROOM, platform) == read_people(GRAPH_WITH_ROOM, GRAPH)
        assert read_people(GRAPH_WITH_ROOM, GRAPH).organizer is not None
        organizer_only = {"organizer": GRAPH_WITH_ROOM["organizer"]}
        assert read_people(organizer_only, platform).organizer == Person(
            "AlexW@contoso.OnMicrosoft.com", "Alex Wilber", "accepted"
        )

    @pytest.mark.parametrize("platform", [None, "", "zoom", "google"])
    def test_google_told_by_its_field_names(self, platform: str | None) -> None:
        assert read_people(GOOGLE_WITH_ROOM_AND_SELF, platform) == read_people(
            GOOGLE_WITH_ROOM_AND_SELF, GOOGLE
        )
        assert read_people(GOOGLE_WITH_ROOM_AND_SELF, GOOGLE).owner is not None

    def test_the_platform_given_wins(self) -> None:
        attendees_only = {"attendees": GRAPH_WITH_ROOM["attendees"]}
        assert read_people(attendees_only, GRAPH).attendees[0].email == "AlexW@contoso.OnMicrosoft.com"
        # Told Google, a Graph payload's people are unknown rather than misread.
        misread = read_people(GRAPH_WITH_ROOM, GOOGLE)
        assert misread.organizer is None
        assert {p.email for p in misread.attendees} == {None}
