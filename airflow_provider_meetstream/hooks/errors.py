"""How answers become results or typed errors: status mapping, retry classification, decoding, scrubbing."""

from __future__ import annotations

import email.utils
import json
import math
import re
import ssl
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from airflow_provider_meetstream.constants import MIN_SCRUBBED_SECRET_LENGTH
from airflow_provider_meetstream.exceptions import (
    MAX_ERROR_BODY_CHARS,
    MeetStreamAPIError,
    MeetStreamAuthError,
    MeetStreamConflictError,
    MeetStreamConnectionError,
    MeetStreamError,
    MeetStreamEventNotFoundError,
    MeetStreamNotFoundError,
    MeetStreamNotReadyError,
    MeetStreamRateLimitError,
    MeetStreamServerError,
)

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.wire import ApiRequest

#: Replaces the API key wherever an answer, an error or a trigger event carries it.
SCRUBBED = "***"
_ESCAPES = re.compile(r"%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}")


def secret_forms(secret: Any) -> tuple[str, ...]:
    """
    The forms in which a key may come back: raw, JSON-escaped, percent-encoded, in either hex case.

    Empty for a key shorter than ``MIN_SCRUBBED_SECRET_LENGTH``: replacing a short key would
    corrupt answers (a key ``K`` turns ``FREQ=WEEKLY`` into ``FREQ=WEE***LY``); such a key is still
    registered with Airflow's secrets masker for logs.

    :param secret: The API key; anything but a long enough string means nothing to scrub.
    """
    if not isinstance(secret, str) or len(secret) < MIN_SCRUBBED_SECRET_LENGTH:
        return ()
    forms = {secret}
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        forms |= {escaped, escaped.replace("/", "\\/")}
    forms |= {quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="/")}
    forms |= {
        _ESCAPES.sub(lambda match, case=case: _recase(match.group(0), case), form)  # type: ignore[misc]
        for case in (str.lower, str.upper)
        for form in forms
    }
    return tuple(sorted(forms, key=len, reverse=True))


def _recase(escape: str, case: Callable[[str], str]) -> str:
    # The hex digits of one escape (%2f, \u00e9) in one case; the escape's own letters kept.
    head = 1 if escape.startswith("%") else 2
    return escape[:head] + case(escape[head:])


def scrub(text: str | None, secret: Any) -> str | None:
    """
    Replace every form of the API key in ``text`` with ``***`` (see :func:`secret_forms`).

    :param text: Any text: a body, a header, a message; None passes through.
    :param secret: The API key.
    """
    return replace_forms(text, secret_forms(secret)) if text else text


def scrub_value(value: Any, secret: Any) -> Any:
    """
    The structural :func:`scrub`: replace the key inside every string (keys too) of decoded JSON.

    :param value: A decoded answer, an error's fields, a trigger event.
    :param secret: The API key.
    """
    forms = secret_forms(secret)
    return replace_forms_in(value, forms) if forms else value


def replace_forms(text: str, forms: tuple[str, ...]) -> str:
    """Replace each of ``forms`` (from :func:`secret_forms`) in ``text`` with ``***``."""
    for form in forms:
        text = text.replace(form, SCRUBBED)
    return text


