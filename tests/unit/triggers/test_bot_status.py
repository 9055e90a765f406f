"""BotStatusTrigger with no server: its serialized form and its run() driven to one event."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import AsyncMock

import pytest
from meetstream_fakes import API_KEY, FAILED, events_of, status

from airflow_provider_meetstream.triggers.bot_status import BotStatusTrigger
from airflow_provider_meetstream.utils.bot_wait import BotWait


def test_trigger_serialize_round_trip() -> None:
    wait = BotWait.build(bot_ids=["b1", "b2"], accept_statuses=["Stopped"]).serialize()
    trigger = BotStatusTrigger(
        meetstream_conn_id="ms", wait=wait, poll_interval=5.0, timeout=60.0, started_at=1_800_000_000.0
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_meetstream.triggers.bot_status.BotStatusTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert BotStatusTrigger(**kwargs).serialize() == (classpath, kwargs)


class TestTrigger:
    @staticmethod
    def events(**kwargs: Any) -> list[Any]:
        return events_of(BotStatusTrigger(meetstream_conn_id="ms", poll_interval=0.01, **kwargs))

    def test_success_asks_each_bot_only_until_it_is_terminal(self, client: AsyncMock) -> None:
        answers = {
            "b1": iter([status("b1", "Done")]),
            "b2": iter([status("b2", "Joining"), status("b2", "InMeeting"), status("b2", "Stopped")]),
        }
        client.get_bot_status.side_effect = lambda bot_id: next(answers[bot_id])
        (event,) = self.events(wait=BotWait.build(bot_ids=["b1", "b2"]).serialize(), timeout=10)
        # Stopped: it left normally; processing follows, and the meeting is over.
        assert event == {"status": "success", "bots": [status("b1", "Done"), status("b2", "Stopped")]}
        asked = [call.args[0] for call in client.get_bot_status.await_args_list]
        assert asked == ["b1", "b2", "b2", "b2"]

    @pytest.mark.parametrize("value", FAILED)
    def test_a_failed_status_is_one_failed_event(self, client: AsyncMock, value: str) -> None:
        client.get_bot_status.return_value = status("b1", value, message="waiting room timeout")
        (event,) = self.events(wait=BotWait.build(bot_ids="b1").serialize(), timeout=10)
        assert event == {
            "status": "failed",
            "bot_id": "b1",
            "bot_status": value,
            "reason": "waiting room timeout",
            "message": f"MeetStream bot b1 ended {value}: waiting room timeout",
        }

    @pytest.mark.parametrize("value", FAILED)
    def test_an_accepted_status_is_success(self, client: AsyncMock, value: str) -> None:
        client.get_bot_status.return_value = status("b1", value)
        wait = BotWait.build(bot_ids="b1", accept_statuses=value).serialize()
        (event,) = self.events(wait=wait, timeout=10)
        assert event == {"status": "success", "bots": [status("b1", value)]}

    def test_timeout(self, client: AsyncMock) -> None:
        client.get_bot_status.return_value = status("b1", "InMeeting")
        (event,) = self.events(wait=BotWait.build(bot_ids="b1").serialize(), timeout=0.05)
        assert event["status"] == "timeout"
        assert "1 pending (b1)" in event["message"]

    def test_an_exception_is_an_error_event_without_the_key(self, client: AsyncMock) -> None:
        client.get_bot_status.side_effect = RuntimeError(f"echoed {API_KEY}")
        (event,) = self.events(wait=BotWait.build(bot_ids="b1").serialize(), timeout=10)
        assert event == {"status": "error", "message": "RuntimeError: echoed ***"}
