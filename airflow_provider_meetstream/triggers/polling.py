"""The bounded poll loop the bot-status and transcript triggers share: one client, one scrubbed event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient

Event = dict[str, Any]
#: Airflow's loggers are structlog-backed in Airflow 3 and stdlib in Airflow 2.
Logger = Any


async def run_with_client(
    meetstream_conn_id: str, log: Logger, wait: Callable[[MeetStreamAsyncClient], Awaitable[Event]]
) -> Event:
    """
    Run ``wait`` with a new async client; an exception becomes an error event; the API key is scrubbed.

    :param meetstream_conn_id: The Airflow connection to use.
    :param log: The trigger's logger, for the client's retry lines.
    :param wait: The trigger's wait, given the client; it returns the event.
    """
    # Imported when the trigger runs, so that importing a trigger module stays cheap.
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
    from airflow_provider_meetstream.hooks.errors import scrub_value

    secret: Any = None
    try:
        async with MeetStreamAsyncClient(meetstream_conn_id, log=log) as client:
            try:
                event = await wait(client)
            finally:
                secret = client.api_key
    except Exception as err:
        event = {"status": "error", "message": f"{type(err).__name__}: {err}"}
    # The event is stored in the metadata database: no echo of the key may reach it.
    scrubbed: Event = scrub_value(event, secret)
    return scrubbed


async def poll_until(
    poll: Callable[[], Awaitable[Event | None]],
    *,
    started_at: float,
    timeout: float,
    poll_interval: float,
    timeout_event: Callable[[], Event],
) -> Event:
    """
    Call ``poll`` until it returns an event or ``timeout`` seconds from ``started_at`` have passed.

    A slow or retried poll does not carry the wait past the timeout; a trigger resumed after its
    deadline still looks once (bounded by the client's own deadline).

    :param poll: One look; None means "not yet".
    :param started_at: When the wait began, in epoch seconds.
    :param timeout: Seconds the wait may take.
    :param poll_interval: Seconds between two looks.
    :param timeout_event: The event when the time runs out.
    """
    deadline = started_at + timeout
    first = True
    while True:
        remaining = deadline - time.time()
        if remaining <= 0 and not first:
            return timeout_event()
        first = False
        try:
            event = await asyncio.wait_for(poll(), remaining if remaining > 0 else None)
        except asyncio.TimeoutError:
            return timeout_event()
        if event is not None:
            return event
        remaining = deadline - time.time()
        if remaining <= 0:
            return timeout_event()
        await asyncio.sleep(min(poll_interval, remaining))
