"""BotStatusSensor: its arguments; every terminal status, in poke, reschedule and deferrable modes."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import Mock

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSensorTimeout, TaskDeferred
from meetstream_fakes import API_KEY, BASE, FAILED, status

from airflow_provider_meetstream.constants import BotStatus
from airflow_provider_meetstream.exceptions import (
    MeetStreamBotFailedError,
    MeetStreamError,
    MeetStreamInputError,
)
from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor
from airflow_provider_meetstream.triggers.bot_status import BotStatusTrigger

pytestmark = pytest.mark.usefixtures("default_connection")


class TestArguments:
    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"bot_ids": None}, "bot_ids"),
            ({"bot_ids": []}, "bot_ids"),
            ({"bot_ids": "None"}, "bot_ids"),
            ({"bot_ids": "b1", "accept_statuses": ["InMeeting"]}, "accept_statuses"),
            ({"bot_ids": "b1", "accept_statuses": 3}, "accept_statuses"),
        ],
    )
    def test_bad_arguments_fail_at_parse_time(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            BotStatusSensor(task_id="s", **kwargs)
        assert caught.value.argument == argument

    @pytest.mark.parametrize("bot_ids", ["{{ ti.xcom_pull('create') }}", ["b1", "{{ params.bot }}"]])
    def test_accept_statuses_are_checked_beside_templated_ids(self, bot_ids: Any) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            BotStatusSensor(task_id="s", bot_ids=bot_ids, accept_statuses=["InMeeting"])
        assert caught.value.argument == "accept_statuses"

    def test_templated_ids_are_checked_once_rendered(self) -> None:
        sensor = BotStatusSensor(task_id="s", bot_ids="{{ ti.xcom_pull('create') }}")
        sensor.bot_ids = "None"
        with pytest.raises(MeetStreamInputError):
            sensor.poke({})


class TestPoke:
    def test_each_poke_closes_the_session_of_the_one_hook(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

        closed: list[MeetStreamHook] = []
        close = MeetStreamHook.close
        monkeypatch.setattr(MeetStreamHook, "close", lambda hook: closed.append(hook) or close(hook))
        sensor = BotStatusSensor(task_id="s", bot_ids="b1", hook_params={"timeout": 7})
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "InMeeting"))
            assert not sensor.poke({}).is_done
            assert not sensor.poke({}).is_done
        assert closed == [sensor.hook, sensor.hook]
        assert sensor.hook.timeout == 7.0

    def test_done_returns_each_final_status(self) -> None:
        sensor = BotStatusSensor(task_id="s", bot_ids=["b1", "b2"])
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "Done"))
            mock.get(f"{BASE}/bots/b2/status", json=status("b2", "Done", ended_at="2027-01-01T10:00:00Z"))
            result = sensor.poke({})
        assert result.is_done
        assert result.xcom_value == [
            status("b1", "Done"),
            status("b2", "Done", ended_at="2027-01-01T10:00:00Z"),
        ]
        assert API_KEY not in json.dumps(result.xcom_value)

    @pytest.mark.parametrize("value", [s.value for s in BotStatus.NON_TERMINAL_STATUSES])
    def test_a_running_bot_keeps_the_sensor_waiting(self, value: str) -> None:
        sensor = BotStatusSensor(task_id="s", bot_ids=["b1", "b2"])
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "Done"))
            mock.get(f"{BASE}/bots/b2/status", json=status("b2", value))
            assert not sensor.poke({}).is_done

    @pytest.mark.parametrize("value", FAILED)
    def test_a_failed_status_fails_at_once_with_its_reason(self, value: str) -> None:
        sensor = BotStatusSensor(task_id="s", bot_ids=["b1", "b2"])
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "InMeeting"))
            mock.get(f"{BASE}/bots/b2/status", json=status("b2", value, reason="host removed the bot"))
            with pytest.raises(MeetStreamBotFailedError) as caught:
                sensor.poke({})
        assert isinstance(caught.value, AirflowFailException)
        assert (caught.value.bot_id, caught.value.status) == ("b2", value)
        assert caught.value.reason == "host removed the bot"
        assert str(caught.value) == f"MeetStream bot b2 ended {value}: host removed the bot"

    @pytest.mark.parametrize("value", FAILED)
    def test_an_accepted_status_succeeds(self, value: str) -> None:
        sensor = BotStatusSensor(task_id="s", bot_ids="b1", accept_statuses=[value])
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", value))
            assert sensor.poke({}).xcom_value == [status("b1", value)]

    @pytest.mark.parametrize("end", ["Stopped", "Done"])
    def test_poke_mode_waits_for_the_end_of_the_meeting(
        self, monkeypatch: pytest.MonkeyPatch, end: str
    ) -> None:
        monkeypatch.setattr("time.sleep", lambda seconds: None)
        sensor = BotStatusSensor(task_id="s", bot_ids="b1", mode="poke", poke_interval=1, timeout=30)
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/bots/b1/status",
                [{"json": status("b1", s)} for s in ("Joining", "InMeeting", end, "Done")],
            )
            assert sensor.execute({}) == [status("b1", end)]
        assert mock.call_count == 3

    # Reschedule mode reads earlier reschedules from the metadata database (Airflow 2).
    def test_reschedule_mode_gives_the_slot_back_then_returns(self, airflow_db: object) -> None:
        try:
            from airflow.sdk.exceptions import AirflowRescheduleException
        except ImportError:  # Airflow 2
            from airflow.exceptions import AirflowRescheduleException  # type: ignore[no-redef]

        sensor = BotStatusSensor(task_id="s", bot_ids="b1", mode="reschedule", poke_interval=30, timeout=600)
        # Airflow 3 asks the task instance for its first reschedule; Airflow 2 looks it up by its keys.
        ti = Mock(dag_id="d", task_id="s", run_id="r", map_index=-1, max_tries=0)
        ti.get_first_reschedule_date.return_value = None
        context: Any = {"ti": ti}
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "InMeeting"))
            with pytest.raises(AirflowRescheduleException):
                sensor.execute(context)
            # Between leaving and the end of processing: a normal end, not a failure.
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "Stopped"))
            assert sensor.execute(context) == [status("b1", "Stopped")]
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "Done"))
            assert sensor.execute(context) == [status("b1", "Done")]
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "Denied"))
            with pytest.raises(MeetStreamBotFailedError):
                sensor.execute(context)


class TestDeferral:
    @pytest.mark.parametrize("end", ["Stopped", "Done"])
    def test_returns_without_deferring_when_the_meeting_is_over(self, end: str) -> None:
        sensor = BotStatusSensor(task_id="s", bot_ids="b1", deferrable=True)
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", end))
            assert sensor.execute({}) == [status("b1", end)]

    def test_fails_without_deferring_when_refused(self) -> None:
        sensor = BotStatusSensor(task_id="s", bot_ids="b1", deferrable=True)
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "NotAllowed"))
            with pytest.raises(MeetStreamBotFailedError, match="NotAllowed"):
                sensor.execute({})

    def test_defers_to_the_trigger(self) -> None:
        sensor = BotStatusSensor(
            task_id="s",
            bot_ids=[{"bot_id": "b1"}, {"bot_id": "b2"}],
            accept_statuses="Stopped",
            deferrable=True,
            poke_interval=5,
            timeout=90,
            meetstream_conn_id="meetstream_default",
        )
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/status", json=status("b1", "Done"))
            mock.get(f"{BASE}/bots/b2/status", json=status("b2", "Recording"))
            with pytest.raises(TaskDeferred) as caught:
                sensor.execute({})
        trigger = caught.value.trigger
        assert isinstance(trigger, BotStatusTrigger)
        assert caught.value.method_name == "execute_complete"
        assert trigger.wait == {"bot_ids": ["b1", "b2"], "accept_statuses": ["Stopped"]}
        assert (trigger.poll_interval, trigger.timeout) == (5.0, 90.0)
        assert caught.value.timeout.total_seconds() > trigger.timeout

    def test_execute_complete(self) -> None:
        sensor = BotStatusSensor(task_id="s", bot_ids="b1", deferrable=True)
        assert sensor.execute_complete({}, {"status": "success", "bots": [status("b1", "Done")]}) == [
            status("b1", "Done")
        ]
        failed = {"status": "failed", "bot_id": "b1", "bot_status": "Error", "reason": "crashed"}
        with pytest.raises(MeetStreamBotFailedError, match="b1 ended Error: crashed"):
            sensor.execute_complete({}, failed)
        with pytest.raises(AirflowSensorTimeout, match="still"):
            sensor.execute_complete({}, {"status": "timeout", "message": "still waiting"})
        with pytest.raises(MeetStreamError, match="boom"):
            sensor.execute_complete({}, {"status": "error", "message": "boom"})
