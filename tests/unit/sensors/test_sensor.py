"""ListScheduledSensor: its one condition, poke, deferral and resumption, and the trigger's serialisation."""

from __future__ import annotations

import json
import pickle

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSensorTimeout, TaskDeferred
from meetstream_fakes import BASE, bot

from airflow_provider_meetstream.constants import BotStatus
from airflow_provider_meetstream.exceptions import (
    MeetStreamBotCancelledError,
    MeetStreamError,
    MeetStreamInputError,
)
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor
from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria

pytestmark = pytest.mark.usefixtures("default_connection")


class TestCriteria:
    def test_filters_all_apply(self) -> None:
        criteria = ScheduledCriteria.build(event_id="e1", deduplication_key="k1", bot_ids=["b1", "b3"])
        bots = [bot("b1"), bot("b2"), bot("b3", key="other"), bot("b4", event_id="e2")]
        assert [b["bot_id"] for b in criteria.evaluate(bots).matches] == ["b1"]

    def test_scheduled_min_count(self) -> None:
        criteria = ScheduledCriteria.build(event_id="e1", min_count=2)
        assert not criteria.evaluate([bot("b1"), bot("x", event_id="e2")]).done
        assert criteria.evaluate([bot("b1"), bot("b2")]).done

    def test_scheduled_every_id_listed(self) -> None:
        criteria = ScheduledCriteria.build(bot_ids=["b1", "b2"])
        partial = criteria.evaluate([bot("b1")])
        assert not partial.done
        assert partial.to_confirm == ("b2",)
        complete = criteria.evaluate([bot("b2"), bot("b1"), bot("b9")])
        assert complete.done
        assert complete.to_confirm == ()

    def test_scheduled_counts_a_bot_that_already_joined(self) -> None:
        criteria = ScheduledCriteria.build(bot_ids=["b1", "b2"])
        verdict = criteria.evaluate([bot("b1")])
        assert criteria.settle(verdict, [{"bot_id": "b2", "status": "InMeeting"}])
        assert criteria.settle(verdict, [{"bot_id": "b2", "status": "Scheduled"}])  # beyond a full page
        assert not criteria.settle(verdict, [None])

    def test_scheduled_fails_on_a_cancelled_bot(self) -> None:
        criteria = ScheduledCriteria.build(bot_ids=["b1", "b2", "b3"])
        verdict = criteria.evaluate([bot("b1")])
        with pytest.raises(MeetStreamBotCancelledError, match="bot b3 is Cancelled") as caught:
            criteria.settle(verdict, [None, {"bot_id": "b3", "status": "Cancelled"}])
        assert isinstance(caught.value, AirflowFailException)
        assert (caught.value.bot_id, caught.value.status) == ("b3", "Cancelled")
        assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)
        # For "gone", a cancelled bot is gone: a success, not an error.
        gone = ScheduledCriteria.build(bot_ids=["b3"], wait_for="gone", limit=1)
        assert gone.settle(gone.evaluate([bot("x")]), [{"bot_id": "b3", "status": "Cancelled"}])

    def test_gone(self) -> None:
        criteria = ScheduledCriteria.build(event_id="e1", wait_for="gone")
        assert not criteria.evaluate([bot("b1")]).done
        verdict = criteria.evaluate([bot("b2", event_id="e2")])
        assert verdict.done
        assert verdict.to_confirm == ()
        assert criteria.settle(verdict, [])

    def test_gone_on_a_full_page_needs_ids_to_be_confirmed(self) -> None:
        page = [bot(f"other{i}", event_id="e9") for i in range(3)]
        with_ids = ScheduledCriteria.build(bot_ids=["b1"], wait_for="gone", limit=3)
        verdict = with_ids.evaluate(page)
        assert verdict.truncated
        assert verdict.to_confirm == ("b1",)
        assert with_ids.settle(verdict, [{"status": "InMeeting"}])
        without_ids = ScheduledCriteria.build(event_id="e1", wait_for="gone", limit=3)
        verdict = without_ids.evaluate(page)
        assert not without_ids.settle(verdict, [])  # it cannot prove the bot is absent beyond the page

    def test_gone_confirmation(self) -> None:
        criteria = ScheduledCriteria.build(bot_ids=["b1", "b2"], wait_for="gone", limit=1)
        verdict = criteria.evaluate([bot("x", "e9")])
        assert criteria.settle(verdict, [{"status": "InMeeting"}, None])
        assert not criteria.settle(verdict, [{"status": "Done"}, {"status": "Scheduled"}])

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"wait_for": "joined"}, "wait_for"),
            ({"limit": 0}, "limit"),
            ({"min_count": 0}, "min_count"),
            ({"bot_ids": []}, "bot_ids"),
            ({"bot_ids": [1, 2]}, "bot_ids"),
            ({"event_id": ""}, "event_id"),
        ],
    )
    def test_bad_arguments(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            ListScheduledSensor(task_id="s", **kwargs)
        assert caught.value.argument == argument

    @pytest.mark.parametrize(
        ("kwargs", "argument"), [({"wait_for": "gonee"}, "wait_for"), ({"limit": 500}, "limit")]
    )
    def test_literals_are_checked_beside_a_templated_filter(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            ListScheduledSensor(task_id="s", event_id="{{ params.e }}", **kwargs)
        assert caught.value.argument == argument

    @pytest.mark.parametrize(
        ("rendered", "expected"),
        [
            ("b1", ("b1",)),
            ('["b1", "b2"]', ("b1", "b2")),
            ('{"bot_id": "b7", "scheduled": true}', ("b7",)),
            (["b1"], ("b1",)),
            ({"bot_id": "b7", "scheduled": True}, ("b7",)),
            ([{"bot_id": "b1"}, {"bot_id": "b2"}], ("b1", "b2")),
            ('[{"bot_id": "b1"}, {"bot_id": "b2"}]', ("b1", "b2")),
        ],
    )
    def test_bot_ids_forms(self, rendered: object, expected: tuple) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids="{{ x }}")
        sensor.bot_ids = rendered
        assert sensor._criteria().bot_ids == expected

    @pytest.mark.parametrize(
        "rendered",
        ["['b1', 'b2']", "{'bot_id': 'b7', 'scheduled': True}", "[{'bot_id': 'b1'}, {'bot_id': 'b2'}]"],
    )
    def test_a_python_repr_is_refused_with_the_native_way(self, rendered: str) -> None:
        # What "{{ ti.xcom_pull(...) }}" renders without render_template_as_native_obj: not data.
        sensor = ListScheduledSensor(task_id="s", bot_ids="{{ x }}")
        sensor.bot_ids = rendered
        with pytest.raises(MeetStreamInputError) as caught:
            sensor._criteria()
        assert caught.value.argument == "bot_ids"
        assert 'sync.output["bot_ids"]' in str(caught.value)
        assert "render_template_as_native_obj=True" in str(caught.value)

    @pytest.mark.parametrize(
        "rendered",
        ["None", "", "LazyXComSequence([3 items])", "('a', 'b'", "[1, 2]", [{"scheduled": True}], "a b"],
    )
    def test_rendered_mistakes_are_refused(self, rendered: object) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids="{{ x }}", wait_for="gone")
        sensor.bot_ids = rendered
        with pytest.raises(MeetStreamInputError) as caught:
            sensor._criteria()
        assert caught.value.argument == "bot_ids"


