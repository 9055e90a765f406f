"""Issue 11, finding 4: the API key is scrubbed, in every encoding, from errors, answers, trigger events."""

from __future__ import annotations

import asyncio
import json
import pickle
import time
from urllib.parse import quote, quote_plus

import httpx
import pytest
import requests_mock as rm

from airflow_provider_meetstream.exceptions import MeetStreamAPIError, MeetStreamError
from airflow_provider_meetstream.hooks.errors import scrub, scrub_value
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.sensors.meetstream import ScheduledCriteria
from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger

BASE = "https://api.meetstream.test/api/v1"
#: A key with a slash, a plus, a space and a non-ASCII letter: every encoding differs from the raw key.
KEY = "ms_live/k\u00e9y+4f9a 2c7e"


def encodings(secret: str) -> dict[str, str]:
    """Every form in which a gateway may echo the key."""
    escaped = json.dumps(secret)[1:-1]
    forms = {
        "raw": secret,
        "json": escaped,
        "json, upper hex": escaped.replace("\\u00e9", "\\u00E9"),
        "json, escaped slash": escaped.replace("/", "\\/"),
        "json, unicode kept": json.dumps(secret, ensure_ascii=False)[1:-1].replace("/", "\\/"),
        "quote": quote(secret, safe=""),
        "quote, slash kept": quote(secret),
        "quote_plus": quote_plus(secret),
        "quote, lower hex": quote(secret, safe="").lower(),
        "quote_plus, lower hex": quote_plus(secret).lower(),
    }
    assert len(set(forms.values())) == len(forms)
    return forms


def leaks(text: str, secret: str = KEY) -> list[str]:
    return [name for name, form in encodings(secret).items() if form in text]


def _connection(monkeypatch: pytest.MonkeyPatch, key: str = KEY) -> None:
    conn = {"conn_type": "meetstream", "host": BASE, "password": key}
    monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps(conn))


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> MeetStreamHook:
    monkeypatch.setattr("airflow_provider_meetstream.hooks.policy.sleep", lambda seconds: None)
    _connection(monkeypatch)
    return MeetStreamHook(max_retries=1)


class TestRule:
    @pytest.mark.parametrize("name", list(encodings(KEY)))
    def test_every_encoding_of_a_long_key_is_scrubbed(self, name: str) -> None:
        form = encodings(KEY)[name]
        assert scrub(f"before {form} after", KEY) == "before *** after"
        assert scrub_value({"a": [f"x{form}y"], form: 1}, KEY) == {"a": ["x***y"], "***": 1}

    @pytest.mark.parametrize("short", ["K", "WEEK", "sevench"])
    def test_a_short_key_leaves_answers_intact(self, short: str) -> None:
        text = "RRULE:FREQ=WEEKLY;BYDAY=MO sevench"
        assert scrub(text, short) == text
        assert scrub_value({"recurrence": [text]}, short) == {"recurrence": [text]}

    def test_eight_characters_are_enough(self) -> None:
        assert scrub("a 8charkey b", "8charkey") == "a *** b"

    def test_a_short_key_leaves_the_answer_whole(self, monkeypatch: pytest.MonkeyPatch) -> None:
        _connection(monkeypatch, key="K")
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY, json={"results": [{"id": "e1", "recurrence": ["RRULE:FREQ=WEEKLY"]}], "next": None}
            )
            (event,) = MeetStreamHook().iter_events()
        assert event["recurrence"] == ["RRULE:FREQ=WEEKLY"]


class TestErrors:
    def test_every_field_of_an_error_is_scrubbed(self, hook: MeetStreamHook) -> None:
        forms = encodings(KEY)
        body = json.dumps({"message": f"bad token {KEY}", "echo": list(forms.values())})
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                status_code=401,
                text=body.replace("/", "\\/"),
                headers={"x-request-id": f"req-{forms['quote_plus']}"},
            )
            with pytest.raises(MeetStreamAPIError) as caught:
                hook.list_scheduled_bots()
        error = caught.value
        assert error.status_code == 401
        fields = [
            str(error),
            repr(error),
            error.message,
            error.body or "",
            error.request_id or "",
            error.path or "",
        ]
        fields.append(pickle.dumps(error).decode("latin-1"))
        fields.append(str(pickle.loads(pickle.dumps(error))))
        fields.append(json.dumps(error.serialize()))
        assert error.request_id == "req-***"
        assert [leaks(text) for text in fields] == [[]] * len(fields)

    def test_the_redirect_location_is_scrubbed(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=302, headers={"Location": f"https://sso.example/?key={quote(KEY)}"})
            with pytest.raises(MeetStreamAPIError) as caught:
                hook.list_scheduled_bots()
        assert "sso.example" in caught.value.message
        assert leaks(str(caught.value)) == []

    def test_a_key_in_an_id_is_scrubbed_from_the_path(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=404, json={"detail": "no bot"})
            with pytest.raises(MeetStreamError) as caught:
                hook.get_bot_status(KEY)
        assert leaks(str(caught.value)) == []


