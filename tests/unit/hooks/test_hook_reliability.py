"""Issue 11 at the hook: lost DELETE answers, the per-call deadline, loose answers, plain HTTP, the pool."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging

import httpx
import pytest
import requests
import requests_mock as rm

from airflow_provider_meetstream.constants import DEFAULT_DEADLINE, MAX_BODY_BYTES
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamConnectionError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamRateLimitError,
)
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.errors import parse_retry_after
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.hooks.policy import RequestPolicy

API_KEY = "ms_live_key_4f9a2c7e1b"
BASE = "https://api.meetstream.test/api/v1"
NOT_FOUND = {"status_code": 404, "json": {"detail": "no such schedule"}}


def _connection(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    conn = {"conn_type": "meetstream", "host": BASE, "password": API_KEY, **fields}
    monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps(conn))


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr("airflow_provider_meetstream.hooks.policy.sleep", fake.sleep)
    monkeypatch.setattr("airflow_provider_meetstream.hooks.policy.clock", fake.clock)
    monkeypatch.setattr("airflow_provider_meetstream.hooks.policy.asleep", fake.asleep)
    return fake


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> MeetStreamHook:
    _connection(monkeypatch)
    return MeetStreamHook()


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

    def test_the_async_client_shares_the_rule(self, monkeypatch: pytest.MonkeyPatch, fake_time) -> None:
        _connection(monkeypatch)
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


class TestDeadline:
    """Finding 2: one time budget per call, waits that never overrun it, jitter, a page cap."""

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

    def test_waits_on_retry_after_are_jittered(self, hook: MeetStreamHook, fake_time: FakeTime) -> None:
        waits = [RequestPolicy().wait_seconds(1, 60.0) for _ in range(50)]
        assert all(60.0 <= wait <= 61.0 for wait in waits)
        assert len(set(waits)) > 40

    def test_deadline_is_read_from_the_connection_and_the_hook(
        self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
    ) -> None:
        _connection(monkeypatch, extra=json.dumps({"deadline": "30"}))
        assert MeetStreamHook().config.deadline == 30.0
        assert MeetStreamHook(deadline=5).config.deadline == 5.0
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=503)
            with pytest.raises(MeetStreamError, match="deadline of 5 s"):
                MeetStreamHook(deadline=5).list_scheduled_bots()
        assert sum(fake_time.waits) <= 5.0

    def test_timeouts_never_exceed_the_remaining_budget(self, monkeypatch, fake_time: FakeTime) -> None:
        _connection(monkeypatch)
        hook = MeetStreamHook(deadline=4)
        with rm.Mocker() as mock:
            mock.get(rm.ANY, [{"exc": requests.ReadTimeout}, {"json": {"scheduled_bots": []}}])
            hook.list_scheduled_bots()
        first, second = (r.timeout for r in mock.request_history)
        assert first == (4.0, 4.0)
        assert second[1] <= 4.0 - fake_time.waits[0] + 1e-9

    @pytest.mark.parametrize("value", [0, -1, "x", True, 1e9])
    def test_bad_deadline_is_named(self, monkeypatch: pytest.MonkeyPatch, value: object) -> None:
        _connection(monkeypatch, extra=json.dumps({"deadline": value}))
        with pytest.raises(MeetStreamInputError, match="deadline"):
            _ = MeetStreamHook().config
        with pytest.raises(MeetStreamInputError, match="deadline"):
            MeetStreamHook(deadline=value)  # type: ignore[arg-type]

    def test_iter_events_stops_at_its_page_cap(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"json": {"results": [{"id": f"e{n}"}], "next": f"c{n}"}} for n in range(10)],
            )
            with pytest.raises(MeetStreamError, match="max_pages=3"):
                list(hook.iter_events(max_pages=3))
        assert mock.call_count == 3
        with pytest.raises(MeetStreamInputError, match="max_pages"):
            hook.iter_events(max_pages=0)

    def test_async_attempt_is_bounded_by_the_budget(self, monkeypatch: pytest.MonkeyPatch) -> None:
        _connection(monkeypatch)

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


class TestLooseAnswers:
    """Finding 10: ids must be strings, bodies are capped, a nonsense Retry-After is no Retry-After."""

    @pytest.mark.parametrize("bot_id", [123, ["a"], True, "", None])
    def test_schedule_answer_ids_must_be_strings(self, hook: MeetStreamHook, bot_id: object) -> None:
        with rm.Mocker() as mock:
            mock.post(rm.ANY, json={"scheduled": True, "bot_id": bot_id, "schedule_id": "s1"})
            with pytest.raises(MeetStreamAPIError, match="bot_id"):
                hook.schedule_event("e", deduplication_key="k")
            # schedule_id is checked when the answer carries it.
            mock.post(rm.ANY, json={"scheduled": True, "bot_id": "b1", "schedule_id": bot_id})
            with pytest.raises(MeetStreamAPIError, match="schedule_id"):
                hook.schedule_event("e", deduplication_key="k")

    @pytest.mark.parametrize("bot_id", [123, ["a"], True, ""])
    def test_listed_bots_need_string_ids(self, hook: MeetStreamHook, bot_id: object) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": [{"bot_id": "b1"}, {"bot_id": bot_id}]})
            with pytest.raises(MeetStreamAPIError, match="bot_id"):
                hook.list_scheduled_bots()

    @pytest.mark.parametrize("status", [123, None, "", ["Done"]])
    def test_status_answer_needs_a_status(self, hook: MeetStreamHook, status: object) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"bot_id": "b1", "status": status})
            with pytest.raises(MeetStreamAPIError, match="status"):
                hook.get_bot_status("b1")

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

    @pytest.mark.parametrize("value", ["-5", "nan", "inf", "-inf", "soon", "1e400"])
    def test_nonsense_retry_after_is_absent(self, value: str) -> None:
        assert parse_retry_after(value) is None

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

    def test_async_client_caps_the_body(self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> None:
        _connection(monkeypatch)
        bomb = gzip.compress(b'{"scheduled_bots": [], "pad": "' + b"0" * (MAX_BODY_BYTES * 2) + b'"}')

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})

        real = httpx.AsyncClient
        monkeypatch.setattr(
            httpx, "AsyncClient", lambda **kw: real(transport=httpx.MockTransport(handler), **kw)
        )

        async def scenario() -> None:
            async with MeetStreamAsyncClient() as client:
                await client.list_scheduled_bots()

        with pytest.raises(MeetStreamAPIError, match="larger than 10 MiB"):
            asyncio.run(scenario())


class TestPlainHttp:
    """Finding 3: the API key goes over plain HTTP only to loopback, unless the connection allows it."""

    @pytest.mark.parametrize("host", ["http://api.meetstream.ai", "http://10.0.0.5:8080", "http://[fe80::1]"])
    def test_refused_off_loopback(self, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
        _connection(monkeypatch, host=host)
        with rm.Mocker() as mock, pytest.raises(MeetStreamError, match="allow_insecure_http"):
            MeetStreamHook().list_scheduled_bots()
        assert mock.call_count == 0

    @pytest.mark.parametrize(
        "host", ["http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:9000", "http://[::1]:80"]
    )
    def test_loopback_is_fine(self, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
        _connection(monkeypatch, host=host)
        assert MeetStreamHook().config.base_url.startswith("http://")

    @pytest.mark.parametrize("allowed", [True, "true", "True"])
    def test_the_extra_allows_it(self, monkeypatch: pytest.MonkeyPatch, allowed: object) -> None:
        _connection(
            monkeypatch, host="http://gateway.internal", extra=json.dumps({"allow_insecure_http": allowed})
        )
        assert MeetStreamHook().config.base_url == "http://gateway.internal/api/v1"

    @pytest.mark.parametrize("allowed", [False, "false", "no", ""])
    def test_anything_else_does_not(self, monkeypatch: pytest.MonkeyPatch, allowed: object) -> None:
        _connection(
            monkeypatch, host="http://gateway.internal", extra=json.dumps({"allow_insecure_http": allowed})
        )
        with pytest.raises(MeetStreamError, match="allow_insecure_http"):
            _ = MeetStreamHook().config

    def test_the_async_client_refuses_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        _connection(monkeypatch, host="http://api.meetstream.ai")
        with pytest.raises(MeetStreamError, match="allow_insecure_http"):
            asyncio.run(MeetStreamAsyncClient().get_config())

    def test_the_form_offers_the_extra(self) -> None:
        import importlib.util

        from airflow.providers_manager import ProvidersManager

        if importlib.util.find_spec("flask_appbuilder") is not None:
            # Airflow before 3.2 builds the connection form from the hook's widgets.
            from wtforms import BooleanField

            field = MeetStreamHook.get_connection_form_widgets()["allow_insecure_http"]
            assert field.field_class is BooleanField
            assert field.kwargs["default"] is False
        else:
            # Airflow 3.2+ builds it from the provider info's conn-fields, without importing the hook.
            widget = ProvidersManager().connection_form_widgets["extra__meetstream__allow_insecure_http"]
            assert widget.hook_class_name == "airflow_provider_meetstream.hooks.meetstream.MeetStreamHook"
            assert widget.field["schema"] == {"type": ["boolean", "null"], "title": "Allow plain HTTP"}
            assert "loopback" in widget.field["description"]
            assert widget.is_sensitive is False


class TestPool:
    """Finding 11: threads beyond the pool wait for a pooled connection instead of opening more."""

    def test_the_pool_blocks(self, hook: MeetStreamHook) -> None:
        adapter = hook.get_conn().get_adapter(BASE)
        assert adapter._pool_block is True
        assert adapter._pool_maxsize == 10

    @pytest.mark.parametrize("size", [0, 257, 10**18, True, "10"])
    def test_pool_maxsize_is_bounded(self, size: object) -> None:
        with pytest.raises(MeetStreamInputError, match="pool_maxsize"):
            MeetStreamHook(pool_maxsize=size)  # type: ignore[arg-type]
