"""The watcher's decisions: outcomes, the mark's JSON and pruning, the back-off, the mark's key."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_meetstream.constants import BotStatus
from airflow_provider_meetstream.utils import bot_watch
from airflow_provider_meetstream.utils.harvest import Bot, Scope

NOW = datetime(2027, 1, 13, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("status", "transcript_ready", "expected"),
    [
        ("Done", False, "ready"),
        ("Stopped", False, None),
        ("Stopped", True, "ready"),
        ("NotAllowed", False, "failed"),
        ("Denied", False, "failed"),
        ("Error", False, "failed"),
        ("Cancelled", True, None),
        ("InMeeting", True, None),
        ("Scheduled", False, None),
    ],
)
def test_outcome(status: str, transcript_ready: bool, expected: str | None) -> None:
    assert bot_watch.outcome(status, transcript_ready) == expected


def test_every_status_has_an_outcome_or_none() -> None:
    announced = {status for status in BotStatus if bot_watch.outcome(status, True)}
    assert announced == {BotStatus.DONE, BotStatus.STOPPED, *BotStatus.FAILED_STATUSES}


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def test_the_mark_round_trips_and_refuses_what_it_did_not_write() -> None:
    ended = NOW - timedelta(hours=1)
    listed = [Bot("b2", "Done", end=ended), Bot("b1", "Cancelled"), Bot("b3", "InMeeting")]
    mark = bot_watch.Mark.first(listed, NOW)
    assert mark.to_json() == {
        "version": 2,
        "baseline": NOW.isoformat(),
        "floor": None,
        "seen": {"b1": None, "b2": epoch(ended)},
    }
    assert bot_watch.Mark.read(mark.to_json()) == mark
    for stored in (
        None,
        [],
        {"version": 1, "baseline": "x", "seen": ["b1"]},
        {"version": 2, "baseline": "x", "floor": None, "seen": ["b1"]},
        {"version": 2, "baseline": "x", "floor": "soon", "seen": {}},
        {"version": 2, "baseline": "x", "floor": None, "seen": {"b1": "yesterday"}},
    ):
        assert bot_watch.Mark.read(stored) is None


def test_pruning_keeps_the_bots_within_the_window_and_the_undated_while_listed() -> None:
    old, recent = NOW - timedelta(days=8), NOW - timedelta(days=1)
    mark = bot_watch.Mark(
        NOW.isoformat(),
        {"old": epoch(old), "recent_gone": epoch(recent), "undated": None, "undated_gone": None},
    )
    listed = [Bot("old", "Done", end=old), Bot("undated", "Done"), Bot("new", "Done")]
    pruned = mark.pruned(listed, NOW - timedelta(days=7))
    # A dated bot missing from one listing stays: were it dropped, it would come back as new.
    assert pruned.seen == {"recent_gone": epoch(recent), "undated": None}
    assert pruned.floor == epoch(NOW - timedelta(days=7))
    assert pruned.pruned(listed, NOW - timedelta(days=7)) is pruned
    due, stopped = bot_watch.pending(pruned, [*listed, Bot("recent_gone", "Done", end=recent)], NOW)
    assert [bot.bot_id for bot in due] == ["new"]
    assert stopped == []


def test_the_floor_never_moves_back() -> None:
    # A week's lookback, then a day's, then a week's again: what the day's pruned never returns.
    three_days_ago = NOW - timedelta(days=3)
    bot = Bot("b1", "Done", end=three_days_ago)
    mark = bot_watch.Mark(NOW.isoformat(), {"b1": epoch(three_days_ago)})
    mark = mark.pruned([bot], NOW - timedelta(days=1))
    assert mark.seen == {}
    assert bot_watch.pending(mark, [bot], NOW - timedelta(days=7)) == ([], [])
    # Nor does a clock stepped back move it.
    assert mark.pruned([bot], NOW - timedelta(days=9)).floor == mark.floor


def test_a_bot_listed_twice_is_due_once() -> None:
    mark = bot_watch.Mark(NOW.isoformat(), {})
    due, stopped = bot_watch.pending(
        mark, [Bot("b1", "Done"), Bot("b1", "Done"), Bot("b2", "Stopped"), Bot("b2", "Stopped")], NOW
    )
    assert [bot.bot_id for bot in due] == ["b1"]
    assert [bot.bot_id for bot in stopped] == ["b2"]


def test_a_bot_without_an_end_is_dated_by_its_start() -> None:
    started = NOW - timedelta(days=9)
    mark = bot_watch.Mark(NOW.isoformat(), {})
    assert bot_watch.pending(mark, [Bot("b1", "Done", start=started)], NOW - timedelta(days=7)) == ([], [])
    assert mark.with_seen(Bot("b2", "Done", start=started)).seen == {"b2": epoch(started)}


def test_backoff_doubles_to_a_cap() -> None:
    assert [bot_watch.backoff(60, n) for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 480, 900]
    assert bot_watch.backoff(3600, 9) == 3600
    assert bot_watch.backoff(60, 10_000) == 900


def test_each_connection_and_scope_has_its_own_mark() -> None:
    keys = {
        bot_watch.mark_key("a", Scope(prefix="x|")),
        bot_watch.mark_key("b", Scope(prefix="x|")),
        bot_watch.mark_key("a", Scope(prefix="y|")),
        bot_watch.mark_key("a", Scope(bot_ids=("x|",))),
    }
    assert len(keys) == 4
    assert bot_watch.mark_key("a", Scope(prefix="x|")) in keys
