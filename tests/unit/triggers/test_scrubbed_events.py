"""ListScheduledTrigger's events: the API key scrubbed from them in every encoding; a hung poll timed out."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from urllib.parse import quote_plus

import httpx
import pytest
from meetstream_fakes import KEY, encodings, events_of, leaks

from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria


class TestTriggerEvents:
    def run(self, trigger: ListScheduledTrigger) -> dict:
        (event,) = events_of(trigger)
        return event

    def trigger(self, timeout: float = 5.0) -> ListScheduledTrigger:
        return ListScheduledTrigger(
            meetstream_conn_id="meetstream_default",
            criteria=ScheduledCriteria.build(bot_ids=["b1"]).serialize(),
            poll_interval=0.01,
            timeout=timeout,
        )

    def test_an_error_event_is_scrubbed(
        self, connection: Callable[..., None], answer_async_requests: Callable[..., None]
    ) -> None:
        connection(password=KEY)
        forms = encodings(KEY)

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                403,
                json={"detail": f"key {forms['quote']} is not yours", "echo": forms["json, upper hex"]},
                headers={"x-request-id": forms["raw"].encode()},
            )

        answer_async_requests(handler)
        event = self.run(self.trigger())
        assert event["status"] == "error"
        assert "403" in event["message"]
        assert leaks(json.dumps(event)) == []
        assert leaks(json.dumps(event, ensure_ascii=False)) == []

    def test_any_exception_in_the_event_is_scrubbed(
        self, monkeypatch: pytest.MonkeyPatch, connection: Callable[..., None]
    ) -> None:
        from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient

        connection(password=KEY)

        class Echoing(MeetStreamAsyncClient):
            async def list_scheduled_bots(self, limit: int = 100) -> list:
                await self.get_config()
                raise RuntimeError(f"proxy said {quote_plus(KEY)} / {KEY}")

        monkeypatch.setattr("airflow_provider_meetstream.hooks.async_client.MeetStreamAsyncClient", Echoing)
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
        "airflow_provider_meetstream.hooks.async_client.MeetStreamAsyncClient", lambda *a, **k: client
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
