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

from airflow_provider_meetstream import __version__, validation
from airflow_provider_meetstream.constants import CONN_TYPE, DEFAULT_CONN_ID, MAX_LIST_LIMIT
from airflow_provider_meetstream.exceptions import MeetStreamError, MeetStreamNotFoundError

# Re-exported: users import the async client from here, beside the hook.
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient as MeetStreamAsyncClient
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
    check_max_attempts,
    check_timeout,
    connection_form_widgets,
    ui_field_behaviour,
)
from airflow_provider_meetstream.hooks.errors import (
    handle_answer,
    list_of_objects,
    scheduled_answer,
    transport_failure,
)
from airflow_provider_meetstream.hooks.policy import RequestPolicy

USER_AGENT = f"airflow-provider-meetstream/{__version__}"
#: No answer, or an answer cut off mid-body: worth another attempt (TLS failures excepted).
_RETRYABLE_REQUESTS_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _sleep(seconds: float) -> None:
    # Looked up at call time so tests can patch the wait without waiting.
    time.sleep(seconds)


class MeetStreamAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Token <key>`` and the provider's User-Agent to every request."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(auth_headers(self._api_key))
        return request

    def __repr__(self) -> str:
        return "MeetStreamAuth(api_key='***')"


def auth_headers(api_key: str) -> dict[str, str]:
    """The headers that authenticate a request: the API key and the provider's User-Agent."""
    return {"Authorization": f"Token {api_key}", "User-Agent": USER_AGENT}


class MeetStreamHook(BaseHook):
    """
    Talk to MeetStream's calendar API through an Airflow connection of type ``meetstream``.

    The connection's password is the API key; its host is the API base URL (default
    ``https://api.meetstream.ai``, with or without ``/api/v1``, a bare host meaning https).
    Extras ``timeout`` (read timeout, seconds) and ``max_retries`` (attempts per request) override
    the defaults. The hook keeps one pooled :class:`requests.Session` (keep-alive) for its lifetime,
    sends a connect and read timeout with every request, and retries 408, 429, 500, 502, 503, 504
    and network errors with exponential backoff and jitter, honouring ``Retry-After``. Every
    argument is checked before a request is sent; a bad one raises
    :class:`~airflow_provider_meetstream.exceptions.MeetStreamInputError`.

    :param meetstream_conn_id: The Airflow connection to use.
    :param timeout: Read timeout in seconds; overrides the connection's ``timeout`` extra.
    :param max_retries: Attempts per request, the first included; overrides the ``max_retries`` extra.
    :param pool_maxsize: Connections kept open to MeetStream; at least the number of threads that
        share this hook.
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
        pool_maxsize: int = 10,
    ) -> None:
        super().__init__()
        self.meetstream_conn_id = meetstream_conn_id
        self.timeout = None if timeout is None else check_timeout(timeout)
        self.max_retries = None if max_retries is None else check_max_attempts(max_retries)
        self.pool_maxsize = pool_maxsize
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
        """The ``timeout`` and ``max_retries`` extra fields (Airflow before 3.2 reads this)."""
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
        )
        mask_secret(config.api_key)
        return config

    @cached_property
    def policy(self) -> RequestPolicy:
        """The retry policy, sized from the connection."""
        return RequestPolicy(max_attempts=self.config.max_attempts)

    def get_conn(self) -> requests.Session:
        """Return the hook's pooled session, creating it on first use."""
        with self._session_lock:
            if self._session is None:
                session = requests.Session()
                session.auth = MeetStreamAuth(self.config.api_key)
                session.headers["Accept"] = "application/json"
                # Retries are ours (they honour Retry-After); urllib3's own would double them.
                adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.pool_maxsize, max_retries=0)
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
        prepared = session.prepare_request(requests.Request(request.method, url, json=request.body))
        # requests decodes %2E back to "." and urllib3 then resolves "..": keep our encoding.
        prepared.url = url
        settings = self._environment_settings(session)
        timeout = (config.connect_timeout, config.read_timeout)

        def attempt() -> dict[str, Any]:
            failure: Exception | None = None
            try:
                response = session.send(prepared, timeout=timeout, allow_redirects=False, **settings)
            except _RETRYABLE_REQUESTS_ERRORS as err:
                failure = transport_failure(err, request, retryable=True)
            except requests.RequestException as err:
                failure = transport_failure(err, request, retryable=False)
            if failure is not None:
                # Raised outside the except block, so no __context__ keeps the request and its headers.
                raise failure
            return handle_answer(
                response.status_code, response.headers, response.text, request, config.api_key
            )

        return policy.call(attempt, request, self.log, _sleep)

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
        return list_of_objects(self._send(request), "scheduled_bots", request)

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
        return self._send(bot_status_request(bot_id))

    def iter_events(
        self,
        *,
        time_min: datetime | str | None = None,
        time_max: datetime | str | None = None,
        calendar_id: str | None = None,
        sync: bool | None = None,
        page_size: int = 50,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield calendar events page by page, following the cursor (``GET /calendar/events``).

        Arguments are checked when the generator is created, before any request.

        :param time_min: Events ending after this instant (MeetStream's default: now - 1 day).
        :param time_max: Events starting before this instant (MeetStream's default: now + 28 days).
        :param calendar_id: Only this calendar's events.
        :param sync: Ask MeetStream to sync the calendar first.
        :param page_size: Events per page, 1 to 100.
        """
        first = events_request(
            time_min=time_min, time_max=time_max, calendar_id=calendar_id, sync=sync, page_size=page_size
        )
        return self._paginate(first)

    def _paginate(self, request: ApiRequest | None) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        while request is not None:
            page = self._send(request)
            yield from list_of_objects(page, "results", request)
            request = next_page_request(request, page, seen)

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
        for event in self.iter_events(time_min=time_min, time_max=time_max, page_size=MAX_LIST_LIMIT):
            if event.get("id") == event_id:
                return event
        raise MeetStreamNotFoundError(
            f"no event {event_id!r} between {time_min or 'now - 1 day'} and {time_max or 'now + 28 days'}",
            status_code=404,
            method="GET",
            path="/calendar/events",
        )

    def test_connection(self) -> tuple[bool, str]:
        """Check the API key with a cheap, read-only call: list one scheduled bot."""
        try:
            self.list_scheduled_bots(limit=1)
        except MeetStreamError as err:
            return False, str(err)
        return True, "Connected to MeetStream."
