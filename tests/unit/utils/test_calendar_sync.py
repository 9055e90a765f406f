"""The calendar sync's pure core: meetings read from a listing, and the plan, with no server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_meetstream.utils.calendar_meetings import Selection, read_calendar
from airflow_provider_meetstream.utils.calendar_sync import (
    ADD,
    CANCEL,
    KEEP,
    MOVE,
    deduplication_key,
    format_plan,
    our_bots,
    plan,
    sync_report,
)
from airflow_provider_meetstream.utils.workspace_bots import ListedBot, list_reach, listed_bots

UTC = timezone.utc
# A Wednesday in a week with no DST change anywhere these tests look.
T0 = datetime(2027, 2, 3, 8, 0, tzinfo=UTC)
WINDOW = (T0, T0 + timedelta(days=7))
LEAD = timedelta(minutes=3)
SYNC = "dag.sync"
#: The plans' now: a bot joining later waits, one joining earlier has joined.
NOW = T0


def iso(moment: datetime) -> str:
    return moment.isoformat()


def single(event_id: str, start: datetime, *, title: str = "Customer sync", **fields: object) -> dict:
    event = {
        "id": event_id,
        "start_time": iso(start),
        "end_time": iso(start + timedelta(minutes=30)),
        "calendar_id": "cal_a",
        "ical_uid": f"{event_id}@example.com",
        "meeting_url": f"https://meet.google.com/{event_id}",
        "meeting_platform": "google_meet",
        "is_deleted": False,
        "bots": [],
        "raw": {"id": f"g_{event_id}", "summary": title},
    }
    event.update(fields)
    return event


def weekly_master(event_id: str = "evt_weekly", **fields: object) -> dict:
    # Mondays 09:00 New York: 14:00Z in winter.
    start = datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
    event = single(event_id, start, title="Team stand-up")
    event["raw"] = {
        "id": "g_weekly",
        "summary": "Team stand-up",
        "start": {"dateTime": "2027-01-04T09:00:00-05:00", "timeZone": "America/New_York"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
    }
    event.update(fields)
    return event


def google_instance(event_id: str, original: datetime, start: datetime, *, cancelled: bool = False) -> dict:
    event = single(event_id, start, title="Team stand-up", ical_uid="evt_weekly@example.com")
    event["meeting_url"] = "https://meet.google.com/evt_weekly"
    event["raw"] = {
        "id": f"g_weekly_{original:%Y%m%dT%H%M%SZ}",
        "summary": "Team stand-up",
        "recurringEventId": "g_weekly",
        "originalStartTime": {"dateTime": iso(original), "timeZone": "America/New_York"},
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


def bot_for(
    meeting_id: str, join: datetime | None, *, scheduled: bool = True, bot_id: str | None = None
) -> ListedBot:
    key = deduplication_key(SYNC, f"{meeting_id}@example.com")
    return ListedBot(bot_id or f"bot_{meeting_id}", key, meeting_id, None, join, scheduled)


def theirs(event_id: str, join: datetime, key: str = "sales-tool|1") -> ListedBot:
    return ListedBot(f"their_{event_id}", key, event_id, None, join, True)


def kinds(actions) -> dict[str, str]:
    return {action.deduplication_key.split("|", 1)[1]: action.kind for action in actions}


class TestPlan:
    def run(self, events: list[dict], bots: list[ListedBot], *, selection=None, take_over: bool = False):
        return plan(
            read_calendar(events, *WINDOW),
            bots,
            sync_id=SYNC,
            selection=selection or Selection(),
            window_start=WINDOW[0],
            window_end=WINDOW[1],
            join_lead=LEAD,
            now=NOW,
            take_over=take_over,
        )

    def test_add_keep_move_cancel(self) -> None:
        start = T0 + timedelta(hours=5)
        events = [single("evt_new", start), single("evt_same", start), single("evt_moved", start)]
        bots = [
            bot_for("evt_same", start - LEAD),
            bot_for("evt_moved", start - timedelta(hours=1) - LEAD),
            bot_for("evt_gone", start - LEAD),
        ]
        actions = self.run(events, bots)
        assert kinds(actions) == {
            "evt_new@example.com": ADD,
            "evt_same@example.com": KEEP,
            "evt_moved@example.com": MOVE,
            "evt_gone@example.com": CANCEL,
        }
        move = next(a for a in actions if a.kind == MOVE)
        assert (move.bot_id, move.old_join, move.new_join) == (
            "bot_evt_moved",
            start - timedelta(hours=1) - LEAD,
            start - LEAD,
        )
        report = sync_report(SYNC, *WINDOW, False, actions, [])
        assert report["counts"] == {ADD: 1, MOVE: 1, CANCEL: 1, KEEP: 1, "failed": 0}
        assert (
            next(a for a in actions if a.kind == CANCEL).reason == "the meeting is no longer in the calendar"
        )

    def test_join_times_compare_to_the_second(self) -> None:
        # A calendar start with microseconds; the bot's join time as MeetStream keeps it, in seconds.
        start = T0 + timedelta(hours=5, microseconds=559594)
        first = self.run([single("evt_precise", start)], [])
        assert first[0].new_join == (start - LEAD).replace(microsecond=0)
        bot = bot_for("evt_precise", (start - LEAD).replace(microsecond=0))
        assert [a.kind for a in self.run([single("evt_precise", start)], [bot])] == [KEEP]

    def test_a_bot_in_its_meeting_is_never_touched(self) -> None:
        # Joined ten minutes ago, at the meeting's old time: neither listed nor joining after now.
        start = T0 + timedelta(hours=1)
        actions = self.run(
            [single("evt_moved", start)],
            [
                bot_for("evt_moved", T0 - timedelta(minutes=10), scheduled=False),
                bot_for("evt_gone", T0, scheduled=False),
            ],
        )
        assert kinds(actions) == {"evt_moved@example.com": KEEP}

    def test_a_meeting_whose_bot_came_and_went_at_its_old_time_gets_a_bot(self) -> None:
        # Moved far ahead after its bot had joined and left at the old time.
        start = T0 + timedelta(hours=5)
        gone = bot_for("evt_moved", T0 - timedelta(days=3), scheduled=False)
        actions = self.run([single("evt_moved", start)], [gone])
        assert [(a.kind, a.reason) for a in actions] == [(ADD, "its bot joined at the old time")]

    def test_another_owners_bot_that_left_at_another_time_does_not_record_it(self) -> None:
        start = T0 + timedelta(hours=5)
        left = ListedBot("their_evt_a", "sales-tool|1", "evt_a", None, T0 - timedelta(days=2), False)
        assert [a.kind for a in self.run([single("evt_a", start)], [left])] == [ADD]

    def test_take_over_names_the_bot_it_replaces(self) -> None:
        start = T0 + timedelta(hours=5)
        (action,) = self.run([single("evt_a", start)], [theirs("evt_a", start - LEAD)], take_over=True)
        assert (action.kind, action.displaces) == (ADD, "their_evt_a")

    def test_a_bot_without_its_occurrence_is_on_the_nearest_one_only(self) -> None:
        # A series every 30 minutes: a bot joining at 09:57 is the 10:00 occurrence's, not 10:30's.
        first = datetime(2027, 2, 4, 10, 0, tzinfo=UTC)
        master = single("evt_half", first, title="Line check")
        master["raw"] = {
            "id": "g_half",
            "start": {"dateTime": first.isoformat(), "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=3"],
        }
        master["end_time"] = (first + timedelta(minutes=15)).isoformat()
        other = ListedBot("b", "sales|x", "evt_half", None, first - LEAD, True)
        actions = self.run([master], [other])
        assert [(a.meeting.start.strftime("%H:%M"), a.kind) for a in actions] == [
            ("10:00", KEEP),
            ("10:30", ADD),
            ("11:00", ADD),
        ]

    def test_a_bot_only_the_events_show_is_still_waiting_when_it_joins_later(self) -> None:
        # Beyond a full scheduled page: the events' bots carry no status, and need no status read.
        actions = self.run([], [bot_for("evt_gone", T0 + timedelta(hours=1), scheduled=False)])
        assert [a.kind for a in actions] == [CANCEL]

    def test_another_owners_bot_records_the_meeting(self) -> None:
        start = T0 + timedelta(hours=5)
        events = [single("evt_taken", start), single("evt_free", start)]
        bots = [theirs("evt_taken", start - LEAD, key="other.sync|evt_taken@example.com")]
        actions = self.run(events, bots)
        assert kinds(actions) == {"evt_taken@example.com": KEEP, "evt_free@example.com": ADD}
        kept = next(a for a in actions if a.kind == KEEP)
        assert kept.bot_id == "their_evt_taken"
        assert kept.reason == "recorded by another owner's bot (key 'other.sync|evt_taken@example.com')"
        # The plan's log says why the meeting was left alone; the bots kept as they are are counted.
        assert "keep    Customer sync" in format_plan(actions)
        assert format_plan(actions).endswith("0 kept as they are.")
        taken = self.run(events, bots, take_over=True)
        assert kinds(taken) == {"evt_taken@example.com": ADD, "evt_free@example.com": ADD}
        assert next(a for a in taken if a.meeting.event_id == "evt_taken").reason.startswith("taken over")

    def test_another_owners_bot_on_a_copy_of_the_meeting_in_another_calendar(self) -> None:
        start = T0 + timedelta(hours=5)
        mine = single("evt_a", start, calendar_id="cal_a", ical_uid="shared@example.com")
        copy = single("evt_b", start, calendar_id="cal_b", ical_uid="shared@example.com")
        actions = self.run([mine, copy], [theirs("evt_b", start - LEAD)])
        assert [(a.kind, a.bot_id) for a in actions] == [(KEEP, "their_evt_b")]

    def test_another_owners_bot_on_another_occurrence_does_not_count(self) -> None:
        monday = datetime(2027, 2, 8, 14, 0, tzinfo=UTC)
        listed = ListedBot("b", "sales|x", "evt_weekly", monday - timedelta(weeks=1), None, False)
        by_join = ListedBot("c", "sales|y", "evt_weekly", None, monday - timedelta(weeks=1), False)
        assert [a.kind for a in self.run([weekly_master()], [listed, by_join])] == [ADD]
        here = ListedBot("d", "sales|z", "evt_weekly", None, monday - LEAD, True)
        assert [a.kind for a in self.run([weekly_master()], [here])] == [KEEP]

    def test_bots_outside_the_window_are_left_alone(self) -> None:
        assert self.run([], [bot_for("evt_later", WINDOW[1] + timedelta(hours=1))]) == []

    def test_reasons_for_cancelling(self) -> None:
        start = T0 + timedelta(hours=5)
        deleted = single("evt_deleted", start, is_deleted=True)
        unselected = single("evt_lunch", start, title="Lunch")
        far = single("evt_far", WINDOW[1] + timedelta(days=1))
        actions = self.run(
            [deleted, unselected, far],
            [bot_for(name, start - LEAD) for name in ("evt_deleted", "evt_lunch", "evt_far")],
            selection=Selection(title_pattern="sync"),
        )
        assert {a.deduplication_key.split("|")[1]: a.reason for a in actions} == {
            "evt_deleted@example.com": "the meeting was cancelled",
            "evt_lunch@example.com": "the meeting is no longer selected",
            "evt_far@example.com": "the meeting moved out of the window",
        }

    def test_a_second_plan_after_the_first_is_carried_out_keeps_everything(self) -> None:
        start = T0 + timedelta(hours=5)
        events = [single("evt_a", start), single("evt_b", start + timedelta(hours=1))]
        first = self.run(events, [])
        assert [a.kind for a in first] == [ADD, ADD]
        done = [
            ListedBot(f"bot{i}", a.deduplication_key, None, None, a.new_join) for i, a in enumerate(first)
        ]
        assert {a.kind for a in self.run(events, done)} == {KEEP}
        assert "0 kept" not in format_plan(self.run(events, done))


class TestReport:
    def test_an_add_refused_for_another_owners_bot_is_kept_and_a_cancel_of_a_gone_bot_is_done(self) -> None:
        start = T0 + timedelta(hours=5)
        actions = TestPlan().run([single("evt_a", start)], [bot_for("evt_gone", start - LEAD)])
        add, cancel = actions
        skipped = {"skipped": True, "bot_id": "theirs", "reason": "recorded by another owner's bot (key 'x')"}
        report = sync_report(
            SYNC, *WINDOW, False, actions, [(add, skipped, None), (cancel, {"already_gone": True}, None)]
        )
        assert report["counts"] == {ADD: 0, MOVE: 0, CANCEL: 1, KEEP: 1, "failed": 0}
        assert [(k["bot_id"], k["reason"]) for k in report["kept"]] == [("theirs", skipped["reason"])]
        assert report["cancelled"][0]["reason"].endswith("(the bot was already gone)")
        assert report["bot_ids"] == []


class TestListedBots:
    def test_owners_and_waiting(self) -> None:
        key = deduplication_key(SYNC, "m1")
        events = [
            {
                "id": "e",
                "bots": [
                    {"bot_id": "b1", "deduplication_key": key, "start_time": "2027-02-03T10:00:00Z"},
                    {"bot_id": "b2", "deduplication_key": f"{SYNC}|m2", "start_time": "2027-02-03T07:00:00Z"},
                    {"bot_id": "b3", "deduplication_key": "other-dag|m1"},
                    {"bot_id": "b4"},
                    "not a bot",
                ],
            }
        ]
        scheduled = [
            {
                "bot_id": "b1",
                "scheduled_join_time": "2027-02-03T10:00:00Z",
                "custom_attributes": {"deduplication_key": key, "event_id": "e"},
            },
            {"bot_id": "b9", "custom_attributes": {"deduplication_key": "someone-else", "event_id": "f"}},
        ]
        bots = listed_bots(events, scheduled)
        assert [(b.bot_id, b.event_id, b.scheduled) for b in bots] == [
            ("b1", "e", True),
            ("b2", "e", False),
            ("b3", "e", False),
            ("b4", "e", False),
            ("b9", "f", True),
        ]
        found = our_bots(SYNC, bots, NOW)
        assert {k: (b.bot_id, b.waiting(NOW)) for k, b in found.items()} == {
            key: ("b1", True),
            f"{SYNC}|m2": ("b2", False),
        }

    def test_how_far_a_scheduled_page_shows_every_waiting_bot(self) -> None:
        def page(*joins: str | None) -> list[dict]:
            return [{"bot_id": str(i), "scheduled_join_time": join} for i, join in enumerate(joins)]

        ten = datetime(2027, 2, 3, 10, 0, tzinfo=UTC)
        assert list_reach(page("2027-02-03T10:00:00Z"), 2) == datetime.max.replace(tzinfo=UTC)
        assert list_reach(page("2027-02-03T09:00:00Z", "2027-02-03T10:00:00Z"), 2) == ten
        assert list_reach(page("2027-02-03T13:00:00Z", "2027-02-03T12:00:00Z"), 2) is None
        assert list_reach(page("2027-02-03T13:00:00Z", None), 2) is None

    def test_within_the_lists_reach_an_unlisted_bot_does_not_wait_whatever_the_clock(self) -> None:
        later = NOW + timedelta(hours=2)
        unlisted = ListedBot("b", "k", "e", None, later, scheduled=False)
        assert unlisted.waiting(NOW)
        assert not unlisted.waiting(NOW, list_reach=later)
        assert unlisted.waiting(NOW, list_reach=later - timedelta(seconds=1))
        assert ListedBot("b", "k", "e", None, NOW - timedelta(hours=1), scheduled=True).waiting(NOW, later)


@pytest.mark.parametrize("identity", ["x" * 3000, "bad\nuid"])
def test_keys_stay_within_limits(identity: str) -> None:
    key = deduplication_key(SYNC, identity)
    assert key.startswith(f"{SYNC}|sha256:")
    assert len(key) <= 2000
    assert key.isprintable()
    assert key == deduplication_key(SYNC, identity)
