"""MeetStreamAsyncClient: the async twin of the hook, on httpx, for triggers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

# httpx at the top: the triggers load this module in a thread on first use (triggers/polling.py),
# so nothing imported here blocks the triggerer's event loop.
import httpx
from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson
from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import (
    DEFAULT_CONN_ID,
    DEFAULT_MAX_PAGES,
    MAX_LIST_LIMIT,
    MAX_PAGES_BOUND,
    Logger,
)
from airflow_provider_meetstream.exceptions import MeetStreamAuthError
from airflow_provider_meetstream.hooks import endpoints
from airflow_provider_meetstream.hooks.config import (
    ClientConfig,
    auth_headers,
    build_config,
    checked_overrides,
)
from airflow_provider_meetstream.hooks.endpoints import Endpoint, Pages, Read
from airflow_provider_meetstream.hooks.errors import missing_event, naming_the_connection
from airflow_provider_meetstream.hooks.policy import RequestPolicy
from airflow_provider_meetstream.hooks.transport import asend_once

if TYPE_CHECKING:
    from datetime import datetime

    from airflow_provider_meetstream.hooks.wire import ApiRequest, MediaLink


try:  # Airflow 3 masks without a blocking call to the supervisor; Airflow 2 has only the local masker.
    from airflow.sdk.log import amask_secret
except ImportError:
    amask_secret = None  # type: ignore[assignment]


async def _amask_secret(secret: str) -> None:
    if amask_secret is None:
        mask_secret(secret)
    else:
        await amask_secret(secret)


#: Imported on first use by common-compat's connection lookup (asgiref, Airflow 3's connection cache)
#: and by httpx's first request (anyio's asyncio backend): imported beforehand in a thread, so that
#: none of them blocks the event loop.
LAZILY_IMPORTED = ("asgiref.sync", "airflow.sdk.execution_time.cache", "anyio._backends._asyncio")


def _import_lazily_imported() -> None:
    for name in LAZILY_IMPORTED:
        # Another version may not have it: then nothing imports it later either.
        if name not in sys.modules:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)


class MeetStreamAsyncClient:
    """
    An async MeetStream client for triggers, on ``httpx.AsyncClient``.

    It calls the same endpoint table as the sync hook, with the same retry policy and error mapping;
    only the transport differs. The connection is read through common-compat's
    ``get_async_connection`` and the httpx client built in a thread, so nothing blocks the event loop.

    Unlike the sync hook, it reports nothing to Airflow's hook-lineage collector (the rows'
    ``lineage`` is not read here): it runs in the triggerer, where no task collects lineage.

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
        self.timeout, self.max_retries, self.deadline = checked_overrides(timeout, max_retries, deadline)
        self.log = log or logging.getLogger(f"{__name__}.{type(self).__name__}")
        self._config: ClientConfig | None = None
        self._reread = False
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(meetstream_conn_id={self.meetstream_conn_id!r})"

    async def get_config(self) -> ClientConfig:
        """
        Read the connection once, without blocking the event loop; mask the API key.

        Read again after MeetStream refused the key: a long-lived client (an asset watcher's) then
        picks up a key rotated in the connection, and a new HTTP client carries it.
        """
        if self._config is None or self._reread:
            self._reread = False
            previous = self._config
            await asyncio.to_thread(_import_lazily_imported)
            # Through BaseHook: MeetStreamHook overrides no connection lookup, and its module would
            # load requests into the triggerer.
            conn = await get_async_connection(self.meetstream_conn_id, hook=BaseHook)
            self._config = build_config(
                self.meetstream_conn_id,
                conn,
                await get_async_extra_dejson(conn),
                self.timeout,
                self.max_retries,
                self.deadline,
            )
            await _amask_secret(self._config.api_key)
            if previous is not None and previous != self._config and self._client is not None:
                client, self._client = self._client, None
                await client.aclose()
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
        try:
            return await policy.acall(
                lambda budget: asend_once(client, request, config, budget), request, self.log
            )
        except MeetStreamAuthError as err:
            self._reread = True
            raise naming_the_connection(err, self.meetstream_conn_id) from None

    async def _call(self, endpoint: Endpoint[Read], *ids: Any, **arguments: Any) -> Read:
        request = endpoint.request(*ids, **arguments)
        return endpoint.read(await self._send(request), request)

    async def _link(self, endpoint: Endpoint[MediaLink], bot_id: str) -> MediaLink:
        link = await self._call(endpoint, bot_id)
        for form in link.secret_forms():
            await _amask_secret(form)
        return link

    async def list_scheduled_bots(self, limit: int = MAX_LIST_LIMIT) -> list[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.list_scheduled_bots`."""
        return await self._call(endpoints.LIST_SCHEDULED, limit=limit)

    async def get_bot_status(self, bot_id: str) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.get_bot_status`."""
        return await self._call(endpoints.BOT_STATUS, bot_id)

    async def get_event(
        self, event_id: str, *, time_min: datetime | str | None = None, time_max: datetime | str | None = None
    ) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.get_event`: follow the events listing's pages until the event."""
        validation.path_segment(event_id, "event_id")
        async for event in self.iter_events(time_min=time_min, time_max=time_max, page_size=MAX_LIST_LIMIT):
            if event.get("id") == event_id:
                return event
        raise missing_event(event_id, time_min, time_max)

    def iter_events(
        self,
        *,
        time_min: datetime | str | None = None,
        time_max: datetime | str | None = None,
        page_size: int = 50,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.iter_events`: an async generator, checked before any request."""
        first = endpoints.LIST_EVENTS.request(time_min=time_min, time_max=time_max, page_size=page_size)
        return self._pages(endpoints.EVENT_PAGES, first, max_pages)

    def _pages(self, pages: Pages, first: ApiRequest, max_pages: int) -> AsyncIterator[dict[str, Any]]:
        # Not a generator itself, so that max_pages is checked before any request, as the rest.
        validation.integer(max_pages, "max_pages", 1, MAX_PAGES_BOUND)

        async def follow(request: ApiRequest | None) -> AsyncIterator[dict[str, Any]]:
            seen: set[str] = set()
            while request is not None:
                page = pages.endpoint.read(await self._send(request), request)
                for item in page[pages.items]:
                    yield item
                request = pages.after(request, page, seen, max_pages)

        return follow(first)

    async def create_bot(
        self,
        meeting_link: str,
        *,
        bot_config: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.create_bot`."""
        return await self._call(
            endpoints.CREATE_BOT,
            meeting_link=meeting_link,
            bot_config=bot_config,
            idempotency_key=idempotency_key,
        )

    async def get_bot_detail(self, bot_id: str) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.get_bot_detail`."""
        return await self._call(endpoints.BOT_DETAIL, bot_id)

    async def list_transcriptions(self, bot_id: str) -> list[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.list_transcriptions`."""
        return await self._call(endpoints.TRANSCRIPTIONS, bot_id)

    async def get_transcript(self, transcript_id: str, *, raw: bool = False) -> list[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.get_transcript`."""
        return await self._call(endpoints.TRANSCRIPT, transcript_id, raw=raw)

    async def remove_bot(self, bot_id: str) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.remove_bot`."""
        return await self._call(endpoints.REMOVE_BOT, bot_id)

    async def list_bots(self, *, page_size: int = 50, cursor: str | None = None) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.list_bots`."""
        return await self._call(endpoints.LIST_BOTS, page_size=page_size, cursor=cursor)

    def iter_bots(
        self, *, page_size: int = 100, max_pages: int = DEFAULT_MAX_PAGES
    ) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.iter_bots`: an async generator, checked before any request."""
        return self._pages(endpoints.BOT_PAGES, endpoints.LIST_BOTS.request(page_size=page_size), max_pages)

    async def get_participants(self, bot_id: str) -> list[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.get_participants`."""
        return await self._call(endpoints.PARTICIPANTS, bot_id)

    async def get_speaker_timeline(self, bot_id: str) -> list[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.get_speaker_timeline`."""
        return await self._call(endpoints.SPEAKER_TIMELINE, bot_id)

    async def get_audio_url(self, bot_id: str) -> MediaLink:
        """Async :meth:`MeetStreamHook.get_audio_url`."""
        return await self._link(endpoints.AUDIO_LINK, bot_id)

    async def get_video_url(self, bot_id: str) -> MediaLink:
        """Async :meth:`MeetStreamHook.get_video_url`."""
        return await self._link(endpoints.VIDEO_LINK, bot_id)
