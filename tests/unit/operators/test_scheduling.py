"""Scheduling onto a meeting that may have a bot already: a 409 read for whose bot it names; a cancel."""

from __future__ import annotations

import pytest
import requests_mock as rm
from meetstream_fakes import BASE, NOBODY, SCHEDULED_URL

from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamConflictError,
    MeetStreamOtherBotError,
)
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator

CONFLICT = {"message": "exists", "bot_id": "bot_old", "schedule_id": "sched_old"}
JOIN = {"scheduled_join_time": "2027-03-15T12:57:00+00:00"}

pytestmark = pytest.mark.usefixtures("default_connection")


class TestConflict:
    """A 409 names a bot: this task's on this meeting is the schedule made, another owner's is left to it."""

    def test_conflict_naming_our_bot_succeeds(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        status = {
            "bot_id": "bot_old",
            "status": "Scheduled",
            "deduplication_key": "k",
            "event_id": "e1",
            **JOIN,
        }
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", json=status)
            result = op.execute({})
        assert result == {
            "scheduled": True,
            "already_scheduled": True,
            "bot_id": "bot_old",
            "schedule_id": "sched_old",
            "scheduled_time": JOIN["scheduled_join_time"],
            "event_id": "e1",
        }
        assert [r.method for r in mock.request_history] == ["GET", "POST", "GET"]

    def test_the_key_may_sit_in_custom_attributes(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        status = {
            "bot_id": "bot_old",
            "status": "Joining",
            "custom_attributes": {"deduplication_key": "k", "event_id": "e1"},
        }
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", json=status)
            assert op.execute({})["already_scheduled"] is True

    def test_conflict_naming_another_keys_bot_fails(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        status = {"bot_id": "bot_old", "status": "Scheduled", "deduplication_key": "other-dag", **JOIN}
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", json=status)
            with pytest.raises(MeetStreamOtherBotError, match="'other-dag'") as caught:
                op.execute({})
        assert (caught.value.bot_id, caught.value.deduplication_key) == ("bot_old", "other-dag")

    def test_an_unknown_status_falls_back_to_the_scheduled_list(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        listed = {
            "bot_id": "bot_old",
            "custom_attributes": {"deduplication_key": "k", "event_id": "e1"},
            **JOIN,
        }
        with rm.Mocker() as mock:
            # The bot became visible only after the first look (it was scheduled in between).
            mock.get(SCHEDULED_URL, [{"json": NOBODY}, {"json": {"scheduled_bots": [listed]}}])
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", status_code=404, json={"message": "unknown"})
            result = op.execute({})
        assert (result["bot_id"], result["scheduled_time"]) == ("bot_old", JOIN["scheduled_join_time"])

    @pytest.mark.parametrize(
        "status",
        [
            {"bot_id": "bot_old", "status": "Scheduled"},
            {"bot_id": "bot_old", "status": "Scheduled", "deduplication_key": 7, "custom_attributes": "k"},
        ],
    )
    def test_a_key_that_cannot_be_read_is_not_ours_and_not_displaced(self, status: dict) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json={"scheduled_bots": [{"bot_id": "someone_else"}]})
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", json=status)
            with pytest.raises(MeetStreamOtherBotError, match="an unreadable key") as caught:
                op.execute({})
        assert caught.value.bot_id == "bot_old"
        assert [r.method for r in mock.request_history].count("POST") == 1

    def test_another_api_keys_bot_is_another_owners(self) -> None:
        # Teams of one workspace may use keys of their own: a 403 on its status reads as that.
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k", if_other_bot="skip")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", status_code=403, json={"detail": "Not yours."})
            result = op.execute({})
        assert (result["skipped"], result["bot_id"], result["deduplication_key"]) == (True, "bot_old", None)

    def test_conflict_fails_when_asked(self) -> None:
        op = ScheduleEventOperator(
            task_id="t", event_id="e1", deduplication_key="k", if_already_scheduled="fail"
        )
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json={"message": "exists", "bot_id": "bot_old"})
            mock.get(
                f"{BASE}/bots/bot_old/status",
                json={"status": "Scheduled", "deduplication_key": "k", "event_id": "e1"},
            )
            with pytest.raises(MeetStreamConflictError):
                op.execute({})

    def test_conflict_without_a_bot_id_fails(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json={"message": "exists"})
            with pytest.raises(MeetStreamConflictError):
                op.execute({})


class TestCancelScheduledBot:
    """A cancel that finds its bot already gone is done: two overlapping syncs both succeed."""

    @pytest.mark.parametrize(
        ("delete", "status", "gone"),
        [
            ({"status_code": 404, "json": {"message": "Bot not found."}}, None, True),
            ({"status_code": 400, "json": {"message": "no"}}, {"status_code": 404, "json": {}}, True),
            ({"status_code": 400, "json": {"message": "no"}}, {"json": {"status": "Cancelled"}}, True),
            ({"status_code": 400, "json": {"message": "joined"}}, {"json": {"status": "InMeeting"}}, False),
        ],
        ids=["404", "400 then unknown", "400 then cancelled", "400 then in its meeting"],
    )
    def test_gone_is_done(self, delete: dict, status: dict | None, gone: bool) -> None:
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
        from airflow_provider_meetstream.operators.scheduling import cancel_scheduled_bot

        with rm.Mocker() as mock, MeetStreamHook() as hook:
            mock.delete(f"{BASE}/calendar/scheduled/b1", **delete)
            if status is not None:
                mock.get(f"{BASE}/bots/b1/status", **status)
            if gone:
                assert cancel_scheduled_bot(hook, "b1") == {"bot_id": "b1", "already_gone": True}
            else:
                with pytest.raises(MeetStreamAPIError, match="joined"):
                    cancel_scheduled_bot(hook, "b1")
