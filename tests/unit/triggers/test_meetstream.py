"""ListScheduledTrigger with no server: its serialized form, its run() to one event, its events scrubbed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any
from unittest.mock import MagicMock
from urllib.parse import quote_plus

import httpx
import pytest
from meetstream_fakes import KEY, bot, encodings, events_of, leaks

from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria


def test_trigger_serialize_round_trip() -> None:
    criteria = ScheduledCriteria.build(event_id="e1", bot_ids=["b1"], wait_for="gone", limit=50).serialize()
    trigger = ListScheduledTrigger(
        meetstream_conn_id="ms",
        criteria=criteria,
        poll_interval=5.0,
        timeout=60.0,
        started_at=1_800_000_000.0,
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_meetstream.triggers.meetstream.ListScheduledTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs  # primitives only
    rebuilt = ListScheduledTrigger(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert ScheduledCriteria.build(**rebuilt.criteria) == ScheduledCriteria.build(**criteria)


def test_trigger_runs_to_one_event_without_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    from unittest.mock import AsyncMock

    from airflow_provider_meetstream.exceptions import MeetStreamNotFoundError
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient

    client = AsyncMock(spec=MeetStreamAsyncClient)
    client.__aenter__.return_value = client
    client.list_scheduled_bots.return_value = [bot("b1")]
    client.get_bot_status.side_effect = MeetStreamNotFoundError("unknown bot", status_code=404)
    built: list[tuple] = []

    def build(*args: object, **kwargs: object) -> AsyncMock:
        built.append((args, kwargs))
        return client

    monkeypatch.setattr("airflow_provider_meetstream.hooks.async_client.MeetStreamAsyncClient", build)
    criteria = ScheduledCriteria.build(bot_ids=["b1", "b2"]).serialize()
    trigger = ListScheduledTrigger(
        meetstream_conn_id="ms", criteria=criteria, poll_interval=0.01, timeout=0.05
    )

    async def events() -> list:
        return [event async for event in trigger.run()]

    (event,) = asyncio.run(events())
    # b2 is not listed and unknown to MeetStream: not scheduled, so the trigger polls until timeout...
    assert event.payload["status"] == "timeout"
    assert built[0][0] == ("ms",)
    client.list_scheduled_bots.assert_awaited_with(limit=100)
    client.get_bot_status.assert_awaited_with("b2")
    # ...and a bot that already joined counts, its status joining the XCom.
    client.get_bot_status.side_effect = None
    client.get_bot_status.return_value = {"bot_id": "b2", "status": "InMeeting"}
    (event,) = asyncio.run(events())
    assert event.payload == {
        "status": "success",
        "bots": [bot("b1"), {"bot_id": "b2", "status": "InMeeting"}],
    }


def test_a_cancelled_bot_is_one_error_event_naming_it(client_class: MagicMock) -> None:
    # Not listed, and MeetStream answers Cancelled: it never comes back, so the wait ends at once.
    client = client_class.return_value
    client.list_scheduled_bots.return_value = []
    client.get_bot_status.return_value = {"bot_id": "b1", "status": "Cancelled"}
    trigger = ListScheduledTrigger(
        meetstream_conn_id="ms",
        criteria=ScheduledCriteria.build(bot_ids=["b1"]).serialize(),
        poll_interval=60,
        timeout=600,
    )

    async def events() -> list[Any]:
        return [event.payload async for event in trigger.run()]

    # The sensor rebuilds MeetStreamBotCancelledError from bot_id and bot_status, to fail without a retry.
    assert asyncio.run(asyncio.wait_for(events(), 10)) == [
        {
            "status": "error",
            "message": "MeetStream bot b1 is Cancelled: a cancelled bot never comes back, so it will not "
            "be scheduled again; schedule a new bot and wait for that one",
            "bot_id": "b1",
            "bot_status": "Cancelled",
        }
    ]


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