class TestPoke:
    def test_poke_returns_matches(self) -> None:
        sensor = ListScheduledSensor(task_id="s", event_id="e1")
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/calendar/scheduled", json={"scheduled_bots": [bot("b1"), bot("b2", event_id="e2")]}
            )
            result = sensor.poke({})
        assert result.is_done
        assert result.xcom_value == [bot("b1")]
        assert mock.last_request.qs == {"limit": ["100"]}

    def test_poke_not_done(self) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids=["b1"])
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": []})
            mock.get(f"{BASE}/bots/b1/status", status_code=404, json={"message": "unknown bot"})
            assert not sensor.poke({}).is_done

    def test_poke_counts_a_bot_that_already_joined(self) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids=["b1", "b2"])
        joined = {"bot_id": "b2", "status": "InMeeting"}
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": [bot("b1")]})
            mock.get(f"{BASE}/bots/b2/status", json=joined)
            result = sensor.poke({})
        assert result.is_done
        assert result.xcom_value == [bot("b1"), joined]

    def test_full_page_warns(
        self, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
    ) -> None:
        sensor = ListScheduledSensor(task_id="s", event_id="e1", limit=2)
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": [bot("b1"), bot("b2")]})
            sensor.poke({})
        assert "may be truncated" in caplog.text + capsys.readouterr().out

    def test_gone_confirms_with_status(self) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids=["b1", "b2"], wait_for="gone", limit=1)
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": [bot("x", event_id="e9")]})
            mock.get(f"{BASE}/bots/b1/status", json={"bot_id": "b1", "status": "InMeeting"})
            mock.get(f"{BASE}/bots/b2/status", json={"bot_id": "b2", "status": "Scheduled"})
            assert not sensor.poke({}).is_done
            mock.get(f"{BASE}/bots/b2/status", status_code=404, json={"message": "unknown bot"})
            assert sensor.poke({}).is_done

    def test_poke_mode_waits_then_returns_matches(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # Reschedule mode needs a task instance: tests/system runs it under dag.test().
        monkeypatch.setattr("time.sleep", lambda seconds: None)
        sensor = ListScheduledSensor(task_id="s", bot_ids="b1", mode="poke", poke_interval=1, timeout=30)
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/calendar/scheduled",
                [{"json": {"scheduled_bots": []}}, {"json": {"scheduled_bots": [bot("b1")]}}],
            )
            mock.get(f"{BASE}/bots/b1/status", status_code=404, json={"message": "unknown bot"})
            assert sensor.execute({}) == [bot("b1")]
        assert [r.path for r in mock.request_history] == [
            "/api/v1/calendar/scheduled",
            "/api/v1/bots/b1/status",
            "/api/v1/calendar/scheduled",
        ]


