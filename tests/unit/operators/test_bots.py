"""CreateBotOperator: one idempotency key per task instance, a small XCom, its arguments checked."""

from __future__ import annotations

import json
import uuid

import pytest
import requests_mock as rm
from meetstream_fakes import API_KEY, BASE, ZOOM_CREATED, ZOOM_LINK, task_context

from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.operators.bots import IDEMPOTENCY_NAMESPACE, CreateBotOperator

pytestmark = pytest.mark.usefixtures("default_connection")


class TestCreateBot:
    def test_sends_one_key_per_task_instance_and_returns_a_small_xcom(self) -> None:
        operator = CreateBotOperator(task_id="t", meeting_link=ZOOM_LINK, bot_config={"bot_name": "Notes"})
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", [{"status_code": 201, "json": ZOOM_CREATED}])
            first = operator.execute(task_context(try_number=1))
            mock.post(f"{BASE}/bots/create_bot", [{"status_code": 507, "json": ZOOM_CREATED}])
            retry = operator.execute(task_context(try_number=2))
            operator.execute(task_context(map_index=3))
            operator.execute(task_context(run_id="manual__2"))
        assert (
            first
            == retry
            == {"bot_id": "bot_1", "transcript_id": "tr_1", "meeting_url": ZOOM_LINK, "status": "Joining"}
        )
        keys = [request.headers["Idempotency-Key"] for request in mock.request_history]
        assert keys[0] == keys[1] == str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, "d\nt\nmanual__1\n-1"))
        assert len(set(keys)) == 3
        assert mock.request_history[0].json() == {"meeting_link": ZOOM_LINK, "bot_name": "Notes"}
        assert API_KEY not in json.dumps(first)

    def test_a_given_key_wins(self) -> None:
        operator = CreateBotOperator(task_id="t", meeting_link=ZOOM_LINK, idempotency_key="shared-42")
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=201, json=ZOOM_CREATED)
            operator.execute(task_context())
        assert mock.last_request.headers["Idempotency-Key"] == "shared-42"

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"meeting_link": "zoom.us/j/1"}, "meeting_link"),
            ({"meeting_link": ZOOM_LINK, "bot_config": {"join_at": "2027-01-01T09:00"}}, "join_at"),
            ({"meeting_link": ZOOM_LINK, "bot_config": {"meeting_link": ZOOM_LINK}}, "bot_config"),
            ({"meeting_link": ZOOM_LINK, "idempotency_key": "é"}, "idempotency_key"),
        ],
    )
    def test_literal_mistakes_fail_at_parse_time(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            CreateBotOperator(task_id="t", **kwargs)
        assert caught.value.argument == argument

    def test_a_templated_link_is_checked_once_rendered(self) -> None:
        operator = CreateBotOperator(task_id="t", meeting_link="{{ params.link }}")
        operator.meeting_link = "None"
        with rm.Mocker() as mock, pytest.raises(MeetStreamInputError):
            operator.execute(task_context())
        assert mock.call_count == 0
