"""One attempt on the wire, sync and async: timeouts, failed attempts, redirects, bodies."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable

import httpx
import pytest
import requests
import requests_mock as rm
from meetstream_fakes import SCHEDULED, FakeTime

from airflow_provider_meetstream.constants import MAX_BODY_BYTES
from airflow_provider_meetstream.exceptions import MeetStreamAPIError, MeetStreamConnectionError
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


class TestTimeouts:
    """Every attempt carries a connect and a read timeout, never longer than the call has left."""

    def test_timeouts_are_always_passed(self, connection: Callable[..., None], waits: list[float]) -> None:
        connection(extra=json.dumps({"timeout": "7.5"}))
        hook = MeetStreamHook()
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": [], "results": [], "bot_id": "b", "status": "Scheduled"})
            mock.post(rm.ANY, json=SCHEDULED)
            hook.list_scheduled_bots()
            hook.get_bot_status("b")
            hook.schedule_event("e", deduplication_key="k")
            list(hook.iter_events())
        assert len(mock.request_history) == 4
        assert {r.timeout for r in mock.request_history} == {(7.5, 7.5)}

    def test_default_timeouts(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": []})
            hook.list_scheduled_bots()
        assert mock.last_request.timeout == (10.0, 30.0)

    def test_timeouts_never_exceed_the_remaining_budget(
        self, connection: Callable[..., None], fake_time: FakeTime
    ) -> None:
        connection()
        hook = MeetStreamHook(deadline=4)
        with rm.Mocker() as mock:
            mock.get(rm.ANY, [{"exc": requests.ReadTimeout}, {"json": {"scheduled_bots": []}}])
            hook.list_scheduled_bots()
        first, second = (r.timeout for r in mock.request_history)
        assert first == (4.0, 4.0)
        assert second[1] <= 4.0 - fake_time.waits[0] + 1e-9


class TestFailedAttempts:
    """What an attempt without a usable answer becomes: another attempt, or a final error."""

    @pytest.mark.parametrize(
        "failure", [requests.ConnectionError, requests.ConnectTimeout, requests.ReadTimeout]
    )
    def test_transport_failures_are_retried_then_raised(
        self, hook: MeetStreamHook, waits: list[float], failure: type[Exception]
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, exc=failure)
            with pytest.raises(MeetStreamConnectionError, match="after 5 attempt"):
                hook.list_scheduled_bots()
        assert mock.call_count == 5
        assert len(waits) == 4

    def test_transport_failure_then_success(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, [{"exc": requests.ConnectionError}, {"json": {"scheduled_bots": []}}])
            assert hook.list_scheduled_bots() == []
        assert mock.call_count == 2

    @pytest.mark.parametrize(
        "failure", [requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError]
    )
    def test_answers_cut_off_mid_body_are_retried(
        self, hook: MeetStreamHook, waits: list[float], failure
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, [{"exc": failure("connection broken")}, {"json": {"scheduled_bots": []}}])
            assert hook.list_scheduled_bots() == []
        assert mock.call_count == 2

    @pytest.mark.parametrize(
        "failure",
        [
            requests.exceptions.SSLError("certificate verify failed"),
            requests.exceptions.InvalidURL("bad url"),
            requests.exceptions.InvalidSchema("no adapter"),
        ],
    )
    def test_tls_and_url_failures_are_not_retried(
        self, hook: MeetStreamHook, waits: list[float], failure
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, exc=failure)
            with pytest.raises(MeetStreamConnectionError) as caught:
                hook.list_scheduled_bots()
        assert mock.call_count == 1
        assert waits == []
        assert type(failure).__name__ in str(caught.value)

    def test_final_error_keeps_no_transport_exception(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, exc=requests.ConnectionError("refused"))
            with pytest.raises(MeetStreamConnectionError) as caught:
                hook.list_scheduled_bots()
        assert "ConnectionError: refused" in str(caught.value)
        chained, seen = caught.value, []
        while chained is not None:
            seen.append(chained)
            chained = chained.__cause__ or chained.__context__
        # A requests exception carries the request, and with it the Authorization header.
        assert not any(isinstance(error, requests.RequestException) for error in seen)

    @pytest.mark.parametrize("status", [301, 302, 307])
    def test_redirects_are_errors_not_followed(
        self, hook: MeetStreamHook, waits: list[float], status: int
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=status, headers={"Location": "https://elsewhere.example/api"})
            with pytest.raises(MeetStreamAPIError) as caught:
                hook.list_scheduled_bots()
        assert mock.call_count == 1
        assert waits == []
        assert caught.value.status_code == status
        assert "elsewhere.example" in caught.value.message


class TestBodies:
    """Bodies are read in chunks up to a cap on their decoded size, by both clients (finding 10)."""

    def test_a_huge_body_is_refused(self, hook: MeetStreamHook) -> None:
        body = b'{"scheduled_bots": [], "pad": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
        with rm.Mocker() as mock:
            mock.get(rm.ANY, content=body)
            with pytest.raises(MeetStreamAPIError, match="larger than 10 MiB"):
                hook.list_scheduled_bots()

    def test_a_gzip_bomb_is_refused(self, hook: MeetStreamHook) -> None:
        bomb = gzip.compress(b'{"scheduled_bots": [], "pad": "' + b"0" * (MAX_BODY_BYTES * 3) + b'"}')
        assert len(bomb) < MAX_BODY_BYTES // 100
        with rm.Mocker() as mock:
            mock.get(rm.ANY, content=bomb, headers={"Content-Encoding": "gzip"})
            with pytest.raises(MeetStreamAPIError, match="larger than 10 MiB"):
                hook.list_scheduled_bots()
            mock.get(
                rm.ANY, content=gzip.compress(b'{"scheduled_bots": []}'), headers={"Content-Encoding": "gzip"}
            )
            assert hook.list_scheduled_bots() == []

    def test_async_client_caps_the_body(
        self, connection: Callable[..., None], fake_time: FakeTime, answer_async_requests: Callable[..., None]
    ) -> None:
        connection()
        bomb = gzip.compress(b'{"scheduled_bots": [], "pad": "' + b"0" * (MAX_BODY_BYTES * 2) + b'"}')

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})

        answer_async_requests(handler)

        async def scenario() -> None:
            async with MeetStreamAsyncClient() as client:
                await client.list_scheduled_bots()

        with pytest.raises(MeetStreamAPIError, match="larger than 10 MiB"):
            asyncio.run(scenario())
