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


def test_the_mark_round_trips_and_refuses_what_it_did_not_write() -> None:
    mark = bot_watch.Mark.first([Bot("b2", "Done"), Bot("b1", "Cancelled"), Bot("b3", "InMeeting")], NOW)
    assert mark.to_json() == {"version": 1, "baseline": NOW.isoformat(), "seen": ["b1", "b2"]}
    assert bot_watch.Mark.read(mark.to_json()) == mark
    for stored in (None, [], {"version": 2, "baseline": "x", "seen": []}, {"version": 1, "seen": "b1"}):
        assert bot_watch.Mark.read(stored) is None


def test_pruning_keeps_the_listed_bots_within_the_window() -> None:
    mark = bot_watch.Mark(NOW.isoformat(), frozenset({"gone", "old", "recent", "unknown_end"}))
    listed = [
        Bot("old", "Done", end=NOW - timedelta(days=8)),
        Bot("recent", "Done", end=NOW - timedelta(days=1)),
        Bot("unknown_end", "Done"),
        Bot("new", "Done"),
    ]
    pruned = mark.pruned(listed, NOW - timedelta(days=7))
    assert pruned.seen == {"recent", "unknown_end"}
    assert pruned.pruned(listed, NOW - timedelta(days=7)) is pruned
    # What was pruned for its age is never due again.
    due, stopped = bot_watch.pending(pruned, listed, NOW - timedelta(days=7))
    assert [bot.bot_id for bot in due] == ["new"]
    assert stopped == []


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
