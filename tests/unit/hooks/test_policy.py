"""The retry policy both clients share: what is retried, the waits, the deadline, a DELETE's lost answer."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
import requests_mock as rm
from meetstream_fakes import SCHEDULED, FakeTime

from airflow_provider_meetstream.constants import DEFAULT_DEADLINE
from airflow_provider_meetstream.exceptions import (
    MeetStreamConnectionError,
    MeetStreamNotFoundError,
    MeetStreamRateLimitError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.hooks.policy import RequestPolicy

NOT_FOUND = {"status_code": 404, "json": {"detail": "no such schedule"}}


class TestRetries:
    """Retryable answers retried with backoff and jitter, honouring Retry-After, until attempts run out."""

    @pytest.mark.parametrize("status", [503, 429, 500, 502, 504, 408])
    def test_retryable_statuses_then_success(
        self, hook: MeetStreamHook, waits: list[float], status: int
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"status_code": status, "json": {"message": "busy"}}] * 2
                + [{"json": {"scheduled_bots": [{"bot_id": "b"}]}}],
            )
            assert hook.list_scheduled_bots() == [{"bot_id": "b"}]
        assert mock.call_count == 3
        assert len(waits) == 2
        # Exponential backoff with up to 1 s of jitter: 1-2 s, then 2-3 s.
        assert 1.0 <= waits[0] <= 2.0
        assert 2.0 <= waits[1] <= 3.0

    def test_retry_after_seconds_is_honoured(self, hook: MeetStreamHook, waits: list[float]) -> None:
        with rm.Mocker() as mock:
            mock.post(
                rm.ANY,
                [
                    {"status_code": 429, "headers": {"Retry-After": "7"}, "json": {"message": "slow down"}},
                    {"json": SCHEDULED},
                ],
            )
            hook.schedule_event("evt_1", deduplication_key="k")
        # What the server asked for, plus up to a tenth of it so that workers do not retry in lockstep.
        assert len(waits) == 1
        assert 7.0 <= waits[0] <= 7.7

    def test_retry_after_http_date_is_honoured(self, hook: MeetStreamHook, waits: list[float]) -> None:
        when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"status_code": 503, "headers": {"Retry-After": when}}, {"json": {"scheduled_bots": []}}],
            )
            hook.list_scheduled_bots()
        assert len(waits) == 1
        assert 17.0 <= waits[0] <= 21.0

    def test_retry_after_is_capped(self, hook: MeetStreamHook, waits: list[float]) -> None:
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"status_code": 429, "headers": {"Retry-After": "3600"}}, {"json": {"scheduled_bots": []}}],
            )
            hook.list_scheduled_bots()
        assert len(waits) == 1
        assert 60.0 <= waits[0] <= 61.0

    def test_rate_limit_error_once_retries_are_spent(self, hook: MeetStreamHook, waits: list[float]) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=429, headers={"Retry-After": "2"}, json={"message": "limited"})
            with pytest.raises(MeetStreamRateLimitError) as caught:
                hook.list_scheduled_bots()
        assert mock.call_count == 5
        assert len(waits) == 4
        assert all(2.0 <= wait <= 2.2 for wait in waits)
        assert caught.value.retry_after == 2.0
        assert caught.value.status_code == 429

    def test_server_error_once_retries_are_spent(
        self, connection: Callable[..., None], waits: list[float]
    ) -> None:
        connection(extra=json.dumps({"max_retries": "3"}))
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=502, text="Bad Gateway")
            with pytest.raises(MeetStreamServerError, match="502"):
                MeetStreamHook().list_scheduled_bots()
        assert mock.call_count == 3

    def test_nonsense_retry_after_keeps_backoff(self, hook: MeetStreamHook, fake_time: FakeTime) -> None:
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"status_code": 429, "headers": {"Retry-After": "-5"}}] * 3
                + [{"json": {"scheduled_bots": []}}],
            )
            hook.list_scheduled_bots()
        assert len(fake_time.waits) == 3
        assert fake_time.waits[0] >= 1.0
        assert fake_time.waits[2] >= 4.0

    def test_waits_on_retry_after_are_jittered(self, hook: MeetStreamHook, fake_time: FakeTime) -> None:
        waits = [RequestPolicy().wait_seconds(1, 60.0) for _ in range(50)]
        assert all(60.0 <= wait <= 61.0 for wait in waits)
        assert len(set(waits)) > 40

    def test_backoff_grows_and_is_capped(self) -> None:
        policy = RequestPolicy(initial_wait=1.0, max_wait=10.0, jitter=0.0)
        assert [policy.wait_seconds(n, None) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
        assert policy.wait_seconds(1, 4.0) == 4.0
        assert policy.wait_seconds(1, 400.0) == 10.0


class TestDeadline:
    """Finding 2: one time budget per call, and waits that never overrun it."""

    def test_retry_after_storm_gives_up_before_the_deadline(
        self, hook: MeetStreamHook, fake_time: FakeTime
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=429, headers={"Retry-After": "60"})
            with pytest.raises(MeetStreamRateLimitError) as caught:
                hook.list_scheduled_bots()
        # One wait of 60 s (plus jitter): the next would pass the 120 s deadline, so no second one.
        assert mock.call_count == 2
        assert len(fake_time.waits) == 1
        assert 60.0 <= fake_time.waits[0] <= 61.0
        assert "deadline" in str(caught.value)
        print(
            f"\nRetry-After: 60 storm, deadline {DEFAULT_DEADLINE:g} s: waited {sum(fake_time.waits):.1f} s"
        )

    def test_async_attempt_is_bounded_by_the_budget(self, connection: Callable[..., None]) -> None:
        connection()

        async def scenario() -> float:
            async def hang(budget: object) -> dict:
                await asyncio.sleep(30)
                return {}

            from airflow_provider_meetstream.hooks.endpoints import LIST_SCHEDULED

            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(MeetStreamConnectionError, match="deadline"):
                await RequestPolicy(deadline=0.2).acall(
                    hang, LIST_SCHEDULED.request(), logging.getLogger("t")
                )
            return loop.time() - started

        took = asyncio.run(scenario())
        print(f"\nasync attempt hanging 30 s, deadline 0.2 s: ended after {took:.2f} s")
        assert took < 5.0


class TestLostAnswerOnDelete:
    """Finding 1: a 404 after an attempt that got no answer means the DELETE was done."""

    @pytest.mark.parametrize(
        "lost", [requests.ConnectionError("reset by peer"), requests.ReadTimeout("read")]
    )
    def test_unschedule_whose_answer_was_lost(
        self,
        hook: MeetStreamHook,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
        lost: Exception,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        with rm.Mocker() as mock:
            mock.delete(rm.ANY, [{"exc": lost}, NOT_FOUND])
            answer = hook.unschedule_event("evt/1", cancel_all_occurrences=True)
        assert mock.call_count == 2
        assert answer["unscheduled"] is True
        assert answer["event_id"] == "evt/1"
        assert answer["answer_lost"] is True
        assert "first answer was lost" in answer["message"]
        output = capsys.readouterr()
        assert "answer was lost" in caplog.text + output.out + output.err

    def test_delete_bot_whose_answer_was_lost(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.delete(rm.ANY, [{"exc": requests.ConnectionError("reset")}, {"status_code": 503}, NOT_FOUND])
            answer = hook.delete_scheduled_bot("bot 1")
        assert mock.call_count == 3
        assert answer["bot_id"] == "bot 1"
        assert answer["answer_lost"] is True
        assert answer["message"]

    def test_a_first_404_is_still_not_found(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.delete(rm.ANY, [{"status_code": 503}, NOT_FOUND])
            with pytest.raises(MeetStreamNotFoundError):
                hook.unschedule_event("evt_1")
            with pytest.raises(MeetStreamNotFoundError):
                hook.delete_scheduled_bot("bot_1")

    def test_a_request_never_sent_proves_nothing(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.delete(rm.ANY, [{"exc": requests.ConnectTimeout("connect")}, NOT_FOUND])
            with pytest.raises(MeetStreamNotFoundError):
                hook.delete_scheduled_bot("bot_1")

    def test_only_deletes_read_a_404_as_done(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, [{"exc": requests.ConnectionError("reset")}, NOT_FOUND])
            mock.patch(rm.ANY, [{"exc": requests.ConnectionError("reset")}, NOT_FOUND])
            with pytest.raises(MeetStreamNotFoundError):
                hook.get_bot_status("bot_1")
            with pytest.raises(MeetStreamNotFoundError):
                hook.update_scheduled_bot("bot_1", bot_username="x")

    def test_the_async_client_shares_the_rule(self, connection: Callable[..., None], fake_time) -> None:
        connection()
        policy = RequestPolicy(max_attempts=3)
        calls: list[int] = []

        async def attempt(budget: object) -> dict:
            from airflow_provider_meetstream.hooks.errors import TransportFailure

            calls.append(1)
            if len(calls) == 1:
                raise TransportFailure("ReadError: lost")
            raise MeetStreamNotFoundError("gone", status_code=404)

        from airflow_provider_meetstream.hooks.endpoints import DELETE_SCHEDULED_BOT

        request = DELETE_SCHEDULED_BOT.request("b1")
        answer = asyncio.run(policy.acall(attempt, request, logging.getLogger("t")))
        assert answer["answer_lost"] is True
        assert answer["bot_id"] == "b1"
