"""MeetStreamAsyncClient: the async twin of the hook, on httpx, for triggers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import time
from typing import TYPE_CHECKING, Any

# Imported here, not in the methods: the triggerer imports a trigger's module before running it,
# while an import inside a coroutine would block its event loop at each first use.
import httpx
from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson
from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_CONN_ID, MAX_LIST_LIMIT
from airflow_provider_meetstream.exceptions import MeetStreamAuthError
from airflow_provider_meetstream.hooks.body import aread_body
from airflow_provider_meetstream.hooks.bots import AsyncBotsMixin
from airflow_provider_meetstream.hooks.builders import (
    ApiRequest,
    bot_status_request,
    events_request,
    list_scheduled_request,
    next_page_request,
)
from airflow_provider_meetstream.hooks.config import (
    ClientConfig,
    build_config,
    check_deadline,
    check_max_attempts,
    check_timeout,
)
from airflow_provider_meetstream.hooks.errors import (
    handle_answer,
    list_of_objects,
    listed_bots,
    missing_event,
    status_answer,
    transport_failure,
)
from airflow_provider_meetstream.hooks.guidance import naming_the_connection
from airflow_provider_meetstream.hooks.headers import auth_headers
from airflow_provider_meetstream.hooks.policy import Budget, Logger, RequestPolicy

if TYPE_CHECKING:
    from datetime import datetime


async def _amask_secret(secret: str) -> None:
    # Airflow 3 masks without a blocking call to the supervisor; Airflow 2 has only the local masker.
    try:
        from airflow.sdk.log import amask_secret
    except ImportError:
        mask_secret(secret)
    else:
        await amask_secret(secret)


#: Imported on first use by common-compat's connection lookup (asgiref) and by httpx's first request
#: (anyio's asyncio backend): imported beforehand in a thread, so that neither blocks the event loop.
LAZILY_IMPORTED = ("asgiref.sync", "anyio._backends._asyncio")


def _import_lazily_imported() -> None:
    for name in LAZILY_IMPORTED:
        # Another version may not have it: then nothing imports it later either.
        if name not in sys.modules:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)


async def _async_sleep(seconds: float) -> None:
    # Looked up at call time so tests can patch the wait without waiting.
    await asyncio.sleep(seconds)


def _clock() -> float:
    # Looked up at call time so tests can move time along with their fake waits.
    return time.monotonic()


class MeetStreamAsyncClient(AsyncBotsMixin):
    """
    An async MeetStream client for triggers, on ``httpx.AsyncClient``.

    It shares the sync hook's request builders, retry policy and error mapping; only the transport
    differs. The connection is read through common-compat's ``get_async_connection`` and the httpx
    client built in a thread, so that nothing blocks the event loop.

    :param meetstream_conn_id: The Airflow connection to use.
    :param timeout: Read timeout in seconds; overrides the connection's ``timeout`` extra.
    :param max_retries: Attempts per request; overrides the connection's ``max_retries`` extra.
    :param deadline: Seconds one call may take in all; overrides the connection's ``deadline`` extra.
    :param log: Where retry lines go, e.g. the trigger's own logger; a module logger when None.
    """

    def __init__(
        self,
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        log: Logger | None = None,
    ) -> None:
        import logging

        self.meetstream_conn_id = meetstream_conn_id
        self.timeout = None if timeout is None else check_timeout(timeout)
        self.max_retries = None if max_retries is None else check_max_attempts(max_retries)
        self.deadline = None if deadline is None else check_deadline(deadline)
        self.log = log or logging.getLogger(f"{__name__}.{type(self).__name__}")
        self._config: ClientConfig | None = None
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(meetstream_conn_id={self.meetstream_conn_id!r})"

    async def get_config(self) -> ClientConfig:
        """Read the connection once, without blocking the event loop; mask the API key."""
        if self._config is None:
            await asyncio.to_thread(_import_lazily_imported)
            # Through BaseHook: MeetStreamHook overrides no connection lookup, and its module would
            # load requests into the triggerer.
            conn = await get_async_connection(self.meetstream_conn_id, hook=BaseHook)
            self._config = build_config(
                self.meetstream_conn_id,
                host=conn.host,
                port=conn.port,
                password=conn.password,
                extra=await get_async_extra_dejson(conn),
                timeout=self.timeout,
                max_retries=self.max_retries,
                deadline=self.deadline,
            )
            await _amask_secret(self._config.api_key)
        return self._config

    @property
    def api_key(self) -> str | None:
        """The API key once the connection was read, else None; for scrubbing what leaves the client."""
        return self._config.api_key if self._config else None

    async def _get_client(self) -> tuple[httpx.AsyncClient, ClientConfig]:
        config = await self.get_config()
        if self._client is None:
            # Built in a thread: its SSL context reads the CA bundle from disk, which blocked the
            # triggerer's event loop for up to a second at each trigger start.
            client = await asyncio.to_thread(
                httpx.AsyncClient,
                # Latin-1 bytes, as requests sends them: httpx would encode a str value as ASCII.
                headers={
                    name.encode("ascii"): value.encode("latin-1")
                    for name, value in {**auth_headers(config.api_key), "Accept": "application/json"}.items()
                },
                timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
                follow_redirects=False,
            )
            if self._client is None:
                self._client = client
            else:
                # Another coroutine built one meanwhile: keep it, and release this one.
                await client.aclose()
        return self._client, config

    async def aclose(self) -> None:
        """Close the underlying connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> MeetStreamAsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(self, request: ApiRequest) -> dict[str, Any]:
        client, config = await self._get_client()
        policy = RequestPolicy(max_attempts=config.max_attempts, deadline=config.deadline)
        url = request.url(config.base_url)

        async def attempt(budget: Budget) -> dict[str, Any]:
            left = budget.remaining()
            timeout = httpx.Timeout(min(config.read_timeout, left), connect=min(config.connect_timeout, left))
            failure: Exception | None = None
            try:
                async with client.stream(
                    request.method, url, json=request.body, headers=request.headers, timeout=timeout
                ) as response:
                    text = await aread_body(response, request, budget)
            except httpx.UnsupportedProtocol as err:
                failure = transport_failure(err, request, retryable=False, secret=config.api_key)
            except (httpx.ConnectError, httpx.ConnectTimeout) as err:
                failure = transport_failure(err, request, retryable=True, sent=False, secret=config.api_key)
            except (httpx.TransportError, httpx.DecodingError) as err:
                failure = transport_failure(err, request, retryable=True, secret=config.api_key)
            if failure is not None:
                raise failure
            return handle_answer(response.status_code, response.headers, text, request, config.api_key)

        try:
            return await policy.acall(attempt, request, self.log, _async_sleep, _clock)
        except MeetStreamAuthError as err:
            raise naming_the_connection(err, self.meetstream_conn_id) from None

    async def list_scheduled_bots(self, limit: int = MAX_LIST_LIMIT) -> list[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.list_scheduled_bots`."""
        request = list_scheduled_request(limit)
        return listed_bots(await self._send(request), request)

    async def get_bot_status(self, bot_id: str) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.get_bot_status`."""
        request = bot_status_request(bot_id)
        return status_answer(await self._send(request), request)

    async def get_event(
        self, event_id: str, *, time_min: datetime | str | None = None, time_max: datetime | str | None = None
    ) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.get_event`: follow the events listing's pages until the event."""
        validation.path_segment(event_id, "event_id")
        request: ApiRequest | None = events_request(
            time_min=time_min, time_max=time_max, calendar_id=None, sync=None, page_size=MAX_LIST_LIMIT
        )
        seen: set[str] = set()
        while request is not None:
            page = await self._send(request)
            for event in list_of_objects(page, "results", request):
                if event.get("id") == event_id:
                    return event
            request = next_page_request(request, page, seen)
        raise missing_event(event_id, time_min, time_max)