class TestAnswers:
    def test_the_decoded_answer_is_scrubbed_structurally(self, hook: MeetStreamHook) -> None:
        answer = {
            "bot_id": "b1",
            "status": "Scheduled",
            "echo": {"token": f"Token {KEY}", "list": [quote_plus(KEY)]},
        }
        with rm.Mocker() as mock:
            mock.get(rm.ANY, text=json.dumps(answer).replace("/", "\\/"))
            status = hook.get_bot_status("b1")
        assert status == {
            "bot_id": "b1",
            "status": "Scheduled",
            "echo": {"token": "Token ***", "list": ["***"]},
        }


class TestTriggerEvents:
    def run(self, trigger: ListScheduledTrigger) -> dict:
        async def collect() -> list:
            return [event.payload async for event in trigger.run()]

        (event,) = asyncio.run(asyncio.wait_for(collect(), 30))
        return event

    def trigger(self, timeout: float = 5.0) -> ListScheduledTrigger:
        return ListScheduledTrigger(
            meetstream_conn_id="meetstream_default",
            criteria=ScheduledCriteria.build(bot_ids=["b1"]).serialize(),
            poll_interval=0.01,
            timeout=timeout,
        )

    def test_an_error_event_is_scrubbed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        _connection(monkeypatch)
        forms = encodings(KEY)

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                403,
                json={"detail": f"key {forms['quote']} is not yours", "echo": forms["json, upper hex"]},
                headers={"x-request-id": forms["raw"].encode()},
            )

        real = httpx.AsyncClient
        monkeypatch.setattr(
            httpx, "AsyncClient", lambda **kw: real(transport=httpx.MockTransport(handler), **kw)
        )
        event = self.run(self.trigger())
        assert event["status"] == "error"
        assert "403" in event["message"]
        assert leaks(json.dumps(event)) == []
        assert leaks(json.dumps(event, ensure_ascii=False)) == []

    def test_any_exception_in_the_event_is_scrubbed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
        from airflow_provider_meetstream.triggers import meetstream as trigger_module

        _connection(monkeypatch)

        class Echoing(MeetStreamAsyncClient):
            async def list_scheduled_bots(self, limit: int = 100) -> list:
                await self.get_config()
                raise RuntimeError(f"proxy said {quote_plus(KEY)} / {KEY}")

        monkeypatch.setattr(trigger_module, "MeetStreamAsyncClient", Echoing)
        event = self.run(self.trigger())
        assert event == {"status": "error", "message": "RuntimeError: proxy said *** / ***"}


def test_the_trigger_keeps_its_timeout_within_a_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 2: a poll that hangs (slow server, retries) ends as a timeout at the trigger's timeout."""
    from unittest.mock import AsyncMock

    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient

    async def hang(limit: int) -> list:
        await asyncio.sleep(13)
        return []

    client = AsyncMock(spec=MeetStreamAsyncClient)
    client.__aenter__.return_value = client
    client.list_scheduled_bots.side_effect = hang
    monkeypatch.setattr(
        "airflow_provider_meetstream.triggers.meetstream.MeetStreamAsyncClient", lambda *a, **k: client
    )
    trigger = ListScheduledTrigger(
        meetstream_conn_id="ms",
        criteria=ScheduledCriteria.build(bot_ids=["b1"]).serialize(),
        poll_interval=60,
        timeout=0.5,
    )

    async def collect() -> list:
        return [event.payload async for event in trigger.run()]

    started = time.monotonic()
    (event,) = asyncio.run(asyncio.wait_for(collect(), 10))
    took = time.monotonic() - started
    print(f"\ntrigger timeout 0.5 s, poll hanging 13 s: timeout event after {took:.2f} s")
    assert event["status"] == "timeout"
    assert took < 5.0
