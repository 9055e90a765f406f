"""MeetStreamHook: the sync client of MeetStream's calendar API, on one pooled requests session."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

import requests
from airflow.providers.common.compat.sdk import BaseHook, mask_secret
from requests.adapters import HTTPAdapter

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import (
    CONN_TYPE,
    DEFAULT_CONN_ID,
    DEFAULT_MAX_PAGES,
    DEFAULT_POOL_MAXSIZE,
    MAX_LIST_LIMIT,
)
from airflow_provider_meetstream.exceptions import MeetStreamAuthError, MeetStreamError

# Re-exported: users import the async client from here, beside the hook.
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient as MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.auth import MeetStreamAuth as MeetStreamAuth
from airflow_provider_meetstream.hooks.auth import auth_headers as auth_headers
from airflow_provider_meetstream.hooks.bots import BotsMixin
from airflow_provider_meetstream.hooks.builders import (
    ApiRequest,
    bot_status_request,
    delete_scheduled_bot_request,
    events_request,
    list_scheduled_request,
    next_page_request,
    schedule_event_request,
    unschedule_event_request,
    update_scheduled_bot_request,
)
from airflow_provider_meetstream.hooks.config import (
    ClientConfig,
    build_config,
    check_deadline,
    check_max_attempts,
    check_pool_maxsize,
    check_timeout,
    connection_form_widgets,
    ui_field_behaviour,
)
from airflow_provider_meetstream.hooks.errors import (
    list_of_objects,
    listed_bots,
    missing_event,
    scheduled_answer,
    status_answer,
)
from airflow_provider_meetstream.hooks.guidance import naming_the_connection
from airflow_provider_meetstream.hooks.policy import Budget, RequestPolicy
from airflow_provider_meetstream.hooks.transport import send_once


def _sleep(seconds: float) -> None:
    # Looked up at call time so tests can patch the wait without waiting.
    time.sleep(seconds)


def _clock() -> float:
    # Looked up at call time so tests can move time along with their fake waits.
    return time.monotonic()


class MeetStreamHook(BotsMixin, BaseHook):
    """
    Talk to MeetStream's calendar API through an Airflow connection of type ``meetstream``.

    The connection's password is the API key; its host is the API base URL (default
    ``https://api.meetstream.ai``, with or without ``/api/v1``, a bare host meaning https).
    Extras ``timeout`` (read timeout, seconds), ``max_retries`` (attempts per request) and
    ``deadline`` (total seconds per call) override the defaults; ``allow_insecure_http`` lets the
    key go over plain HTTP beyond loopback. The hook keeps one pooled :class:`requests.Session`
    (keep-alive) for its lifetime, sends a connect and read timeout with every request, reads
    answers in chunks within the call's deadline and a 10 MiB cap, and retries 408, 429, 500, 502,
    503, 504 and network errors with exponential backoff and jitter, honouring ``Retry-After``.
    Every argument is checked before a request is sent; a bad one raises
    :class:`~airflow_provider_meetstream.exceptions.MeetStreamInputError`.

    :param meetstream_conn_id: The Airflow connection to use.
    :param timeout: Read timeout in seconds; overrides the connection's ``timeout`` extra.
    :param max_retries: Attempts per request, the first included; overrides the ``max_retries`` extra.
    :param pool_maxsize: Connections kept open to MeetStream, 1 to 256; threads beyond it wait for
        a pooled connection, so give at least the number of threads that share this hook.
    :param deadline: Seconds one call may take in all (connect, reads, retries, waits); overrides
        the connection's ``deadline`` extra.
    """

    conn_name_attr = "meetstream_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "MeetStream"

    def __init__(
        self,
        meetstream_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        deadline: float | None = None,
    ) -> None:
        super().__init__()
        self.meetstream_conn_id = meetstream_conn_id
        self.timeout = None if timeout is None else check_timeout(timeout)
        self.max_retries = None if max_retries is None else check_max_attempts(max_retries)
        self.deadline = None if deadline is None else check_deadline(deadline)
        self.pool_maxsize = check_pool_maxsize(pool_maxsize)
        self._session: requests.Session | None = None
        self._environment: Mapping[str, Any] | None = None
        self._session_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(meetstream_conn_id={self.meetstream_conn_id!r})"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabel and hide the standard connection fields (Airflow before 3.2 reads this)."""
        return ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The connection's extra fields (Airflow before 3.2 reads this)."""
        return connection_form_widgets()

    @cached_property
    def config(self) -> ClientConfig:
        """The connection's settings, read once; the API key is registered with the secrets masker."""
        conn = self.get_connection(self.meetstream_conn_id)
        config = build_config(
            self.meetstream_conn_id,
            host=conn.host,
            port=conn.port,
            password=conn.password,
            extra=conn.extra_dejson,
            timeout=self.timeout,
            max_retries=self.max_retries,
            deadline=self.deadline,
        )
        mask_secret(config.api_key)
        return config

    @cached_property
    def policy(self) -> RequestPolicy:
        """The retry policy, sized from the connection."""
        return RequestPolicy(max_attempts=self.config.max_attempts, deadline=self.config.deadline)

    def get_conn(self) -> requests.Session:
        """Return the hook's pooled session, creating it on first use."""
        with self._session_lock:
            if self._session is None:
                session = requests.Session()
                session.auth = MeetStreamAuth(self.config.api_key)
                session.headers["Accept"] = "application/json"
                # Retries are ours (they honour Retry-After); urllib3's own would double them. A
                # thread beyond the pool waits for a pooled connection rather than open one that is
                # thrown away after one request.
                adapter = HTTPAdapter(
                    pool_connections=1, pool_maxsize=self.pool_maxsize, max_retries=0, pool_block=True
                )
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                self._session = session
                self._environment = None
            return self._session

    def _environment_settings(self, session: requests.Session) -> Mapping[str, Any]:
        # Session.send skips what Session.request reads from the environment: CA bundles, proxies.
        # Reading them took a fifth of each request's CPU, and they are the same for every path
        # under one base URL (proxies depend only on the host), so the session reads them once,
        # at its first request.
        with self._session_lock:
            if self._environment is None:
                self._environment = session.merge_environment_settings(
                    self.config.base_url, {}, None, None, None
                )
            return self._environment

    def close(self) -> None:
        """Close the pooled session and its connections."""
        with self._session_lock:
            if self._session is not None:
                self._session.close()
                self._session = None
                self._environment = None

    def __enter__(self) -> MeetStreamHook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, request: ApiRequest) -> dict[str, Any]:
        session = self.get_conn()
        config, policy = self.config, self.policy
        url = request.url(config.base_url)
        prepared = session.prepare_request(
            requests.Request(request.method, url, json=request.body, headers=request.headers)
        )
        # requests decodes %2E back to "." and urllib3 then resolves "..": keep our encoding.
        prepared.url = url
        settings = self._environment_settings(session)

        def attempt(budget: Budget) -> dict[str, Any]:
            return send_once(session, prepared, request, config, budget, settings)

        try:
            return policy.call(attempt, request, self.log, _sleep, _clock)
        except MeetStreamAuthError as err:
            raise naming_the_connection(err, self.meetstream_conn_id) from None

    def schedule_event(
        self,
        event_id: str,
        *,
        deduplication_key: str,
        bot_config: dict[str, Any] | None = None,
        occurrence_date: datetime | str | None = None,
        schedule_all_occurrences: bool | None = None,
        occurrence_limit: int | None = None,
        recurring_event: bool | None = None,
    ) -> dict[str, Any]:
        """
        Schedule a bot for a calendar event, one occurrence of it, or its whole series.

        Only the arguments that are set are sent. Scheduling is idempotent by
        ``deduplication_key``: the same key on the same event and occurrence updates that schedule.

        :param event_id: MeetStream's event id (the ``id`` of ``GET /calendar/events``).
        :param deduplication_key: 1 to 2000 printable characters.
        :param bot_config: The bot's configuration; ``{}`` when None. Unknown fields pass through.
        :param occurrence_date: One occurrence of a recurring event: an aware datetime or an ISO
            8601 string with an offset.
        :param schedule_all_occurrences: Let MeetStream expand the series itself.
        :param occurrence_limit: At most this many occurrences (1 to 1000; MeetStream's default 52).
        :param recurring_event: After each occurrence, let MeetStream schedule the next.
        :return: MeetStream's answer: ``bot_id``, ``schedule_id``, ``scheduled_time``...
        """
        request = schedule_event_request(
            event_id,
            deduplication_key=deduplication_key,
            bot_config=bot_config,
            occurrence_date=occurrence_date,
            schedule_all_occurrences=schedule_all_occurrences,
            occurrence_limit=occurrence_limit,
            recurring_event=recurring_event,
        )
        return scheduled_answer(self._send(request), request)

    def unschedule_event(
        self, event_id: str, *, cancel_all_occurrences: bool = False, from_date: datetime | str | None = None
    ) -> dict[str, Any]:
        """
        Cancel the bots scheduled for an event (``DELETE /calendar/schedule/{event_id}``).

        :param event_id: MeetStream's event id.
        :param cancel_all_occurrences: Cancel every occurrence of a recurring event.
        :param from_date: Cancel only occurrences starting at or after this instant.
        :return: MeetStream's answer: ``cancelled_schedules``, ``bots_deleted``...
        """
        return self._send(
            unschedule_event_request(
                event_id, cancel_all_occurrences=cancel_all_occurrences, from_date=from_date
            )
        )

    def list_scheduled_bots(self, limit: int = MAX_LIST_LIMIT) -> list[dict[str, Any]]:
        """
        List the bots scheduled to join future meetings (``GET /calendar/scheduled``).

        The endpoint has no cursor: with more than ``limit`` future bots the list is truncated.

        :param limit: 1 to 100.
        :return: The ``scheduled_bots`` list.
        """
        request = list_scheduled_request(limit)
        return listed_bots(self._send(request), request)

    def update_scheduled_bot(
        self,
        bot_id: str,
        *,
        scheduled_join_time: datetime | str | None = None,
        bot_username: str | None = None,
        custom_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """
        Update a scheduled bot (``PATCH /calendar/scheduled/{bot_id}``); give at least one field.

        :param bot_id: The bot to update.
        :param scheduled_join_time: A new join time in the future, aware or ISO 8601 with offset.
        :param bot_username: A new display name.
        :param custom_attributes: Attributes merged into the bot's.
        :return: MeetStream's answer: ``updated_fields``, ``schedule_updated``...
        """
        return self._send(
            update_scheduled_bot_request(
                bot_id,
                scheduled_join_time=scheduled_join_time,
                bot_username=bot_username,
                custom_attributes=custom_attributes,
            )
        )

    def delete_scheduled_bot(self, bot_id: str) -> dict[str, Any]:
        """
        Delete one scheduled bot (``DELETE /calendar/scheduled/{bot_id}``).

        :param bot_id: The bot to delete; MeetStream answers 400 once it is in a meeting.
        """
        return self._send(delete_scheduled_bot_request(bot_id))

    def get_bot_status(self, bot_id: str) -> dict[str, Any]:
        """
        Read a bot's current status (``GET /bots/{bot_id}/status``).

        :param bot_id: The bot.
        :return: ``{"bot_id", "status", ...}``; statuses run ``Scheduled``, ``Joining``...
            ``Done``, ``Cancelled``.
        """
        request = bot_status_request(bot_id)
        return status_answer(self._send(request), request)

    def iter_events(
        self,
        *,
        time_min: datetime | str | None = None,
        time_max: datetime | str | None = None,
        calendar_id: str | None = None,
        sync: bool | None = None,
        page_size: int = 50,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield calendar events page by page, following the cursor (``GET /calendar/events``).

        Arguments are checked when the generator is created, before any request.

        :param time_min: Events ending after this instant (MeetStream's default: now - 1 day).
        :param time_max: Events starting before this instant (MeetStream's default: now + 28 days).
        :param calendar_id: Only this calendar's events.
        :param sync: Ask MeetStream to sync the calendar first.
        :param page_size: Events per page, 1 to 100.
        :param max_pages: The most pages followed, 1 to 100,000; past it the listing is an error.
        """
        first = events_request(
            time_min=time_min, time_max=time_max, calendar_id=calendar_id, sync=sync, page_size=page_size
        )
        validation.bounded_int(max_pages, "max_pages", 1, 100_000)
        return self._paginate(first, max_pages)

    def _paginate(self, request: ApiRequest | None, max_pages: int) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        while request is not None:
            page = self._send(request)
            yield from list_of_objects(page, "results", request)
            request = next_page_request(request, page, seen, max_pages)

    def get_event(
        self, event_id: str, *, time_min: datetime | str | None = None, time_max: datetime | str | None = None
    ) -> dict[str, Any]:
        """
        Find one event by its id; the API has no single-event endpoint, so this lists events.

        :param event_id: MeetStream's event id.
        :param time_min: Start of the window to search (MeetStream's default: now - 1 day).
        :param time_max: End of the window to search (MeetStream's default: now + 28 days).
        :raises MeetStreamNotFoundError: When no event in the window has this id.
        """
        validation.path_segment(event_id, "event_id")
        listed = 0
        for event in self.iter_events(time_min=time_min, time_max=time_max, page_size=MAX_LIST_LIMIT):
            if event.get("id") == event_id:
                return event
            listed += 1
        raise missing_event(event_id, time_min, time_max, listed=listed)

    def test_connection(self) -> tuple[bool, str]:
        """Check the API key with a cheap, read-only call: list one scheduled bot."""
        try:
            self.list_scheduled_bots(limit=1)
        except MeetStreamError as err:
            return False, str(err)
        return True, "Connected to MeetStream."
