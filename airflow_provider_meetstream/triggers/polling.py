"""
The one poll loop every trigger runs on: one async client, one bounded wait, one scrubbed event.

The import rule of ``triggers/``: a trigger module imports nothing heavy at its top, because
Airflow's triggerer imports a trigger's class on its event loop, where every millisecond of import
delays every other trigger. Not httpx, not requests, not
``airflow_provider_meetstream.hooks.async_client``, not the sync hook, not the sensors; only Airflow's
trigger base classes and the provider's light vocabulary (``exceptions``, ``constants``, ``utils``).
The heavy part, the async client's module (which imports httpx), is imported by :func:`run_with_client`
on first use, in a worker thread, never on the loop; ``sys.modules`` keeps it for every later run.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from abc import abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_meetstream.constants import Logger
from airflow_provider_meetstream.exceptions import MeetStreamBotCancelledError

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient

Event = dict[str, Any]
Scrubber = Callable[[Any, Any], Any]

#: The async client's module, its public import path; heavy: imported off the event loop.
ASYNC_CLIENT_MODULE = "airflow_provider_meetstream.hooks.async_client"
#: What the triggers' code imports where it uses it (validation's recurrence engine, the calendar
#: reader for titles): imported with the client, so never on the loop.
RUNTIME_MODULES = (
    "airflow_provider_meetstream.recurrence",
    "airflow_provider_meetstream.utils.calendar_meetings",
)


def load_client() -> tuple[type[MeetStreamAsyncClient], Scrubber]:
    """
    Import the async client, the scrubber and ``RUNTIME_MODULES``: blocking, so call it in a worker thread.

    The class is read from its module at each call, so that a test patches one name:
    ``airflow_provider_meetstream.hooks.async_client.MeetStreamAsyncClient``.
    """
    from airflow_provider_meetstream.hooks.errors import scrub_value

    for name in RUNTIME_MODULES:
        importlib.import_module(name)
    client_class: type[MeetStreamAsyncClient] = importlib.import_module(
        ASYNC_CLIENT_MODULE
    ).MeetStreamAsyncClient
    return client_class, scrub_value


async def run_with_client(
    meetstream_conn_id: str, log: Logger, wait: Callable[[MeetStreamAsyncClient], Awaitable[Event]]
) -> Event:
    """
    Run ``wait`` with a new async client; an exception becomes an error event; the API key is scrubbed.

    A :class:`~airflow_provider_meetstream.exceptions.MeetStreamBotCancelledError` becomes an error
    event that also carries ``bot_id`` and ``bot_status``, from which a sensor rebuilds the same error
    (and fails without a retry); any other exception becomes ``{"status": "error", "message"}``.

    :param meetstream_conn_id: The Airflow connection to use.
    :param log: The trigger's logger, for the client's retry lines.
    :param wait: The trigger's wait, given the client; it returns the event.
    """
    secret: Any = None
    scrub: Scrubber | None = None
    try:
        client_class, scrub = await asyncio.to_thread(load_client)
        async with client_class(meetstream_conn_id, log=log) as client:
            try:
                event = await wait(client)
            finally:
                secret = client.api_key
    except MeetStreamBotCancelledError as err:
        event = {"status": "error", "message": str(err), "bot_id": err.bot_id, "bot_status": err.status}
    except Exception as err:
        event = {"status": "error", "message": f"{type(err).__name__}: {err}"}
    # The event is stored in the metadata database: no echo of the key may reach it. Without a
    # scrubber the client was never built, so no key was read.
    scrubbed: Event = event if scrub is None else scrub(event, secret)
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


class PollingTrigger(BaseTrigger):
    """
    A trigger that polls MeetStream with the async client and yields exactly one event.

    A subclass implements :meth:`wait_for_event` (usually one :meth:`poll_until`) and
    :meth:`arguments`, its own keyword arguments; the connection, the interval, the timeout and the
    start are kept here.

    :param meetstream_conn_id: The Airflow connection to use.
    :param poll_interval: Seconds between two looks.
    :param timeout: Seconds from ``started_at`` until a timeout event, kept even in the middle of
        a poll.
    :param started_at: When the wait began (epoch seconds); now when None.
    """

    def __init__(
        self,
        *,
        meetstream_conn_id: str,
        poll_interval: float = 60.0,
        timeout: float = 7 * 24 * 3600.0,
        started_at: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.meetstream_conn_id = meetstream_conn_id
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.started_at = time.time() if started_at is None else started_at

    @abstractmethod
    def arguments(self) -> dict[str, Any]:
        """The subclass's own keyword arguments, as primitives."""

    @abstractmethod
    async def wait_for_event(self, client: MeetStreamAsyncClient) -> Event:
        """Wait with ``client`` until the event to yield; an exception becomes an error event."""

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and primitive keyword arguments to rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "meetstream_conn_id": self.meetstream_conn_id,
                **self.arguments(),
                "poll_interval": self.poll_interval,
                "timeout": self.timeout,
                "started_at": self.started_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Wait until done, failed, timed out or broken; yield one event, the API key scrubbed."""
        event = await run_with_client(self.meetstream_conn_id, self.log, self.wait_for_event)
        yield TriggerEvent(event)  # type: ignore[no-untyped-call]

    async def poll_until(
        self, poll: Callable[[], Awaitable[Event | None]], timed_out: Callable[[], Event]
    ) -> Event:
        """:func:`poll_until` with this trigger's start, timeout and interval."""
        return await poll_until(
            poll,
            started_at=self.started_at,
            timeout=self.timeout,
            poll_interval=self.poll_interval,
            timeout_event=timed_out,
        )
