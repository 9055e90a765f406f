"""MeetStreamHook and its async twin: the only code in the provider that speaks HTTP to MeetStream."""

from __future__ import annotations

import email.utils
import json
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from airflow.providers.common.compat.sdk import BaseHook, mask_secret
from requests.adapters import HTTPAdapter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)

from airflow_provider_meetstream import __version__, validation
from airflow_provider_meetstream.exceptions import (
    MAX_ERROR_BODY_CHARS,
    MeetStreamAPIError,
    MeetStreamAuthError,
    MeetStreamConflictError,
    MeetStreamConnectionError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamRateLimitError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.get_provider_info import CONN_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_meetstream.recurrence import MAX_OCCURRENCE_LIMIT

if TYPE_CHECKING:
    import httpx

#: Airflow's loggers are structlog-backed in Airflow 3 and stdlib in Airflow 2: anything with ``warning``.
Logger = Any

DEFAULT_BASE_URL = "https://api.meetstream.ai"
API_PREFIX = "/api/v1"
USER_AGENT = f"airflow-provider-meetstream/{__version__}"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_ATTEMPTS = 5
#: Longest wait between two attempts, whatever ``Retry-After`` asks for; a task should fail and
#: let Airflow's own retries take over rather than block a worker for minutes.
MAX_RETRY_WAIT = 60.0
#: Bounds of the connection's extras, as its form declares them.
MIN_TIMEOUT: float = CONN_FIELDS["timeout"]["schema"]["minimum"]
MAX_ATTEMPTS_BOUND: int = CONN_FIELDS["max_retries"]["schema"]["maximum"]
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
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


async def _amask_secret(secret: str) -> None:
    # Airflow 3 masks without a blocking call to the supervisor; Airflow 2 has only the local masker.
    try:
        from airflow.sdk.log import amask_secret
    except ImportError:
        mask_secret(secret)
    else:
        await amask_secret(secret)


async def _async_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


# --------------------------------------------------------------------------------------------
# Configuration read from the Airflow connection, shared by the sync hook and the async client.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientConfig:
    """
    Everything needed to talk to MeetStream, read from a connection.

    :param base_url: The API root, ending in ``/api/v1``.
    :param api_key: The API key; never shown by ``repr``.
    :param connect_timeout: Seconds to establish a connection.
    :param read_timeout: Seconds to wait for an answer.
    :param max_attempts: Attempts per request, the first included.
    """

    base_url: str
    api_key: str = field(repr=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


def normalize_base_url(host: str | None, port: int | None = None) -> str:
    """
    Turn a connection's host into the API root ``scheme://host[:port]/api/v1``.

    The host may come with or without a scheme (a bare host means https) and with or without the
    ``/api/v1`` suffix; an empty host means MeetStream's public API.

    :param host: The connection's host field.
    :param port: The connection's port field, used when the host names none.
    """
    raw = (host or "").strip() or DEFAULT_BASE_URL
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if not parts.hostname:
        raise MeetStreamError(f"The MeetStream connection's host {host!r} is not a URL.")
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    if not path.endswith(API_PREFIX):
        path = f"{path}{API_PREFIX}"
    return f"{parts.scheme}://{netloc}{path}"


def check_timeout(value: Any, argument: str = "timeout") -> float:
    """
    Check a read timeout: a number of seconds, at least 0.1; a numeric string is accepted.

    :param value: The timeout.
    :param argument: The argument's name, for the error.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not number >= MIN_TIMEOUT or number == float("inf"):
        raise MeetStreamInputError(argument, value, f"must be a number of seconds, at least {MIN_TIMEOUT}")
    return number


def check_max_attempts(value: Any, argument: str = "max_retries") -> int:
    """
    Check the attempts per request, the first included: 1 to 20; a numeric string is accepted.

    :param value: The number of attempts.
    :param argument: The argument's name, for the error.
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return validation.bounded_int(value, argument, 1, MAX_ATTEMPTS_BOUND)


def build_config(
    conn_id: str,
    *,
    host: str | None,
    port: int | None,
    password: str | None,
    extra: Mapping[str, Any],
    timeout: float | None = None,
    max_retries: int | None = None,
) -> ClientConfig:
    """
    Build a :class:`ClientConfig` from a connection's fields; hook arguments win over extras.

    :param conn_id: The connection id, named in errors.
    :param host: The connection's host.
    :param port: The connection's port.
    :param password: The API key.
    :param extra: The connection's extras (``timeout``, ``max_retries``), strings accepted.
    :param timeout: The hook's ``timeout`` argument, already checked.
    :param max_retries: The hook's ``max_retries`` argument, already checked.
    """
    if not password:
        raise MeetStreamError(
            f"The Airflow connection {conn_id!r} has no MeetStream API key: set its password field."
        )
    if timeout is None and extra.get("timeout") not in (None, ""):
        timeout = check_timeout(extra["timeout"], f"extra timeout of connection {conn_id!r}")
    if max_retries is None and extra.get("max_retries") not in (None, ""):
        max_retries = check_max_attempts(extra["max_retries"], f"extra max_retries of connection {conn_id!r}")
    read_timeout = DEFAULT_READ_TIMEOUT if timeout is None else timeout
    return ClientConfig(
        base_url=normalize_base_url(host, port),
        api_key=password,
        connect_timeout=min(DEFAULT_CONNECT_TIMEOUT, read_timeout),
        read_timeout=read_timeout,
        max_attempts=DEFAULT_MAX_ATTEMPTS if max_retries is None else max_retries,
    )


# --------------------------------------------------------------------------------------------
# The policy shared by both clients: what is retried, how long to wait, which error to raise.
# --------------------------------------------------------------------------------------------


class _RetryableAnswer(Exception):
    """An answer worth another attempt; becomes a typed error once attempts run out."""

    def __init__(self, error: MeetStreamAPIError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class _TransportFailure(Exception):
    """No answer at all: connection refused or reset, or a timeout."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """
    Read a ``Retry-After`` header: seconds, or an HTTP date; None when absent or unreadable.

    :param value: The header's value.
    :param now: The current time, for an HTTP date.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _error_message(payload: Any, fallback: str) -> str:
    if isinstance(payload, dict):
        for name in ("message", "detail", "error", "errors"):
            value = payload.get(name)
            if value:
                text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
                if name == "message" and payload.get("errors"):
                    # Recall-style bodies put a generic message beside the useful detail.
                    text = f"{text} {json.dumps(payload['errors'], sort_keys=True)}"
                return text[:MAX_ERROR_BODY_CHARS]
    return fallback


def error_for_answer(
    status: int, headers: Mapping[str, str], text: str, *, method: str, path: str
) -> MeetStreamAPIError:
    """
    Map a non-success answer to its typed error.

    :param status: The HTTP status.
    :param headers: The answer's headers.
    :param text: The answer's body, with the API key already scrubbed.
    :param method: The request's method.
    :param path: The request's API path.
    """
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    message = _error_message(payload, text.strip()[:200] or f"HTTP {status}")
    if 300 <= status < 400:
        location = headers.get("location")
        message = f"redirected to {location!r}, not followed: set the connection's host to the API's own URL"
    common: dict[str, Any] = {
        "status_code": status,
        "request_id": headers.get("x-request-id"),
        "body": text,
        "method": method,
        "path": path,
    }
    if status in (401, 403):
        return MeetStreamAuthError(message, **common)
    if status == 404:
        return MeetStreamNotFoundError(message, **common)
    if status == 409:
        existing = None
        if isinstance(payload, dict):
            existing = payload.get("bot_id") or payload.get("existing_bot_id")
        return MeetStreamConflictError(message, existing_bot_id=existing, **common)
    if status == 429:
        return MeetStreamRateLimitError(
            message, retry_after=parse_retry_after(headers.get("retry-after")), **common
        )
    if status >= 500:
        return MeetStreamServerError(message, **common)
    return MeetStreamAPIError(message, **common)


@dataclass(frozen=True)
class RequestPolicy:
    """
    How both clients retry: which answers, how many attempts, how long between them.

    Waits honour ``Retry-After`` (capped at ``max_wait``); otherwise they grow exponentially from
    ``initial_wait`` with up to ``jitter`` seconds of random spread, so that many workers hitting
    the same limit do not retry in lockstep.

    :param max_attempts: Attempts per request, the first included.
    :param initial_wait: The first backoff, in seconds.
    :param max_wait: The longest wait, in seconds.
    :param jitter: The largest random addition to a backoff, in seconds.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    initial_wait: float = 1.0
    max_wait: float = MAX_RETRY_WAIT
    jitter: float = 1.0

    def wait_seconds(self, attempt: int, retry_after: float | None) -> float:
        """
        Seconds to wait after failed attempt number ``attempt`` (1-based).

        :param attempt: The attempt that just failed.
        :param retry_after: What the server asked for, if anything.
        """
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        backoff = self.initial_wait * 2.0 ** (attempt - 1) + random.uniform(0, self.jitter)
        return min(backoff, self.max_wait)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = error.retry_after if isinstance(error, _RetryableAnswer) else None
        return self.wait_seconds(state.attempt_number, retry_after)

    def _log_retry(self, log: Logger, method: str, path: str) -> Callable[[RetryCallState], None]:
        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            what = error.error.status_code if isinstance(error, _RetryableAnswer) else str(error)
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "MeetStream %s %s: %s on attempt %d of %d; retrying in %.1f s",
                method,
                path,
                what,
                state.attempt_number,
                self.max_attempts,
                wait,
            )

        return before_sleep

    def retrying_arguments(self, log: Logger, method: str, path: str) -> dict[str, Any]:
        """The tenacity arguments both ``Retrying`` and ``AsyncRetrying`` are built with."""
        return {
            "stop": stop_after_attempt(self.max_attempts),
            "wait": self._wait,
            "retry": retry_if_exception_type((_RetryableAnswer, _TransportFailure)),
            "before_sleep": self._log_retry(log, method, path),
            "reraise": True,
        }

    @staticmethod
    def handle_answer(
        status: int, headers: Mapping[str, str], text: str, request: ApiRequest, secret: str
    ) -> dict[str, Any]:
        """
        Decode a 2xx answer, or raise: :class:`_RetryableAnswer` when another attempt may help.

        Redirects are not followed (they would resend the API key to wherever they point), so a
        3xx is an error too.

        :param status: The HTTP status.
        :param headers: The answer's headers.
        :param text: The answer's body.
        :param request: The request answered.
        :param secret: The API key to scrub from errors.
        """
        text = text.replace(secret, "***") if secret else text
        if not 200 <= status < 300:
            error = error_for_answer(status, headers, text, method=request.method, path=request.path)
            if status in RETRYABLE_STATUSES:
                raise _RetryableAnswer(error, parse_retry_after(headers.get("retry-after")))
            raise error
        return decode_json(status, text, method=request.method, path=request.path)

    @staticmethod
    def transport_failure(error: BaseException, request: ApiRequest, *, retryable: bool) -> Exception:
        """
        Classify a request that got no answer: another attempt, or a final error.

        TLS failures are final: a certificate problem does not heal in a few seconds.

        :param error: The transport library's exception.
        :param request: The request that failed.
        :param retryable: Whether the library's exception type is worth another attempt.
        """
        reason = f"{type(error).__name__}: {error}"[:300]
        if retryable and not _tls_failure(error):
            return _TransportFailure(reason)
        return MeetStreamConnectionError(f"MeetStream {request.method} {request.path} failed: {reason}")

    @staticmethod
    def final_error(failure: Exception, request: ApiRequest, attempts: int) -> MeetStreamError:
        """Turn the last retryable failure into the typed error the caller sees."""
        if isinstance(failure, _RetryableAnswer):
            return failure.error
        return MeetStreamConnectionError(
            f"MeetStream {request.method} {request.path} got no answer after {attempts} attempt(s): {failure}"
        )


def _tls_failure(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or type(seen).__name__ == "SSLError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def decode_json(status: int, text: str, *, method: str, path: str) -> dict[str, Any]:
    """
    Decode a success body; an empty one is ``{}``.

    :param status: The HTTP status, for the error.
    :param text: The body.
    :param method: The request's method, for the error.
    :param path: The request's path, for the error.
    """
    if not text.strip():
        return {}
    try:
        payload = json.loads(text)
    except ValueError:
        raise MeetStreamAPIError(
            "the answer is not JSON", status_code=status, body=text, method=method, path=path
        ) from None
    if not isinstance(payload, dict):
        raise MeetStreamAPIError(
            "the answer is not a JSON object", status_code=status, body=text, method=method, path=path
        )
    return payload


def list_of_objects(payload: dict[str, Any], key: str, request: ApiRequest) -> list[dict[str, Any]]:
    """
    Read a list of JSON objects from an answer; anything else is an error, never an empty list.

    A missing list must not read as "nothing scheduled": a sensor waiting for bots to be gone would
    then succeed on a malformed answer.

    :param payload: The decoded answer.
    :param key: The list's field, e.g. ``scheduled_bots``.
    :param request: The request answered, for the error.
    """
    items = payload.get(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MeetStreamAPIError(
            f"the answer's {key!r} is not a list of objects",
            status_code=200,
            body=json.dumps(payload),
            method=request.method,
            path=request.path,
        )
    return items


# --------------------------------------------------------------------------------------------
# Request builders: validate arguments and shape the request, shared by both clients.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRequest:
    """One validated request: method, path under ``/api/v1``, query and JSON body."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None

    def url(self, base_url: str) -> str:
        """The full URL, query included, exactly as it goes on the wire."""
        query = f"?{urlencode(self.params)}" if self.params else ""
        return f"{base_url}{self.path}{query}"


def _cursor_from_next(value: Any) -> str | None:
    # Some API versions answer ``next`` as a URL rather than a bare, opaque cursor.
    if not value:
        return None
    text = str(value)
    if "://" in text or (text.startswith("/") and "?" in text):
        cursor = parse_qs(urlsplit(text).query).get("cursor")
        if not cursor:
            raise MeetStreamError(f"MeetStream's next page {text!r} carries no cursor; cannot go on listing.")
        return cursor[0]
    return text


def schedule_event_request(
    event_id: str,
    *,
    deduplication_key: str,
    bot_config: dict[str, Any] | None = None,
    occurrence_date: datetime | str | None = None,
    schedule_all_occurrences: bool | None = None,
    occurrence_limit: int | None = None,
    recurring_event: bool | None = None,
) -> ApiRequest:
    """Validate the arguments of ``POST /calendar/schedule/{event_id}`` and build it."""
    segment = validation.path_segment(event_id, "event_id")
    body: dict[str, Any] = {
        "deduplication_key": validation.deduplication_key(deduplication_key),
        "bot_config": validation.bot_config(bot_config),
    }
    optional = {
        "occurrence_date": validation.optional_iso_datetime(occurrence_date, "occurrence_date"),
        "schedule_all_occurrences": validation.optional_bool(
            schedule_all_occurrences, "schedule_all_occurrences"
        ),
        "occurrence_limit": None
        if occurrence_limit is None
        else validation.bounded_int(occurrence_limit, "occurrence_limit", 1, MAX_OCCURRENCE_LIMIT),
        "recurring_event": validation.optional_bool(recurring_event, "recurring_event"),
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return ApiRequest("POST", f"/calendar/schedule/{segment}", body=body)


def unschedule_event_request(
    event_id: str, *, cancel_all_occurrences: bool = False, from_date: datetime | str | None = None
) -> ApiRequest:
    """Validate the arguments of ``DELETE /calendar/schedule/{event_id}`` and build it."""
    segment = validation.path_segment(event_id, "event_id")
    body: dict[str, Any] = {}
    if validation.optional_bool(cancel_all_occurrences, "cancel_all_occurrences"):
        body["cancel_all_occurrences"] = True
    if from_date is not None:
        body["from_date"] = validation.iso_datetime(from_date, "from_date")
    return ApiRequest("DELETE", f"/calendar/schedule/{segment}", body=body or None)


def list_scheduled_request(limit: int = validation.MAX_LIST_LIMIT) -> ApiRequest:
    """Validate the arguments of ``GET /calendar/scheduled`` and build it."""
    limit = validation.bounded_int(limit, "limit", 1, validation.MAX_LIST_LIMIT)
    return ApiRequest("GET", "/calendar/scheduled", params={"limit": limit})


def update_scheduled_bot_request(
    bot_id: str,
    *,
    scheduled_join_time: datetime | str | None = None,
    bot_username: str | None = None,
    custom_attributes: dict[str, Any] | None = None,
) -> ApiRequest:
    """Validate the arguments of ``PATCH /calendar/scheduled/{bot_id}`` and build it."""
    segment = validation.path_segment(bot_id, "bot_id")
    body: dict[str, Any] = {}
    if scheduled_join_time is not None:
        body["scheduled_join_time"] = validation.iso_datetime(scheduled_join_time, "scheduled_join_time")
    if bot_username is not None:
        body["bot_username"] = validation.non_empty_text(bot_username, "bot_username", strip=True)
    if custom_attributes is not None:
        if not isinstance(custom_attributes, dict):
            raise MeetStreamInputError("custom_attributes", custom_attributes, "must be a dict")
        body["custom_attributes"] = custom_attributes
    if not body:
        raise MeetStreamInputError(
            "scheduled_join_time/bot_username/custom_attributes", None, "give at least one of them"
        )
    return ApiRequest("PATCH", f"/calendar/scheduled/{segment}", body=body)


def events_request(
    *,
    time_min: datetime | str | None,
    time_max: datetime | str | None,
    calendar_id: str | None,
    sync: bool | None,
    page_size: int,
) -> ApiRequest:
    """Validate the arguments of ``GET /calendar/events`` and build one page's request."""
    params: dict[str, Any] = {
        "limit": validation.bounded_int(page_size, "page_size", 1, validation.MAX_LIST_LIMIT)
    }
    if time_min is not None:
        params["time_min"] = validation.iso_datetime(time_min, "time_min")
    if time_max is not None:
        params["time_max"] = validation.iso_datetime(time_max, "time_max")
    if calendar_id is not None:
        params["calendar_id"] = validation.non_empty_text(calendar_id, "calendar_id")
    if validation.optional_bool(sync, "sync") is not None:
        params["sync"] = "true" if sync else "false"
    return ApiRequest("GET", "/calendar/events", params=params)


def bot_path(bot_id: str, suffix: str = "") -> str:
    """The path of one bot, its id encoded as one segment."""
    return f"/bots/{validation.path_segment(bot_id, 'bot_id')}{suffix}"


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


# --------------------------------------------------------------------------------------------
# The sync hook.
# --------------------------------------------------------------------------------------------


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
    default_conn_name = "meetstream_default"
    conn_type = "meetstream"
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
        self._session_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(meetstream_conn_id={self.meetstream_conn_id!r})"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabel and hide the standard connection fields (Airflow before 3.2 reads this)."""
        return {
            "hidden_fields": list(UI_FIELD_BEHAVIOUR["hidden-fields"]),
            "relabeling": dict(UI_FIELD_BEHAVIOUR["relabeling"]),
            "placeholders": dict(UI_FIELD_BEHAVIOUR["placeholders"]),
        }

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The ``timeout`` and ``max_retries`` extra fields (Airflow before 3.2 reads this)."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import IntegerField, StringField
        from wtforms.validators import NumberRange, Optional, Regexp

        timeout, attempts = CONN_FIELDS["timeout"], CONN_FIELDS["max_retries"]
        return {
            # Airflow 2 forms support no FloatField; the hook parses the string.
            "timeout": StringField(
                lazy_gettext(timeout["label"]),
                description=timeout["description"],
                widget=BS3TextFieldWidget(),
                validators=[Optional(), Regexp(r"^\d+(\.\d+)?$", message="A number of seconds")],
            ),
            "max_retries": IntegerField(
                lazy_gettext(attempts["label"]),
                description=attempts["description"],
                widget=BS3TextFieldWidget(),
                validators=[
                    Optional(),
                    NumberRange(min=attempts["schema"]["minimum"], max=attempts["schema"]["maximum"]),
                ],
            ),
        }

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
            return self._session

    def close(self) -> None:
        """Close the pooled session and its connections."""
        with self._session_lock:
            if self._session is not None:
                self._session.close()
                self._session = None

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
        # Session.send skips what Session.request reads from the environment: CA bundles, proxies.
        settings = session.merge_environment_settings(url, {}, None, None, None)
        timeout = (config.connect_timeout, config.read_timeout)

        def attempt() -> dict[str, Any]:
            failure: Exception | None = None
            try:
                response = session.send(prepared, timeout=timeout, allow_redirects=False, **settings)
            except _RETRYABLE_REQUESTS_ERRORS as err:
                failure = policy.transport_failure(err, request, retryable=True)
            except requests.RequestException as err:
                failure = policy.transport_failure(err, request, retryable=False)
            if failure is not None:
                # Raised outside the except block, so no __context__ keeps the request and its headers.
                raise failure
            return policy.handle_answer(
                response.status_code, response.headers, response.text, request, config.api_key
            )

        retrying = Retrying(sleep=_sleep, **policy.retrying_arguments(self.log, request.method, request.path))
        try:
            return retrying(attempt)
        except (_RetryableAnswer, _TransportFailure) as failure:
            raise policy.final_error(failure, request, policy.max_attempts) from None

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
        answer = self._send(request)
        if not answer.get("bot_id"):
            # Every form of the answer names its bot; without one, nothing downstream can wait for it.
            raise MeetStreamAPIError(
                "the answer names no bot_id",
                status_code=200,
                body=json.dumps(answer),
                method=request.method,
                path=request.path,
            )
        return answer

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

    def list_scheduled_bots(self, limit: int = validation.MAX_LIST_LIMIT) -> list[dict[str, Any]]:
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
        segment = validation.path_segment(bot_id, "bot_id")
        return self._send(ApiRequest("DELETE", f"/calendar/scheduled/{segment}"))

    def get_bot_status(self, bot_id: str) -> dict[str, Any]:
        """
        Read a bot's current status (``GET /bots/{bot_id}/status``).

        :param bot_id: The bot.
        :return: ``{"bot_id", "status", ...}``; statuses run ``Scheduled``, ``Joining``...
            ``Done``, ``Cancelled``.
        """
        return self._send(ApiRequest("GET", bot_path(bot_id, "/status")))

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

    def _paginate(self, request: ApiRequest) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        while True:
            page = self._send(request)
            yield from list_of_objects(page, "results", request)
            cursor = _cursor_from_next(page.get("next"))
            if not cursor:
                return
            if cursor in seen:
                raise MeetStreamError(
                    f"MeetStream returned the cursor {cursor!r} twice; stopping the listing."
                )
            seen.add(cursor)
            request = ApiRequest(
                request.method, request.path, params={**(request.params or {}), "cursor": cursor}
            )

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
        for event in self.iter_events(
            time_min=time_min, time_max=time_max, page_size=validation.MAX_LIST_LIMIT
        ):
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


# --------------------------------------------------------------------------------------------
# The async client, for triggers: same config, policy and request builders, on httpx.
# --------------------------------------------------------------------------------------------


class MeetStreamAsyncClient:
    """
    An async MeetStream client for triggers, on ``httpx.AsyncClient``.

    It shares the sync hook's request builders, retry policy and error mapping; only the transport
    differs. The connection is read inside the event loop through common-compat's
    ``get_async_connection``.

    :param meetstream_conn_id: The Airflow connection to use.
    :param timeout: Read timeout in seconds; overrides the connection's ``timeout`` extra.
    :param max_retries: Attempts per request; overrides the connection's ``max_retries`` extra.
    :param log: Where retry lines go, e.g. the trigger's own logger; a module logger when None.
    """

    def __init__(
        self,
        meetstream_conn_id: str = MeetStreamHook.default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        log: Logger | None = None,
    ) -> None:
        import logging

        self.meetstream_conn_id = meetstream_conn_id
        self.timeout = None if timeout is None else check_timeout(timeout)
        self.max_retries = None if max_retries is None else check_max_attempts(max_retries)
        self.log = log or logging.getLogger(f"{__name__}.{type(self).__name__}")
        self._config: ClientConfig | None = None
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(meetstream_conn_id={self.meetstream_conn_id!r})"

    async def get_config(self) -> ClientConfig:
        """Read the connection once, without blocking the event loop; mask the API key."""
        if self._config is None:
            from airflow.providers.common.compat.connection import (
                get_async_connection,
                get_async_extra_dejson,
            )

            conn = await get_async_connection(self.meetstream_conn_id, hook=MeetStreamHook)
            self._config = build_config(
                self.meetstream_conn_id,
                host=conn.host,
                port=conn.port,
                password=conn.password,
                extra=await get_async_extra_dejson(conn),
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
            await _amask_secret(self._config.api_key)
        return self._config

    async def _get_client(self) -> tuple[httpx.AsyncClient, ClientConfig]:
        import httpx

        config = await self.get_config()
        if self._client is None:
            self._client = httpx.AsyncClient(
                headers={**auth_headers(config.api_key), "Accept": "application/json"},
                timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
                follow_redirects=False,
            )
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
        import httpx

        client, config = await self._get_client()
        policy = RequestPolicy(max_attempts=config.max_attempts)
        url = request.url(config.base_url)

        async def attempt() -> dict[str, Any]:
            failure: Exception | None = None
            try:
                response = await client.request(request.method, url, json=request.body)
            except httpx.UnsupportedProtocol as err:
                failure = policy.transport_failure(err, request, retryable=False)
            except httpx.TransportError as err:
                failure = policy.transport_failure(err, request, retryable=True)
            if failure is not None:
                raise failure
            return policy.handle_answer(
                response.status_code, response.headers, response.text, request, config.api_key
            )

        retrying = AsyncRetrying(
            sleep=_async_sleep, **policy.retrying_arguments(self.log, request.method, request.path)
        )
        try:
            return await retrying(attempt)
        except (_RetryableAnswer, _TransportFailure) as failure:
            raise policy.final_error(failure, request, policy.max_attempts) from None

    async def list_scheduled_bots(self, limit: int = validation.MAX_LIST_LIMIT) -> list[dict[str, Any]]:
        """Async :meth:`MeetStreamHook.list_scheduled_bots`."""
        request = list_scheduled_request(limit)
        return list_of_objects(await self._send(request), "scheduled_bots", request)

    async def get_bot_status(self, bot_id: str) -> dict[str, Any]:
        """Async :meth:`MeetStreamHook.get_bot_status`."""
        return await self._send(ApiRequest("GET", bot_path(bot_id, "/status")))