class TestDeferral:
    def test_checks_once_before_deferring(self) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids=["b1"], deferrable=True)
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": [bot("b1")]})
            assert sensor.execute({}) == [bot("b1")]
        assert mock.call_count == 1

    def test_defers_with_a_trigger(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(
            "AIRFLOW_CONN_MS", json.dumps({"conn_type": "meetstream", "host": BASE, "password": "k-12345"})
        )
        sensor = ListScheduledSensor(
            task_id="s",
            bot_ids=["b1"],
            deferrable=True,
            poke_interval=7,
            timeout=120,
            meetstream_conn_id="ms",
        )
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": []})
            mock.get(f"{BASE}/bots/b1/status", status_code=404, json={"message": "unknown bot"})
            with pytest.raises(TaskDeferred) as caught:
                sensor.execute({})
        deferred = caught.value
        assert deferred.method_name == "execute_complete"
        trigger = deferred.trigger
        assert isinstance(trigger, ListScheduledTrigger)
        assert trigger.poll_interval == 7.0
        assert trigger.timeout == 120.0
        assert trigger.meetstream_conn_id == "ms"
        assert trigger.criteria["bot_ids"] == ["b1"]
        # The deferral's hard limit comes after the trigger's own timeout event.
        assert deferred.timeout.total_seconds() > trigger.timeout

    @pytest.mark.parametrize("setting", ["True", "False"])
    def test_default_comes_from_config(self, setting: str) -> None:
        import os
        import subprocess
        import sys

        code = (
            "from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor; "
            "print(ListScheduledSensor(task_id='s').deferrable)"
        )
        env = {**os.environ, "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": setting}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip().splitlines()[-1] == setting

    def test_execute_complete_success(self) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids=["b1"], deferrable=True)
        assert sensor.execute_complete({}, {"status": "success", "bots": [bot("b1")]}) == [bot("b1")]

    def test_execute_complete_timeout(self) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids=["b1"], deferrable=True)
        with pytest.raises(AirflowSensorTimeout, match="still waiting"):
            sensor.execute_complete({}, {"status": "timeout", "message": "still waiting"})

    def test_execute_complete_error(self) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids=["b1"], deferrable=True)
        with pytest.raises(MeetStreamError, match="boom"):
            sensor.execute_complete({}, {"status": "error", "message": "boom"})

    def test_execute_complete_cancelled(self) -> None:
        sensor = ListScheduledSensor(task_id="s", bot_ids=["b1"], deferrable=True)
        event = {"status": "error", "message": "m", "bot_id": "b1", "bot_status": "Cancelled"}
        with pytest.raises(MeetStreamBotCancelledError, match="bot b1 is Cancelled"):
            sensor.execute_complete({}, event)


class TestBotStatus:
    def test_members_are_meetstreams_strings(self) -> None:
        assert [status.value for status in BotStatus] == [
            "Scheduled",
            "Joining",
            "InWaitingRoom",
            "InMeeting",
            "Recording",
            "Leaving",
            "Stopped",
            "NotAllowed",
            "Denied",
            "Error",
            "Done",
            "Cancelled",
        ]
        assert BotStatus("InMeeting") is BotStatus.IN_MEETING
        assert "Scheduled" in BotStatus.WAITING_STATUSES

    def test_terminal_groups_split_every_status(self) -> None:
        assert set(BotStatus) == BotStatus.TERMINAL_STATUSES | BotStatus.NON_TERMINAL_STATUSES
        assert not BotStatus.TERMINAL_STATUSES & BotStatus.NON_TERMINAL_STATUSES
        assert BotStatus.CANCELLED in BotStatus.TERMINAL_STATUSES
        assert BotStatus.SCHEDULED in BotStatus.NON_TERMINAL_STATUSES

    def test_a_waiting_bot_has_not_joined(self) -> None:
        assert not BotStatus.WAITING_STATUSES & BotStatus.JOINED_STATUSES
        assert BotStatus.CANCELLED not in BotStatus.JOINED_STATUSES
