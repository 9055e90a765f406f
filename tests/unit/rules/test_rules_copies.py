"""Rules with Selection's filters, and rules on a meeting several calendars list (its copies)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from airflow_provider_meetstream.rules import RecordingRules
from airflow_provider_meetstream.utils.calendar_meetings import Meeting
from airflow_provider_meetstream.utils.selection import Selection
from tests.unit.rules.meetings import decide, item, meeting, read, window_of
from tests.unit.rules.payloads import GOOGLE_IO, GOOGLE_WITH_ROOM_AND_SELF, GRAPH_WITH_ROOM

ALLOWED = "recorded: the rules allow it"
#: GOOGLE_IO as its owner hosts it: accepted, recurring, three people of example.com.
EVERY_RULE = {
    "internal_domains": ["example.com"],
    "record": "internal",
    "organizer_in": ["owner@example.com"],
    "calendar_owner_is_organizer": True,
    "min_attendees": 3,
    "max_attendees": 3,
    "only_accepted": True,
    "recurring": True,
}


def on_meet(raw: dict[str, Any], **listing: Any) -> Meeting:
    """``raw``'s meeting, listed as a Google Meet meeting."""
    entry = item(raw, **listing)
    entry["meeting_platform"] = "google_meet"
    (found,) = read([entry], window_of(raw))
    return found


def lpage_copy() -> dict[str, Any]:
    """GOOGLE_WITH_ROOM_AND_SELF as lpage@example.com, who hosts it, sees it in their calendar."""
    raw = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
    raw["id"] = "ioevent2015room_lpage"
    raw["organizer"]["self"] = True
    del raw["attendees"][1]["self"]
    raw["attendees"][0]["self"] = True
    return raw


def alex_copy() -> dict[str, Any]:
    """GRAPH_WITH_ROOM as Alex Wilber, who hosts it, sees it: his own id, the same iCalUId."""
    raw = copy.deepcopy(GRAPH_WITH_ROOM)
    raw["id"] = "AAMkAlexW="
    raw["isOrganizer"] = True
    raw["responseStatus"] = {"response": "organizer", "time": "0001-01-01T00:00:00Z"}
    return raw


def both(first: dict[str, Any], second: dict[str, Any], *calendars: str) -> Meeting:
    """The one meeting two calendars list (event ids evt_a and evt_b: the first is the primary)."""
    listing = [
        item(first, event_id="evt_a", calendar_id=calendars[0]),
        item(second, event_id="evt_b", calendar_id=calendars[1]),
    ]
    (found,) = read(listing, window_of(first))
    assert [c.calendar_id for c in (found, *found.copies)] == list(calendars)
    return found


class TestSeveralRules:
    def test_all_hold(self) -> None:
        assert decide(EVERY_RULE, meeting(GOOGLE_IO)).reason == "recorded: every attendee is from example.com"

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            (
                {"organizer_in": ["lpage@example.com"]},
                "skipped: its host is not one in organizer_in",
            ),
            ({"recurring": False}, "skipped: a recurring meeting"),
            ({"min_attendees": 4, "max_attendees": 9}, "skipped: 3 attendee(s), fewer than min_attendees 4"),
            ({"min_attendees": 0, "max_attendees": 2}, "skipped: 3 attendees, more than max_attendees 2"),
            ({"record": "external"}, "skipped: no attendee known to be outside example.com"),
        ],
    )
    def test_one_fails(self, change: dict, reason: str) -> None:
        assert decide({**EVERY_RULE, **change}, meeting(GOOGLE_IO)).reason == reason

    def test_the_first_failing_reason_is_given(self) -> None:
        guest = meeting(GOOGLE_WITH_ROOM_AND_SELF)  # sbrin: not the host, not answered
        rules = {**EVERY_RULE, "organizer_in": ["nobody@example.com"], "min_attendees": 9, "max_attendees": 9}
        assert decide(rules, guest).reason == "skipped: not accepted by the calendar's owner (needs action)"
        rules["only_accepted"] = False
        assert decide(rules, guest).reason == "skipped: the calendar's owner does not host it"
        rules["calendar_owner_is_organizer"] = False
        assert decide(rules, guest).reason == "skipped: its host is not one in organizer_in"
        rules["organizer_in"] = ["LPAGE@example.com"]
        assert decide(rules, guest).reason == "skipped: not a recurring meeting"
        rules["recurring"] = None
        assert decide(rules, guest).reason == "skipped: 4 attendee(s), fewer than min_attendees 9"
        rules.update(min_attendees=None, max_attendees=None)
        assert decide(rules, guest).reason == "skipped: an attendee from example.net (internal only)"
        rules["record"] = "external"
        assert decide(rules, guest).reason == "recorded: an attendee from example.net"


