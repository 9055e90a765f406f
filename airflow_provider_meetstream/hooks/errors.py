"""How MeetStream's answers become results or typed errors: status mapping, retry classification, decoding."""

from __future__ import annotations

import email.utils
import json
import math
import ssl
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

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
from airflow_provider_meetstream.hooks.scrub import replace_forms, replace_forms_in, scrub, secret_forms

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.builders import ApiRequest

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
    answer = decode_json(
        status, text, method=request.method, path=request.path, forms=forms, list_key=request.list_key
    )
    try:
        scrubbed: dict[str, Any] = replace_forms_in(answer, forms)
    except RecursionError:
        raise _malformed("the answer is nested too deeply", request, status) from None
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


def decode_json(
    status: int,
    text: str,
    *,
    method: str,
    path: str,
    forms: tuple[str, ...] = (),
    list_key: str | None = None,
) -> dict[str, Any]:
    """
    Decode a success body; an empty one is ``{}``, a list one ``{list_key: [...]}`` when allowed.

    :param status: The HTTP status, for the error.
    :param text: The body.
    :param method: The request's method, for the error.
    :param path: The request's path, for the error.
    :param forms: The API key's forms (:func:`secret_forms`), scrubbed from an error's body.
    :param list_key: The field a JSON list answer is returned under; None refuses a list.
    """
    if not text.strip():
        return {}
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise MeetStreamAPIError(
            "the answer is not JSON",
            status_code=status,
            body=replace_forms(text, forms),
            method=method,
            path=path,
        ) from None
    if list_key is not None and isinstance(payload, list):
        return {list_key: payload}
    if not isinstance(payload, dict):
        raise MeetStreamAPIError(
            "the answer is not a JSON object",
            status_code=status,
            body=replace_forms(text, forms),
            method=method,
            path=path,
        )
    return payload


def _malformed(
    message: str, request: ApiRequest, status: int = 200, body: str | None = None
) -> MeetStreamAPIError:
    return MeetStreamAPIError(
        message, status_code=status, body=body, method=request.method, path=request.path
    )


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
        raise _malformed(f"the answer's {key!r} is not a list of objects", request, body=json.dumps(payload))
    return items


def listed_bots(payload: dict[str, Any], request: ApiRequest) -> list[dict[str, Any]]:
    """
    Read ``scheduled_bots`` from an answer; each bot must name itself with a non-empty string.

    :param payload: The decoded answer of ``GET /calendar/scheduled``.
    :param request: The request answered, for the error.
    """
    bots = list_of_objects(payload, "scheduled_bots", request)
    for bot in bots:
        _require_text(bot, "bot_id", request, "a listed bot's")
    return bots


def scheduled_answer(answer: dict[str, Any], request: ApiRequest) -> dict[str, Any]:
    """
    Check that a schedule answer names its bot (and its schedule, when it does) by non-empty strings.

    Without a bot id nothing downstream can wait for the bot; an id that is a number or a list
    would reach XComs and sensors as something no endpoint accepts.

    :param answer: The decoded answer of ``POST /calendar/schedule/{event_id}``.
    :param request: The request answered, for the error.
    """
    if answer.get("bot_id") in (None, ""):
        raise _malformed("the answer names no bot_id", request, body=json.dumps(answer))
    _require_text(answer, "bot_id", request, "the answer's")
    if "schedule_id" in answer:
        _require_text(answer, "schedule_id", request, "the answer's")
    return answer


def status_answer(answer: dict[str, Any], request: ApiRequest) -> dict[str, Any]:
    """
    Check that a status answer carries its ``status`` as a non-empty string.

    :param answer: The decoded answer of ``GET /bots/{bot_id}/status``.
    :param request: The request answered, for the error.
    """
    _require_text(answer, "status", request, "the answer's")
    return answer


def _require_text(item: dict[str, Any], name: str, request: ApiRequest, whose: str) -> None:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise _malformed(
            f"{whose} {name} {value!r} is not a non-empty string", request, body=json.dumps(item)
        )


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
