"""The one trigger loop: its client loaded off the event loop, its error events, and the key scrubbed."""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any
from unittest.mock import ANY, AsyncMock, MagicMock

import pytest
from airflow.triggers.base import BaseTrigger
from meetstream_fakes import events_of

from airflow_provider_meetstream.exceptions import MeetStreamBotCancelledError
from airflow_provider_meetstream.triggers.bot_status import BotStatusTrigger
from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger
from airflow_provider_meetstream.triggers.polling import ASYNC_CLIENT_MODULE, run_with_client
from airflow_provider_meetstream.triggers.transcripts import TranscriptReadyTrigger
from airflow_provider_meetstream.utils.bot_wait import BotWait
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient

API_KEY = "polling-key-27182818"
LOG = MagicMock()

TRIGGERS: dict[str, Callable[[], BaseTrigger]] = {
    "list_scheduled": lambda: ListScheduledTrigger(
        meetstream_conn_id="ms", criteria=ScheduledCriteria.build(bot_ids=["b1"]).serialize(), timeout=0.05
    ),
    "bot_status": lambda: BotStatusTrigger(
        meetstream_conn_id="ms", wait=BotWait.build(bot_ids="b1").serialize(), timeout=0.05
    ),
    "transcript": lambda: TranscriptReadyTrigger(meetstream_conn_id="ms", bot_id="b1", timeout=0.05),
}


@pytest.mark.parametrize("name", TRIGGERS)
def test_run_imports_the_async_client_in_a_thread_other_than_the_event_loops(
    name: str, client_class: MagicMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The triggerer runs every trigger on one event loop: an import there (httpx, on first use)
    # would stall them all.
    imports: list[tuple[str, int]] = []
    real_import = importlib.import_module

    def import_module(module: str, package: str | None = None) -> ModuleType:
        imports.append((module, threading.get_ident()))
        return real_import(module, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    # Answers each trigger can read: it ends with its own event, not an error.
    client = client_class.return_value
    client.list_scheduled_bots.return_value = []
    client.get_bot_status.return_value = {"bot_id": "b1", "status": "Joining"}
    client.get_bot_detail.return_value = {"bot_id": "b1"}
    client.list_transcriptions.return_value = []
    trigger = TRIGGERS[name]()
    loop_threads: list[int] = []

    async def collect() -> list[Any]:
        loop_threads.append(threading.get_ident())
        return [event.payload async for event in trigger.run()]

    (event,) = asyncio.run(asyncio.wait_for(collect(), 10))
    threads = [thread for module, thread in imports if module == ASYNC_CLIENT_MODULE]
    assert threads, "run() did not load the async client through the loop's loader"
    assert loop_threads[0] not in threads
    # ...and the client it loaded is the one the trigger polled with.
    client_class.assert_called_once_with("ms", log=ANY)
    assert event["status"] != "error", event


def test_a_cancelled_bot_is_an_error_event_with_its_fields_for_any_trigger(client_class: MagicMock) -> None:
    # Raised by any trigger's wait, it carries what a sensor needs to rebuild the same error.
    client_class.return_value.api_key = API_KEY

    async def wait(client: MeetStreamAsyncClient) -> dict[str, Any]:
        raise MeetStreamBotCancelledError(f"bot-{API_KEY}", "Cancelled")

    event = asyncio.run(run_with_client("ms", LOG, wait))
    assert event == {
        "status": "error",
        "message": "MeetStream bot bot-*** is Cancelled: a cancelled bot never comes back, so it will "
        "not be scheduled again; schedule a new bot and wait for that one",
        "bot_id": "bot-***",
        "bot_status": "Cancelled",
    }


def test_any_other_exception_is_an_error_event_without_the_key(client_class: MagicMock) -> None:
    client_class.return_value.api_key = API_KEY

    async def wait(client: MeetStreamAsyncClient) -> dict[str, Any]:
        raise ValueError(f"echoed {API_KEY}")

    assert asyncio.run(run_with_client("ms", LOG, wait)) == {
        "status": "error",
        "message": "ValueError: echoed ***",
    }


def test_a_client_that_cannot_be_loaded_is_an_error_event(monkeypatch: pytest.MonkeyPatch) -> None:
    # E.g. httpx missing on a triggerer: the sensor fails with the reason instead of a crashed trigger.
    real_import = importlib.import_module

    def import_module(module: str, package: str | None = None) -> ModuleType:
        if module == ASYNC_CLIENT_MODULE:
            raise ModuleNotFoundError("No module named 'httpx'")
        return real_import(module, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    wait = AsyncMock()
    assert events_of(TRIGGERS["transcript"]()) == [
        {"status": "error", "message": "ModuleNotFoundError: No module named 'httpx'"}
    ]
    assert asyncio.run(run_with_client("ms", LOG, wait)) == {
        "status": "error",
        "message": "ModuleNotFoundError: No module named 'httpx'",
    }
    wait.assert_not_awaited()
