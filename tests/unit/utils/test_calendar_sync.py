"""The calendar sync's plan and report, from meetings and bots, with no server; the keys it makes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from meetstream_fakes import T0, WINDOW, single, weekly_master

from airflow_provider_meetstream.utils.calendar_meetings import read_calendar
from airflow_provider_meetstream.utils.calendar_sync import (
    ADD,
    CANCEL,
    KEEP,
    MOVE,
    deduplication_key,
    format_plan,
    plan,
    sync_report,
)
from airflow_provider_meetstream.utils.selection import Selection
from airflow_provider_meetstream.utils.workspace_bots import ListedBot

UTC = timezone.utc
LEAD = timedelta(minutes=3)
SYNC = "dag.sync"
#: The plans' now: a bot joining later waits, one joining earlier has joined.
NOW = T0


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
        assert report["counts"] == {ADD: 1, MOVE: 1, CANCEL: 1, KEEP: 1, "skip": 0, "failed": 0}
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
            "evt_lunch@example.com": ("the meeting is no longer selected"),
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
        assert report["counts"] == {ADD: 0, MOVE: 0, CANCEL: 1, KEEP: 1, "skip": 0, "failed": 0}
        assert [(k["bot_id"], k["reason"]) for k in report["kept"]] == [("theirs", skipped["reason"])]
        assert report["cancelled"][0]["reason"].endswith("(the bot was already gone)")
        assert report["bot_ids"] == []


@pytest.mark.parametrize("identity", ["x" * 3000, "bad\nuid"])
def test_keys_stay_within_limits(identity: str) -> None:
    key = deduplication_key(SYNC, identity)
    assert key.startswith(f"{SYNC}|sha256:")
    assert len(key) <= 2000
    assert key.isprintable()
    assert key == deduplication_key(SYNC, identity)
