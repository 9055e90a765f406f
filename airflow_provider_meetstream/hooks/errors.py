"""How MeetStream's answers become results or typed errors: status mapping, retry classification, decoding."""

from __future__ import annotations

import email.utils
import json
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
    MeetStreamNotFoundError,
    MeetStreamRateLimitError,
    MeetStreamServerError,
)

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


def handle_answer(
    status: int, headers: Mapping[str, str], text: str, request: ApiRequest, secret: str
) -> dict[str, Any]:
    """
    Decode a 2xx answer, or raise: :class:`RetryableAnswer` when another attempt may help.

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
            raise RetryableAnswer(error, parse_retry_after(headers.get("retry-after")))
        raise error
    return decode_json(status, text, method=request.method, path=request.path)


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
        return TransportFailure(reason)
    return MeetStreamConnectionError(f"MeetStream {request.method} {request.path} failed: {reason}")


def final_error(failure: Exception, request: ApiRequest, attempts: int) -> MeetStreamError:
    """Turn the last retryable failure into the typed error the caller sees."""
    if isinstance(failure, RetryableAnswer):
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


def scheduled_answer(answer: dict[str, Any], request: ApiRequest) -> dict[str, Any]:
    """
    Check that a schedule answer names its bot; without one, nothing downstream can wait for it.

    :param answer: The decoded answer of ``POST /calendar/schedule/{event_id}``.
    :param request: The request answered, for the error.
    """
    if not answer.get("bot_id"):
        raise MeetStreamAPIError(
            "the answer names no bot_id",
            status_code=200,
            body=json.dumps(answer),
            method=request.method,
            path=request.path,
        )
    return answer
