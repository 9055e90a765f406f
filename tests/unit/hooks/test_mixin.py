"""MeetStreamHookMixin: a task's one hook, built from meetstream_conn_id and hook_params, closed after use."""

from __future__ import annotations

import pytest
import requests_mock as rm
from meetstream_fakes import BASE

from airflow_provider_meetstream.exceptions import MeetStreamAPIError, MeetStreamInputError
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator, UnscheduleEventOperator
from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator

pytestmark = pytest.mark.usefixtures("default_connection")


class TestHook:
    """Every task builds its hook once, from meetstream_conn_id and hook_params, and closes it after use."""

    def test_hook_params_reach_the_hook(self) -> None:
        op = ScheduleEventOperator(
            task_id="t", event_id="e", deduplication_key="k", hook_params={"timeout": 5, "max_retries": 2}
        )
        assert (op.hook.timeout, op.hook.max_retries, op.hook.pool_maxsize) == (5.0, 2, 10)
        assert op.hook is op.hook

    def test_an_unknown_hook_param_fails_at_parse_time(self) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            UnscheduleEventOperator(task_id="t", event_id="e", hook_params={"retries": 3})
        assert caught.value.argument == "hook_params"

    def test_the_pool_fits_the_threads_unless_told_otherwise(self) -> None:
        from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

        series = {"task_id": "b", "event_id": "e", "deduplication_key": "k"}
        assert ScheduleRecurringEventOperator(**series, max_concurrency=24).hook.pool_maxsize == 24
        assert ScheduleRecurringEventOperator(**series, max_concurrency=2).hook.pool_maxsize == 10
        given = ScheduleRecurringEventOperator(**series, max_concurrency=24, hook_params={"pool_maxsize": 50})
        assert given.hook.pool_maxsize == 50
        assert SyncCalendarBotsOperator(task_id="s", max_concurrency=4).hook.pool_maxsize == 4

    @pytest.mark.parametrize("status", [200, 500])
    def test_the_session_is_closed_after_execute(self, monkeypatch: pytest.MonkeyPatch, status: int) -> None:
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

        closed: list[MeetStreamHook] = []
        close = MeetStreamHook.close
        monkeypatch.setattr(MeetStreamHook, "close", lambda hook: closed.append(hook) or close(hook))
        op = UnscheduleEventOperator(task_id="t", event_id="e", hook_params={"max_retries": 1})
        with rm.Mocker() as mock:
            mock.delete(f"{BASE}/calendar/schedule/e", status_code=status, json={"schedules_cancelled": 1})
            if status == 200:
                op.execute({})
            else:
                with pytest.raises(MeetStreamAPIError):
                    op.execute({})
        assert closed == [op.hook]