class TestWithSelection:
    def test_filters_and_rules_all_hold(self) -> None:
        found = on_meet(GOOGLE_IO)
        selection = Selection(
            title_pattern=r"google i/o",
            platforms=frozenset({"google_meet"}),
            calendar_ids=frozenset({"cal_test"}),
            select=lambda m: m.owner_hosts is True,
            rules=RecordingRules.from_value(EVERY_RULE),
        )
        assert decide(selection, found).reason == "recorded: every attendee is from example.com"
        assert selection(found) is True

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"title_pattern": "stand-up"}, "skipped: the title does not match title_pattern"),
            ({"platforms": frozenset({"zoom"})}, "skipped: on google_meet, not in platforms"),
            ({"calendar_ids": frozenset({"cal_other"})}, "skipped: calendar cal_test is not in calendar_ids"),
            ({"select": lambda m: False}, "skipped: select returned false"),
        ],
        ids=["title", "platform", "calendar", "select"],
    )
    def test_a_filter_fails_before_the_rules(self, changes: dict, reason: str) -> None:
        rules = RecordingRules(opt_in_markers=("google",))
        selection = Selection(**{"title_pattern": "I/O", "rules": rules, **changes})
        assert decide(selection, on_meet(GOOGLE_IO)).reason == reason
        assert selection(on_meet(GOOGLE_IO)) is False

    def test_the_rules_fail_after_the_filters(self) -> None:
        selection = Selection(title_pattern="I/O", rules=RecordingRules(calendar_owner_is_organizer=True))
        assert decide(selection, meeting(GOOGLE_WITH_ROOM_AND_SELF)).reason == (
            "skipped: the calendar's owner does not host it"
        )

    def test_without_rules_nothing_changes(self) -> None:
        declined = meeting(GRAPH_WITH_ROOM)
        opted_out = copy.deepcopy(GOOGLE_IO)
        opted_out["summary"] = "Google I/O #norecord"
        for found in (declined, meeting(opted_out)):
            assert decide(Selection(), found).reason == "recorded: selected"
            assert not decide(Selection(rules=RecordingRules()), found).record
        assert decide(Selection(), meeting(GOOGLE_IO, meeting_url=None)).reason == "skipped: no meeting link"


