"""ListScheduledSensor: its arguments, literal and rendered; poke; deferral and resumption."""

from __future__ import annotations

import json

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import AirflowSensorTimeout, TaskDeferred
from meetstream_fakes import BASE, bot

from airflow_provider_meetstream.exceptions import (
    MeetStreamBotCancelledError,
    MeetStreamError,
    MeetStreamInputError,
)
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor
from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger

pytestmark = pytest.mark.usefixtures("default_connection")


class TestArguments:
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
