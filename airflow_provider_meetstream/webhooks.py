"""Check that a webhook delivery really comes from MeetStream, for DAGs that receive them elsewhere.

Polling (the provider's triggers and the hourly harvest) stays the default: by MeetStream's own
guides a delivery answered with anything but a 2xx is not retried, so a webhook is a hint that can
start work early, never the only record. Verify the raw body first, then parse it::

    def receive(body: bytes, headers: dict[str, str]) -> int:
        if not verify_webhook(body, headers, secret):
            return 401  # forged, altered or stale: drop it
        queue.put(json.loads(body))  # e.g. a queue that a MessageQueueTrigger reads
        return 204
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import sys
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.exceptions import MeetStreamInputError

SIGNATURE_HEADER = "X-MeetStream-Signature"
TIMESTAMP_HEADER = "X-MeetStream-Timestamp"

#: Shown instead of a secret that is set but unusable: its value never reaches an error or a log.
_HIDDEN = "***"
_HEX_DIGITS = frozenset("0123456789abcdef")
_EPOCH_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def verify_webhook(
    body: bytes | bytearray | memoryview | str,
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]],
    secret: str | bytes,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """
    Whether a delivery carries MeetStream's signature of its body and, when stamped, is recent.

    The signature is HMAC-SHA256 of the raw body with the workspace's webhook secret, in hex, bare
    or as ``sha256=<hex>``, compared in constant time. It covers the body only, so the timestamp
    refuses a stale delivery (one that waited on a queue) but cannot stop a deliberate replay:
    deduplicate on the event's id for that. Whatever the sender controls (a missing, malformed or
    wrong signature, a bad or distant timestamp, a header repeated with different values) returns
    False; only the caller's own mistakes raise.

    :param body: The request body exactly as received: bytes, or a str (encoded as UTF-8).
        Never a parsed and re-serialised payload, whose bytes differ.
    :param headers: The request's headers, names in any case: a mapping, or ``(name, value)``
        pairs as ASGI gives them (bytes are read as Latin-1).
    :param secret: The webhook signing secret, a str (UTF-8) or bytes.
    :param tolerance: How many seconds ``X-MeetStream-Timestamp`` may be from ``now``, either way;
        a delivery without that header is not checked against the clock.
    :param now: The current time in epoch seconds, for tests; ``time.time()`` when None.
    :raises MeetStreamInputError: ``body`` is not bytes or str, ``secret`` is empty or not str or
        bytes, ``tolerance`` is negative or not finite, or ``headers`` cannot be read.
    """
    if isinstance(body, str):
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:
            return False  # no bytes on the wire decode to a lone surrogate
    elif isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
    else:
        raise MeetStreamInputError(
            "body",
            type(body).__name__,
            "must be the raw request body as received (bytes or str); re-serialising a parsed "
            "payload changes its bytes, and the signature never matches",
        )
    key = _key(secret)
    tolerance = validation.seconds(tolerance, "tolerance", 0, sys.float_info.max)
    clock = time.time() if now is None else validation.seconds(now, "now", 0, sys.float_info.max)
    signatures = _values(headers, SIGNATURE_HEADER)
    stamps = _values(headers, TIMESTAMP_HEADER)
    if len(signatures) != 1 or len(stamps) > 1:
        return False  # missing, or repeated with different values: refused rather than guessed
    for stamp in stamps:
        if not _EPOCH_SECONDS.fullmatch(stamp):
            return False
        sent = float(stamp)
        if not math.isfinite(sent) or abs(clock - sent) > tolerance:
            return False
    candidate = signatures.pop().lower().removeprefix("sha256=")
    if len(candidate) != 64 or not _HEX_DIGITS.issuperset(candidate):
        return False
    expected = hmac.new(key, raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, candidate)


def _key(secret: object) -> bytes:
    key = bytes(secret) if isinstance(secret, (bytes, bytearray)) else b""
    # Refused below, outside the handler: the codec's error would carry the whole text.
    with suppress(UnicodeEncodeError):
        key = secret.encode("utf-8") if isinstance(secret, str) else key
    if not key:
        empty = secret is None or (isinstance(secret, (str, bytes, bytearray)) and len(secret) == 0)
        raise MeetStreamInputError(
            "secret",
            secret if empty else _HIDDEN,
            "must be the webhook signing secret: a non-empty str (valid UTF-8) or bytes",
        )
    return key


def _values(headers: Any, name: str) -> set[str]:
    """The distinct values of one header, stripped: none when absent, several when they differ."""
    wanted = name.lower()
    found: set[str] = set()
    try:
        # Duck-typed: werkzeug's, Starlette's and http.client's headers all give every pair by items().
        items = getattr(headers, "items", None)
        for key, value in items() if callable(items) else headers:
            if _text(key).lower() == wanted:
                found.add(_text(value).strip())
    except (TypeError, ValueError):
        raise MeetStreamInputError(
            "headers", type(headers).__name__, "must be a mapping of names to values, or (name, value) pairs"
        ) from None
    return found


def _text(item: object) -> str:
    if isinstance(item, bytes):
        return item.decode("latin-1")
    if not isinstance(item, str):
        raise TypeError(type(item).__name__)
    return item
