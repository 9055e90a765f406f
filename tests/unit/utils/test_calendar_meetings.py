"""The meetings a calendar listing holds: single events, series and their exceptions, and the selection."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from meetstream_fakes import T0, WINDOW, single, weekly_master

from airflow_provider_meetstream.utils.calendar_meetings import read_calendar
from airflow_provider_meetstream.utils.selection import Selection

UTC = timezone.utc


def google_instance(event_id: str, original: datetime, start: datetime, *, cancelled: bool = False) -> dict:
    event = single(event_id, start, title="Team stand-up", ical_uid="evt_weekly@example.com")
    event["meeting_url"] = "https://meet.google.com/evt_weekly"
    event["raw"] = {
        "id": f"g_weekly_{original:%Y%m%dT%H%M%SZ}",
        "summary": "Team stand-up",
        "recurringEventId": "g_weekly",
        "originalStartTime": {"dateTime": original.isoformat(), "timeZone": "America/New_York"},
        **({"status": "cancelled"} if cancelled else {}),
    }
    return event


def meetings(events: list[dict]) -> list[tuple[str, str, str | None]]:
    calendar = read_calendar(events, *WINDOW)
    return sorted(
        (m.start.isoformat(), m.event_id, m.occurrence_date)
        for m in calendar.meetings.values()
        if WINDOW[0] <= m.start < WINDOW[1]
    )


class TestReadCalendar:
    def test_single_events_in_the_window_only(self) -> None:
        events = [
            single("evt_in", T0 + timedelta(hours=2)),
            single("evt_before", T0 - timedelta(hours=1)),
            single("evt_after", T0 + timedelta(days=8)),
        ]
        assert [m[1] for m in meetings(events)] == ["evt_in"]
        # Listed events outside the window stay known, so a bot can be told its meeting moved away.
        assert len(read_calendar(events, *WINDOW).meetings) == 3

    def test_a_series_gives_its_occurrences_in_the_window(self) -> None:
        # Monday 2027-02-08 is the only Monday in [Wed 02-03, Wed 02-10).
        assert meetings([weekly_master()]) == [
            ("2027-02-08T14:00:00+00:00", "evt_weekly", "2027-02-08T14:00:00Z")
        ]

    def test_a_moved_occurrence_replaces_its_original(self) -> None:
        original = datetime(2027, 2, 8, 14, 0, tzinfo=UTC)
        moved = original + timedelta(hours=1)
        calendar = read_calendar([weekly_master(), google_instance("evt_moved", original, moved)], *WINDOW)
        (meeting,) = calendar.meetings.values()
        assert (meeting.start, meeting.event_id, meeting.occurrence_date) == (moved, "evt_moved", None)
        # Known by the slot it came from, so its bot follows it instead of a second bot being added.
        assert meeting.identity == "evt_weekly@example.com|2027-02-08T14:00:00Z"

    def test_a_cancelled_occurrence_is_removed(self) -> None:
        original = datetime(2027, 2, 8, 14, 0, tzinfo=UTC)
        calendar = read_calendar(
            [weekly_master(), google_instance("evt_x", original, original, cancelled=True)], *WINDOW
        )
        assert calendar.meetings == {}
        assert calendar.cancelled == {"evt_weekly@example.com|2027-02-08T14:00:00Z"}

    def test_an_occurrence_moved_out_of_the_window_is_no_meeting_in_it(self) -> None:
        original = datetime(2027, 2, 8, 14, 0, tzinfo=UTC)
        moved = original + timedelta(days=10)
        calendar = read_calendar([weekly_master(), google_instance("evt_far", original, moved)], *WINDOW)
        (meeting,) = calendar.meetings.values()
        assert meeting.start == moved  # kept, so the plan can say it moved out of the window

    def test_graph_exceptions(self) -> None:
        master = single("evt_teams", datetime(2027, 1, 4, 15, 0, tzinfo=UTC), title="Review")
        master["raw"] = {
            "id": "AAMk_master",
            "subject": "Review",
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "tuesday"]},
                "range": {"type": "noEnd", "startDate": "2027-01-04", "recurrenceTimeZone": "UTC"},
            },
        }
        moved = single("evt_teams_moved", datetime(2027, 2, 8, 17, 0, tzinfo=UTC), title="Review")
        moved["ical_uid"] = master["ical_uid"]
        moved["raw"] = {
            "id": "AAMk_exc",
            "subject": "Review",
            "seriesMasterId": "AAMk_master",
            "type": "exception",
            "originalStart": "2027-02-08T15:00:00.0000000Z",
        }
        cancelled = single("evt_teams_cancelled", datetime(2027, 2, 9, 15, 0, tzinfo=UTC), title="Review")
        cancelled["ical_uid"] = master["ical_uid"]
        cancelled["raw"] = {
            "id": "AAMk_cancel",
            "seriesMasterId": "AAMk_master",
            "type": "occurrence",
            "originalStart": "2027-02-09T15:00:00Z",
            "isCancelled": True,
        }
        assert meetings([master, moved, cancelled]) == [
            ("2027-02-08T17:00:00+00:00", "evt_teams_moved", None),
        ]

    def test_deleted_and_cancelled_single_events(self) -> None:
        events = [
            single("evt_deleted", T0 + timedelta(hours=1), is_deleted=True),
            single("evt_cancelled", T0 + timedelta(hours=2)),
        ]
        events[1]["raw"]["status"] = "cancelled"
        calendar = read_calendar(events, *WINDOW)
        assert calendar.meetings == {}
        assert calendar.cancelled == {"evt_deleted@example.com", "evt_cancelled@example.com"}

    def test_the_same_meeting_in_two_calendars_counts_once(self) -> None:
        start = T0 + timedelta(hours=5)
        mine = single("evt_mine", start, calendar_id="cal_a", ical_uid="shared@example.com")
        theirs = single("evt_theirs", start, calendar_id="cal_b", ical_uid="shared@example.com")
        assert [m[1] for m in meetings([theirs, mine])] == ["evt_mine"]
        # Without a shared UID, the same start and meeting URL is the same meeting.
        url = "https://zoom.us/j/1"
        a = single("evt_a", start, ical_uid="a@x", meeting_url=url)
        b = single("evt_b", start, ical_uid="b@y", meeting_url=url)
        assert [m[1] for m in meetings([b, a])] == ["evt_a"]

    def test_a_rule_that_cannot_be_expanded_is_a_problem_not_a_crash(self) -> None:
        broken = weekly_master()
        broken["raw"]["recurrence"] = ["RRULE:FREQ=WEEKLY;INTERVAL=0"]
        calendar = read_calendar([broken, single("evt_ok", T0 + timedelta(hours=1))], *WINDOW)
        assert [m.event_id for m in calendar.meetings.values()] == ["evt_ok"]
        assert [event_id for event_id, _ in calendar.problems] == ["evt_weekly"]


class TestSelection:
    def test_filters(self) -> None:
        calendar = read_calendar(
            [
                single("evt_sync", T0 + timedelta(hours=1), title="Customer SYNC"),
                single("evt_lunch", T0 + timedelta(hours=2), title="Lunch"),
                single("evt_nolink", T0 + timedelta(hours=3), meeting_url=None),
                single("evt_zoom", T0 + timedelta(hours=4), title="Vendor call", meeting_platform="zoom"),
                single("evt_b", T0 + timedelta(hours=5), title="Planning", calendar_id="cal_b"),
            ],
            *WINDOW,
        )
        chosen = {
            name: sorted(m.event_id for m in calendar.meetings.values() if selection(m))
            for name, selection in {
                "url only": Selection(),
                "title": Selection(title_pattern="sync"),
                "platform": Selection(platforms=frozenset({"zoom"})),
                "calendar": Selection(calendar_ids=frozenset({"cal_b"})),
                "callable": Selection(select=lambda m: m.start.hour >= 12),
            }.items()
        }
        assert chosen == {
            "url only": ["evt_b", "evt_lunch", "evt_sync", "evt_zoom"],
            "title": ["evt_sync"],
            "platform": ["evt_zoom"],
            "calendar": ["evt_b"],
            "callable": ["evt_b", "evt_zoom"],
        }