class TestCopies:
    def test_recorded_when_one_owner_hosts(self) -> None:
        found = both(GOOGLE_WITH_ROOM_AND_SELF, lpage_copy(), "cal_sbrin", "cal_lpage")
        for rules in ({"only_accepted": True}, {"calendar_owner_is_organizer": True}):
            assert decide(rules, found).reason == "recorded: the rules allow it (calendar cal_lpage)"
        assert decide({}, found).reason == "recorded: the rules allow it (calendar cal_sbrin)"

    def test_recorded_when_one_owner_accepted(self) -> None:
        accepted = copy.deepcopy(GOOGLE_WITH_ROOM_AND_SELF)
        accepted["id"] = "ioevent2015room_guest"
        del accepted["attendees"][1]["self"]
        accepted["attendees"][3]["self"] = True  # guest@example.com: tentative
        found = both(GOOGLE_WITH_ROOM_AND_SELF, accepted, "cal_sbrin", "cal_guest")
        assert not decide({"only_accepted": True}, found).record
        accepted["attendees"][3]["responseStatus"] = "accepted"
        found = both(GOOGLE_WITH_ROOM_AND_SELF, accepted, "cal_sbrin", "cal_guest")
        assert (
            decide({"only_accepted": True}, found).reason
            == "recorded: the rules allow it (calendar cal_guest)"
        )

    def test_graph_declined_in_one_calendar_hosted_in_another(self) -> None:
        found = both(GRAPH_WITH_ROOM, alex_copy(), "cal_christie", "cal_alex")
        assert found.owner_hosts is False
        assert found.copies[0].owner_hosts is True
        assert decide({}, found).reason == "recorded: the rules allow it (calendar cal_alex)"
        assert decide({"calendar_owner_is_organizer": True}, found).reason == (
            "recorded: the rules allow it (calendar cal_alex)"
        )

    def test_skipped_when_no_copy_holds_naming_each_calendar(self) -> None:
        found = both(GOOGLE_WITH_ROOM_AND_SELF, lpage_copy(), "cal_sbrin", "cal_lpage")
        reason = decide({"organizer_in": ["owner@example.com"]}, found).reason
        assert reason == (
            "skipped: its host is not one in organizer_in (calendar cal_sbrin); "
            "skipped: its host is not one in organizer_in (calendar cal_lpage)"
        )
        graph = both(GRAPH_WITH_ROOM, alex_copy(), "cal_christie", "cal_alex")
        assert decide({"recurring": True, "skip_declined": True}, graph).reason == (
            "skipped: declined by the calendar's owner (calendar cal_christie); "
            "skipped: not a recurring meeting (calendar cal_alex)"
        )

    @pytest.mark.parametrize("where", ["first", "second"])
    def test_an_opt_out_marker_in_any_copy_skips(self, where: str) -> None:
        marked = lpage_copy()
        marked["description"] += " #NoRecord"
        pair = (
            (marked, GOOGLE_WITH_ROOM_AND_SELF) if where == "first" else (GOOGLE_WITH_ROOM_AND_SELF, marked)
        )
        calendars = ("cal_lpage", "cal_sbrin") if where == "first" else ("cal_sbrin", "cal_lpage")
        found = both(*pair, *calendars)
        assert decide({"opt_in_markers": ["google"]}, found).reason == (
            "skipped: opt-out marker #norecord in the description (calendar cal_lpage)"
        )

    def test_the_same_start_and_link_under_another_uid(self) -> None:
        other = lpage_copy()
        other["iCalUID"] = "imported-copy@example.com"
        listing = [
            item(GOOGLE_WITH_ROOM_AND_SELF, event_id="evt_a", calendar_id="cal_sbrin"),
            item(other, event_id="evt_b", calendar_id="cal_lpage"),
        ]
        (found,) = read(listing, window_of(other))
        assert decide({"calendar_owner_is_organizer": True}, found).reason == (
            "recorded: the rules allow it (calendar cal_lpage)"
        )

    def test_a_copy_of_an_unknown_calendar(self) -> None:
        listing = [
            item(GOOGLE_WITH_ROOM_AND_SELF, event_id="evt_a", calendar_id="cal_sbrin"),
            item(lpage_copy(), event_id="evt_b"),
        ]
        listing[1]["calendar_id"] = None
        (found,) = read(listing, window_of(GOOGLE_WITH_ROOM_AND_SELF))
        assert (
            decide({"only_accepted": True}, found).reason == "recorded: the rules allow it (calendar unknown)"
        )
        assert decide({"recurring": True}, found).reason == (
            "skipped: not a recurring meeting (calendar cal_sbrin); "
            "skipped: not a recurring meeting (calendar unknown)"
        )

    def test_a_selected_calendar_keeps_its_copy(self) -> None:
        # Any copy in a selected calendar keeps the meeting, whichever copy's event id sorts first.
        found = both(GOOGLE_WITH_ROOM_AND_SELF, lpage_copy(), "cal_sbrin", "cal_lpage")
        assert decide(Selection(calendar_ids=frozenset({"cal_lpage"})), found).record
