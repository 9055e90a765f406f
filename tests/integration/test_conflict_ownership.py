"""A 409 counts as "already scheduled" only for the task's own bot, confirmed by its deduplication key."""

from __future__ import annotations

import pytest

from airflow_provider_meetstream.exceptions import (
    MeetStreamConflictError,
    MeetStreamError,
    MeetStreamOtherBotError,
)
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator
from airflow_provider_meetstream.operators.scheduling import schedule_on_meeting

ZOOM = "evt_demo_zoom_sync"
STANDUP = "evt_demo_standup_weekly"


@pytest.fixture
def conflicts(meetstream_frozen_now):
    """
    The emulator answering 409 to a repeated schedule, as MeetStream's newer API does.

    At a frozen instant: the demo calendar moves with the clock, and how many of the stand-up's
    occurrences are still to come (one in progress is not) must not depend on when the suite runs.
    """
    emulator = meetstream_frozen_now.emulator
    emulator.admin.set_config(conflict_mode="409")
    return emulator


def schedule(key: str, **kwargs: object) -> dict:
    return ScheduleEventOperator(task_id="t", event_id=ZOOM, deduplication_key=key, **kwargs).execute({})


def test_a_retry_of_our_own_schedule_succeeds_with_its_schedule(conflicts) -> None:
    first = schedule("dag-a")
    again = schedule("dag-a")
    assert again["already_scheduled"] is True
    assert {name: again[name] for name in ("bot_id", "schedule_id", "scheduled_time")} == {
        name: first[name] for name in ("bot_id", "schedule_id", "scheduled_time")
    }


def test_another_dags_bot_is_not_ours(conflicts) -> None:
    first = schedule("dag-a")
    conflicts.admin.clear_requests()
    with pytest.raises(MeetStreamOtherBotError, match="'dag-a'") as caught:
        schedule("dag-b")
    assert caught.value.bot_id == first["bot_id"]
    # Refused before anything was sent: the other DAG's bot is still the event's.
    assert [r["method"] for r in conflicts.admin.requests()] == ["GET"]
    (held,) = conflicts.admin.state()["schedules"]
    assert (held["bot_id"], held["deduplication_key"]) == (first["bot_id"], "dag-a")


@pytest.mark.parametrize("if_other_bot", ["fail", "skip", "replace"])
def test_a_409_naming_another_owners_bot(conflicts, if_other_bot: str) -> None:
    # Nothing seen before the POST (the bot arrived in between): the 409 is the same fact.
    first = schedule("dag-a")
    with MeetStreamHook() as hook:

        def again() -> dict:
            return schedule_on_meeting(
                hook, ZOOM, deduplication_key="dag-b", if_other_bot=if_other_bot, others=()
            )

        if if_other_bot == "fail":
            with pytest.raises(MeetStreamOtherBotError, match="'dag-a'"):
                again()
            return
        answer = again()
    keys = {s["bot_id"]: s["deduplication_key"] for s in conflicts.admin.state()["schedules"]}
    if if_other_bot == "skip":
        assert (answer["skipped"], answer["bot_id"], answer["deduplication_key"]) == (
            True,
            first["bot_id"],
            "dag-a",
        )
        assert keys == {first["bot_id"]: "dag-a"}
    else:
        assert keys == {answer["bot_id"]: "dag-b"}


def test_our_key_on_another_event_is_a_conflict_not_already_scheduled(conflicts) -> None:
    # MeetStream shares one bot between events scheduled under one key: the bot follows the
    # event scheduled last, so a 409 on the first event names our key's bot on another meeting.
    first = schedule("shared-key")
    other = ScheduleEventOperator(
        task_id="t", event_id="evt_demo_data_review", deduplication_key="shared-key"
    )
    assert other.execute({})["bot_id"] == first["bot_id"]
    with pytest.raises(MeetStreamConflictError, match="the same key on another meeting") as caught:
        schedule("shared-key")
    assert "evt_demo_data_review" in str(caught.value)


def test_a_bot_that_joined_is_still_ours(conflicts) -> None:
    # Once in its meeting the bot has left the scheduled list; its status still names its key.
    first = schedule("dag-a")
    conflicts.admin.set_clock(first["scheduled_time"])
    assert MeetStreamHook().list_scheduled_bots() == []
    again = schedule("dag-a")
    assert (again["bot_id"], again["schedule_id"]) == (first["bot_id"], first["schedule_id"])


class TestBulk:
    def test_a_re_run_in_409_mode_reports_each_schedule(self, conflicts) -> None:
        conflicts.admin.set_config(conflict_mode="update")
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id=STANDUP, deduplication_key="c", occurrence_limit=5
        )
        first = op.execute({})
        conflicts.admin.set_config(conflict_mode="409")
        again = op.execute({})
        assert again["occurrences_scheduled"] == 5
        assert again["schedules_created"] == first["schedules_created"]
        assert all(item["schedule_id"] and item["scheduled_time"] for item in again["schedules_created"])

    def test_another_series_key_is_left_each_occurrence(self, conflicts) -> None:
        ScheduleRecurringEventOperator(
            task_id="b", event_id=STANDUP, deduplication_key="mine", occurrence_limit=3
        ).execute({})
        theirs = ScheduleRecurringEventOperator(
            task_id="b", event_id=STANDUP, deduplication_key="theirs", occurrence_limit=3
        )
        report = theirs.execute({})
        assert (report["occurrences_scheduled"], report["occurrences_skipped"]) == (0, 3)
        assert all(item["deduplication_key"].startswith("mine:") for item in report["skipped_occurrences"])
        theirs.if_other_bot = "fail"
        with pytest.raises(MeetStreamError, match="3 of 3 occurrence"):
            theirs.execute({})
        theirs.allow_partial_failure = True
        report = theirs.execute({})
        assert report["occurrences_failed"] == 3
        assert all("'mine:" in item["error"] for item in report["failed_occurrences"])