def replace_forms_in(value: Any, forms: tuple[str, ...]) -> Any:
    """Replace each of ``forms`` inside every string of ``value``, dict keys included."""
    if isinstance(value, str):
        return replace_forms(value, forms)
    if isinstance(value, dict):
        return {replace_forms_in(key, forms): replace_forms_in(item, forms) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(replace_forms_in(item, forms) for item in value)
    return value


def naming_the_connection(err: MeetStreamAuthError, conn_id: str) -> MeetStreamAPIError:
    """
    A refused key's error, naming the Airflow connection whose key it was: the first thing to check.

    :param err: The 401 or 403.
    :param conn_id: The connection the client read its key from.
    """
    if err.status_code == 401:
        why = f"MeetStream refused the API key of Airflow connection {conn_id!r}: check its password"
    else:
        why = (
            f"MeetStream refused the request made with the API key of Airflow connection {conn_id!r}: "
            "the key is not valid, or what was asked belongs to another key"
        )
    return err.with_hint(why)


RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class RetryableAnswer(Exception):
    """An answer worth another attempt; becomes a typed error once attempts run out."""

    def __init__(self, error: MeetStreamAPIError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class TransportFailure(Exception):
    """
    No answer, or not all of it: connection refused or reset, a timeout, a body cut off.

    :param reason: What happened, for the final error.
    :param sent: Whether the request may have reached MeetStream (false only when no connection
        was made), so that a retry's 404 on a DELETE can be read as "already done".
    """

    def __init__(self, reason: str, *, sent: bool = True) -> None:
        super().__init__(reason)
        self.sent = sent


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
        seconds = float(value)
    except ValueError:
        pass
    else:
        # A negative, infinite or NaN wait is nonsense: the normal backoff applies instead.
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
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
    status: int, headers: Mapping[str, str], text: str, *, method: str, path: str, secret: Any = None
) -> MeetStreamAPIError:
    """
    Map a non-success answer to its typed error, the API key scrubbed from every field.

    :param status: The HTTP status.
    :param headers: The answer's headers.
    :param text: The answer's body.
    :param method: The request's method.
    :param path: The request's API path.
    :param secret: The API key, scrubbed from the body, the headers kept and the path.
    """
    forms = secret_forms(secret)
    text = replace_forms(text, forms)
    try:
        payload = replace_forms_in(json.loads(text), forms) if text else None
    except (ValueError, RecursionError):
        payload = None
    message = _error_message(payload, text.strip()[:200] or f"HTTP {status}")
    if 300 <= status < 400:
        location = replace_forms(headers.get("location") or "", forms)
        message = f"redirected to {location!r}, not followed: set the connection's host to the API's own URL"
    request_id = headers.get("x-request-id")
    common: dict[str, Any] = {
        "status_code": status,
        "request_id": replace_forms(request_id, forms) if request_id else None,
        "body": text,
        "method": method,
        "path": replace_forms(path, forms),
    }
    if status in (401, 403):
        return MeetStreamAuthError(message, **common)
    if status == 404:
        return MeetStreamNotFoundError(message, **common)
    if status == 409:
        return MeetStreamConflictError(
            message,
            existing_bot_id=_named(payload, "bot_id", "existing_bot_id"),
            existing_schedule_id=_named(payload, "schedule_id", "existing_schedule_id"),
            **common,
        )
    if status == 429:
        return MeetStreamRateLimitError(
            message, retry_after=parse_retry_after(headers.get("retry-after")), **common
        )
    if status >= 500:
        return MeetStreamServerError(message, **common)
    return MeetStreamAPIError(message, **common)


def _named(payload: Any, *names: str) -> str | None:
    # The first of these fields that is a non-empty string: a 409 body's spelling varies.
    if isinstance(payload, dict):
        for name in names:
            value = payload.get(name)
            if isinstance(value, str) and value:
                return value
    return None


def handle_answer(
    status: int, headers: Mapping[str, str], text: str, request: ApiRequest, secret: str
) -> dict[str, Any]:
    """
    Decode a 2xx answer, or raise: :class:`RetryableAnswer` when another attempt may help.

    Redirects are not followed (they would resend the API key to wherever they point), so a
    3xx is an error too. The request's ``not_ready_statuses`` raise
    :class:`~airflow_provider_meetstream.exceptions.MeetStreamNotReadyError` (not retried here:
    the caller decides how long to wait), and its ``success_statuses`` decode as an answer.

    :param status: The HTTP status.
    :param headers: The answer's headers.
    :param text: The answer's body.
    :param request: The request answered.
    :param secret: The API key, scrubbed from errors and from the decoded answer.
    """
    if status in request.not_ready_statuses:
        request_id = headers.get("x-request-id")
        raise MeetStreamNotReadyError(
            "not ready yet; MeetStream is still processing it",
            retry_after=parse_retry_after(headers.get("retry-after")),
            status_code=status,
            request_id=scrub(request_id, secret),
            method=request.method,
            path=request.path,
        )
    if not 200 <= status < 300 and status not in request.success_statuses:
        error = error_for_answer(
            status, headers, text, method=request.method, path=request.path, secret=secret
        )
        if status in RETRYABLE_STATUSES:
            raise RetryableAnswer(error, parse_retry_after(headers.get("retry-after")))
        raise error
    forms = secret_forms(secret)
    # Decoded first, then scrubbed inside its strings, so that no replacement can break the JSON.
    answer = decode_json(status, text, request, forms)
    try:
        scrubbed: dict[str, Any] = replace_forms_in(answer, forms)
    except RecursionError:
        raise MeetStreamAPIError(
            "the answer is nested too deeply", status_code=status, method=request.method, path=request.path
        ) from None
    return scrubbed


def transport_failure(
    error: BaseException, request: ApiRequest, *, retryable: bool, sent: bool = True, secret: Any = None
) -> Exception:
    """
    Classify a request that got no answer: another attempt, or a final error.

    TLS failures are final: a certificate problem does not heal in a few seconds.

    :param error: The transport library's exception.
    :param request: The request that failed.
    :param retryable: Whether the library's exception type is worth another attempt.
    :param sent: Whether the request may have reached MeetStream (see :class:`TransportFailure`).
    :param secret: The API key, scrubbed from the reason.
    """
    reason = scrub(f"{type(error).__name__}: {error}"[:300], secret) or ""
    if retryable and not _tls_failure(error):
        return TransportFailure(reason, sent=sent)
    return MeetStreamConnectionError(f"MeetStream {request.method} {request.path} failed: {reason}")


def final_error(failure: Exception, request: ApiRequest, attempts: int, note: str = "") -> MeetStreamError:
    """
    Turn the last retryable failure into the typed error the caller sees.

    :param failure: The last failure.
    :param request: The request that failed.
    :param attempts: How many attempts were made.
    :param note: Why the retries stopped early, appended to the message.
    """
    if isinstance(failure, RetryableAnswer):
        return failure.error.with_message(f"{failure.error.message}{note}") if note else failure.error
    return MeetStreamConnectionError(
        f"MeetStream {request.method} {request.path} got no answer after {attempts} attempt(s): "
        f"{failure}{note}"
    )


def _tls_failure(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or type(seen).__name__ == "SSLError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def decode_json(status: int, text: str, request: ApiRequest, forms: tuple[str, ...] = ()) -> dict[str, Any]:
    """
    Decode a success body; an empty one is ``{}``, a list one ``{list_key: [...]}`` when the request allows.

    :param status: The HTTP status, for the error.
    :param text: The body.
    :param request: The request answered: its ``list_key``, and its method and path for the error.
    :param forms: The API key's forms (:func:`secret_forms`), scrubbed from an error's body.
    """
    if not text.strip():
        return {}
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        payload = what = "JSON"
    else:
        what = "a JSON object"
    if request.list_key is not None and isinstance(payload, list):
        return {request.list_key: payload}
    if not isinstance(payload, dict):
        raise MeetStreamAPIError(
            f"the answer is not {what}",
            status_code=status,
            body=None if request.secret_answer else replace_forms(text, forms),
            method=request.method,
            path=request.path,
        )
    return payload


def missing_event(
    event_id: str, time_min: Any, time_max: Any, *, listed: int | None = None
) -> MeetStreamEventNotFoundError:
    """
    The error of an event id that the events listing does not hold in its window.

    :param event_id: The event looked for.
    :param time_min: The window's start as asked, None for MeetStream's default.
    :param time_max: The window's end as asked, None for MeetStream's default.
    :param listed: How many other events the listing held.
    """
    start = time_min.isoformat() if isinstance(time_min, datetime) else time_min or "now - 1 day"
    end = time_max.isoformat() if isinstance(time_max, datetime) else time_max or "now + 28 days"
    seen = "" if listed is None else f" with {listed} other event(s) but"
    return MeetStreamEventNotFoundError(
        f"Event {event_id!r} is not among the events MeetStream lists from {start} to {end}: "
        f"GET /calendar/events answered{seen} without it. Check that {event_id!r} is MeetStream's "
        "event id (the id of GET /calendar/events, not Google's or Outlook's), that its calendar "
        "is connected to MeetStream, and that the event, or an occurrence of it, falls in that window",
        status_code=200,
        method="GET",
        path="/calendar/events",
    )
