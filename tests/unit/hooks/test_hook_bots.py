"""Bots and transcripts endpoints, sync and async: the requests sent, the answers read, the errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import requests_mock as rm

from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamInputError,
    MeetStreamNotReadyError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

API_KEY = "ms_live_key_bots_7d1e"
BASE = "https://api.meetstream.test/api/v1"
LINK = "https://meet.google.com/abc-defg-hij"
CREATED = {"bot_id": "bot_9", "transcript_id": "tr_9", "meeting_url": LINK, "status": "Joining"}
SEGMENTS = [
    {"speaker": "Ada", "transcript": "Hello all.", "start_time": 0.0, "end_time": 1.5},
    {"speaker": "Grace", "transcript": "Hi Ada.", "start_time": 1.5, "end_time": 2.25},
]


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> MeetStreamHook:
    conn = {"conn_type": "meetstream", "host": BASE, "password": API_KEY}
    monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps(conn))
    monkeypatch.setattr("airflow_provider_meetstream.hooks.policy.sleep", lambda seconds: None)
    return MeetStreamHook()


class TestCreateBot:
    def test_sends_meeting_link_and_config_at_top_level(self, hook: MeetStreamHook) -> None:
        config = {
            "bot_name": "Notetaker",
            "bot_message": "Recording for the minutes",
            "join_at": datetime(2027, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))),
            "recording_config": {"transcript": {"provider": {"deepgram": {"model": "nova-3"}}}},
            "custom_attributes": {"source": "airflow"},
            "automatic_leave": {"everyone_left_timeout": 30},
            "future_field": [1, 2],
        }
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=201, json=CREATED)
            answer = hook.create_bot(LINK, bot_config=config, idempotency_key="key-123")
        assert answer == CREATED
        sent = mock.last_request
        assert sent.headers["Idempotency-Key"] == "key-123"
        assert sent.headers["Authorization"] == f"Token {API_KEY}"
        assert sent.json() == {
            "meeting_link": LINK,
            "bot_name": "Notetaker",
            "bot_message": "Recording for the minutes",
            "join_at": "2027-03-01T09:00:00Z",
            "recording_config": {"transcript": {"provider": {"deepgram": {"model": "nova-3"}}}},
            "custom_attributes": {"source": "airflow"},
            "automatic_leave": {"everyone_left_timeout": 30},
            "future_field": [1, 2],
        }

    def test_a_replay_answering_507_is_the_original_bot(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=507, json=CREATED)
            assert hook.create_bot(LINK, idempotency_key="key-123") == CREATED
        assert mock.call_count == 1

    def test_retries_of_one_call_send_one_key(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(
                f"{BASE}/bots/create_bot",
                [{"status_code": 503, "json": {"message": "busy"}}, {"status_code": 507, "json": CREATED}],
            )
            assert hook.create_bot(LINK)["bot_id"] == "bot_9"
        keys = [request.headers["Idempotency-Key"] for request in mock.request_history]
        assert len(keys) == 2
        assert keys[0] == keys[1]
        assert uuid.UUID(keys[0]).version == 4

    def test_other_5xx_stay_errors(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=501, json={"message": "nope"})
            with pytest.raises(MeetStreamServerError, match="501"):
                hook.create_bot(LINK)

    def test_an_answer_without_bot_id_is_an_error(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=201, json={"status": "Joining"})
            with pytest.raises(MeetStreamAPIError, match="bot_id"):
                hook.create_bot(LINK)


class TestBotsAndTranscripts:
    @pytest.mark.parametrize(
        "answer",
        [
            {"bot_details": {"bot_id": "b1", "transcript_id": "tr_1", "status": "Done"}},
            {"bot_details": {"bot_id": "b1", "status": "Done"}, "transcript_id": "tr_1"},
            {
                "bot_details": {"bot_id": "b1", "transcript_id": None, "status": "Done"},
                "transcript_id": "tr_1",
            },
        ],
        ids=["nested", "top-level", "null-nested"],
    )
    def test_bot_detail_is_one_dict(self, hook: MeetStreamHook, answer: dict) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/detail", json=answer)
            detail = hook.get_bot_detail("b1")
        assert detail == {"bot_id": "b1", "transcript_id": "tr_1", "status": "Done"}

    def test_list_transcriptions(self, hook: MeetStreamHook) -> None:
        listed = [{"transcript_id": "tr_1", "status": "completed"}]
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/a%2Fb/transcriptions", json={"transcriptions": listed})
            assert hook.list_transcriptions("a/b") == listed
        assert mock.last_request.path == "/api/v1/bots/a%2fb/transcriptions"

    def test_a_missing_transcriptions_list_is_an_error_not_empty(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/transcriptions", json={"message": "ok"})
            with pytest.raises(MeetStreamAPIError, match="transcriptions"):
                hook.list_transcriptions("b1")

    @pytest.mark.parametrize("body", [SEGMENTS, {"message": SEGMENTS}], ids=["list", "message"])
    def test_transcript_in_either_shape(self, hook: MeetStreamHook, body: Any) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/transcript/tr_1/get_transcript", json=body)
            assert hook.get_transcript("tr_1") == SEGMENTS
        assert mock.last_request.qs == {"raw": ["false"]}

    def test_raw_transcript(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/transcript/tr_1/get_transcript", json=SEGMENTS)
            hook.get_transcript("tr_1", raw=True)
        assert mock.last_request.qs == {"raw": ["true"]}

    def test_202_is_not_ready_and_not_retried(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/transcript/tr_1/get_transcript",
                status_code=202,
                json={"message": "processing"},
                headers={"Retry-After": "30", "x-request-id": "rq-1"},
            )
            with pytest.raises(MeetStreamNotReadyError) as caught:
                hook.get_transcript("tr_1")
        assert mock.call_count == 1
        assert caught.value.status_code == 202
        assert caught.value.retry_after == 30.0
        assert caught.value.request_id == "rq-1"

    @pytest.mark.parametrize("body", [[], {"message": []}], ids=["list", "message"])
    def test_an_empty_transcript_is_not_ready(self, hook: MeetStreamHook, body: Any) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/transcript/tr_1/get_transcript", json=body)
            with pytest.raises(MeetStreamNotReadyError) as caught:
                hook.get_transcript("tr_1")
        assert caught.value.status_code == 200

    def test_a_transcript_that_is_not_segments_is_an_error(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/transcript/tr_1/get_transcript", json={"message": "Transcript not found"})
            with pytest.raises(MeetStreamAPIError, match="not a list of objects"):
                hook.get_transcript("tr_1")

    def test_remove_bot_is_a_get(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/remove_bot", json={"message": "Bot removed"})
            assert hook.remove_bot("b1") == {"message": "Bot removed"}
        assert mock.last_request.method == "GET"


def _calls(hook: MeetStreamHook) -> list[tuple[str, Callable[[], Any]]]:
    return [
        ("empty link", lambda: hook.create_bot("")),
        ("not a URL", lambda: hook.create_bot("meet.google.com/abc")),
        ("ftp link", lambda: hook.create_bot("ftp://meet.example.com/x")),
        ("no host", lambda: hook.create_bot("https:///path")),
        ("space in link", lambda: hook.create_bot("https://meet.example.com/a b")),
        ("long link", lambda: hook.create_bot("https://x.example/" + "a" * 3000)),
        ("link in config", lambda: hook.create_bot(LINK, bot_config={"meeting_link": LINK})),
        ("NaN config", lambda: hook.create_bot(LINK, bot_config={"x": float("nan")})),
        ("naive join_at", lambda: hook.create_bot(LINK, bot_config={"join_at": "2027-01-01T10:00:00"})),
        ("key too long", lambda: hook.create_bot(LINK, idempotency_key="k" * 256)),
        ("non-ASCII key", lambda: hook.create_bot(LINK, idempotency_key="clé")),
        ("key with newline", lambda: hook.create_bot(LINK, idempotency_key="a\nb")),
        ("key with leading space", lambda: hook.create_bot(LINK, idempotency_key=" key")),
        ("empty bot id", lambda: hook.get_bot_detail("")),
        ("control in bot id", lambda: hook.list_transcriptions("b\x001")),
        ("empty transcript id", lambda: hook.get_transcript(" ")),
        ("raw not a bool", lambda: hook.get_transcript("tr_1", raw="false")),  # type: ignore[arg-type]
        ("bot id not a string", lambda: hook.remove_bot(7)),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize("index", range(18))
def test_inputs_are_refused_before_any_request(hook: MeetStreamHook, index: int) -> None:
    name, call = _calls(hook)[index]
    with rm.Mocker() as mock:
        mock.register_uri(rm.ANY, rm.ANY, status_code=500)
        with pytest.raises(MeetStreamInputError):
            call()
    assert mock.call_count == 0, name


def test_every_refusal_case_is_run(hook: MeetStreamHook) -> None:
    assert len(_calls(hook)) == 18


class TestAsyncClient:
    """The async client shares the builders, the policy and the answer readers."""

    @pytest.fixture
    def served(self, monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
        conn = {"conn_type": "meetstream", "host": BASE, "password": API_KEY}
        monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps(conn))

        async def no_wait(seconds: float) -> None:
            return None

        monkeypatch.setattr("airflow_provider_meetstream.hooks.policy.asleep", no_wait)
        seen: list[httpx.Request] = []
        routes = {
            "/api/v1/bots/create_bot": [httpx.Response(503), httpx.Response(507, json=CREATED)],
            "/api/v1/bots/b1/detail": [
                httpx.Response(200, json={"bot_details": {"bot_id": "b1"}, "transcript_id": "tr_1"})
            ],
            "/api/v1/bots/b1/transcriptions": [
                httpx.Response(200, json={"transcriptions": [{"transcript_id": "tr_1", "status": "success"}]})
            ],
            "/api/v1/transcript/tr_1/get_transcript": [
                httpx.Response(202, headers={"Retry-After": "5"}),
                httpx.Response(200, json={"message": SEGMENTS}),
            ],
            "/api/v1/bots/b1/remove_bot": [httpx.Response(200, json={"message": "Bot removed"})],
        }

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return routes[request.url.path].pop(0)

        real = httpx.AsyncClient
        monkeypatch.setattr(
            httpx, "AsyncClient", lambda **kw: real(transport=httpx.MockTransport(handler), **kw)
        )
        return seen

    def test_every_method(self, served: list[httpx.Request]) -> None:
        async def scenario() -> dict[str, Any]:
            async with MeetStreamAsyncClient() as client:
                results: dict[str, Any] = {"created": await client.create_bot(LINK, idempotency_key="k-1")}
                results["detail"] = await client.get_bot_detail("b1")
                results["transcriptions"] = await client.list_transcriptions("b1")
                with pytest.raises(MeetStreamNotReadyError) as caught:
                    await client.get_transcript("tr_1")
                results["retry_after"] = caught.value.retry_after
                results["segments"] = await client.get_transcript("tr_1")
                results["removed"] = await client.remove_bot("b1")
                return results

        results = asyncio.run(scenario())
        assert results == {
            "created": CREATED,
            "detail": {"bot_id": "b1", "transcript_id": "tr_1"},
            "transcriptions": [{"transcript_id": "tr_1", "status": "success"}],
            "retry_after": 5.0,
            "segments": SEGMENTS,
            "removed": {"message": "Bot removed"},
        }
        posts = [request for request in served if request.method == "POST"]
        assert [request.headers["Idempotency-Key"] for request in posts] == ["k-1", "k-1"]
        assert json.loads(posts[0].content) == {"meeting_link": LINK}
        assert [request.method for request in served if "remove_bot" in request.url.path] == ["GET"]
        assert {
            request.url.params.get("raw") for request in served if "get_transcript" in request.url.path
        } == {"false"}

    def test_inputs_are_refused_before_any_request(self, served: list[httpx.Request]) -> None:
        async def scenario() -> None:
            async with MeetStreamAsyncClient() as client:
                with pytest.raises(MeetStreamInputError):
                    await client.create_bot("javascript:alert(1)")
                with pytest.raises(MeetStreamInputError):
                    await client.get_transcript("")

        asyncio.run(scenario())
        assert served == []
