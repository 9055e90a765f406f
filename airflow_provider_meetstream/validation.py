"""Argument checks shared by the hook and the operators; each returns the value as it goes on the wire."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from airflow_provider_meetstream.constants import (
    MAX_DEDUPLICATION_KEY_LENGTH,
    MAX_ID_LENGTH,
    MAX_JSON_DEPTH,
    MAX_OCCURRENCE_LIMIT,
    MAX_URL_LENGTH,
)
from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.shapes import depth_within
from airflow_provider_meetstream.templating import rendered_data

# The recurrence engine is imported where it is used: the trigger modules import this module on
# the triggerer's event loop, where every millisecond counts.


def non_empty_text(value: Any, argument: str, *, strip: bool = False) -> str:
    """
    Check a non-empty string that UTF-8 can carry (no lone surrogates).

    :param value: The value.
    :param argument: The argument's name, for the error.
    :param strip: Count a string of only white space as empty.
    """
    if not isinstance(value, str) or not (value.strip() if strip else value):
        raise MeetStreamInputError(argument, value, "must be a non-empty string")
    if not _utf8(value):
        raise MeetStreamInputError(argument, value, "must be valid Unicode (it holds a lone surrogate)")
    return value


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: Percent-encoded like any other character, so they cannot break the request line or a header.
_ID_WHITE_SPACE = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def path_segment(value: Any, argument: str) -> str:
    """
    Check an opaque id and percent-encode it as exactly one path segment.

    ``/``, ``?``, ``#``, spaces, line breaks and non-ASCII are encoded by ``quote``; an id made only
    of dots is encoded too, because HTTP clients resolve ``.`` and ``..`` segments and would change
    the path. Tabs and line breaks are allowed (ids are opaque, and one copied from a calendar may
    carry a folded line); other control characters are refused.

    :param value: The id, e.g. an ``event_id`` or a ``bot_id``.
    :param argument: The argument's name, for the error.
    """
    non_empty_text(value, argument, strip=True)
    if not value.translate(_ID_WHITE_SPACE).isprintable():
        raise MeetStreamInputError(
            argument, value, "must contain printable characters only (tabs and line breaks allowed)"
        )
    if len(value) > MAX_ID_LENGTH:
        raise MeetStreamInputError(
            argument, value, f"is {len(value)} characters long; at most {MAX_ID_LENGTH}"
        )
    encoded = quote(value, safe="")
    if set(value) == {"."}:
        encoded = "%2E" * len(value)
    return encoded


def deduplication_key(
    value: Any, argument: str = "deduplication_key", max_length: int = MAX_DEDUPLICATION_KEY_LENGTH
) -> str:
    """
    Check a deduplication key: printable characters, at most MeetStream's limit on one.

    :param value: The key.
    :param argument: The argument's name, for the error.
    :param max_length: A lower limit, for a key that gets a suffix appended.
    """
    key = non_empty_text(value, argument)
    if len(key) > max_length:
        raise MeetStreamInputError(argument, key, f"is {len(key)} characters long; at most {max_length}")
    if not key.isprintable():
        raise MeetStreamInputError(argument, key, "must contain printable characters only")
    return key


def http_url(value: Any, argument: str, max_length: int = MAX_URL_LENGTH) -> str:
    """
    Check an absolute ``http(s)`` URL with a host, such as a ``meeting_link``.

    :param value: The URL.
    :param argument: The argument's name, for the error.
    :param max_length: The longest URL accepted, in characters.
    """
    url = non_empty_text(value, argument, strip=True)
    if len(url) > max_length:
        raise MeetStreamInputError(argument, url, f"is {len(url)} characters long; at most {max_length}")
    if not url.isprintable() or any(char.isspace() for char in url):
        raise MeetStreamInputError(argument, url, "must contain printable characters and no white space")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise MeetStreamInputError(argument, url, "must be an http:// or https:// URL with a host")
    return url


def header_value(value: Any, argument: str, max_length: int) -> str:
    """
    Check a value sent as an HTTP header: 1 to ``max_length`` printable ASCII characters.

    Only ASCII: ``requests`` sends a header as Latin-1 and ``httpx`` as ASCII, so anything else
    would fail inside one of them, after the task had started. No white space at either end,
    which ``requests`` refuses.

    :param value: The value, e.g. an ``idempotency_key``.
    :param argument: The argument's name, for the error.
    :param max_length: The longest value accepted.
    """
    text = non_empty_text(value, argument, strip=True)
    if len(text) > max_length:
        raise MeetStreamInputError(argument, text, f"is {len(text)} characters long; at most {max_length}")
    if not (text.isascii() and text.isprintable()) or text != text.strip():
        raise MeetStreamInputError(
            argument, text, "must be printable ASCII, with no white space at either end"
        )
    return text


def bot_config(value: Any) -> dict[str, Any]:
    """
    Check a ``bot_config``: a JSON object (see :func:`json_object`), ``{}`` when None.

    :param value: The bot configuration.
    """
    return {} if value is None else json_object(value, "bot_config")


def create_bot_config(value: Any) -> dict[str, Any]:
    """
    Check the ``bot_config`` of ``POST /bots/create_bot``: its fields go beside ``meeting_link``.

    A ``join_at`` must be an aware instant (a datetime or ISO 8601 with an offset) and goes out in
    UTC; the rest is a JSON object (see :func:`json_object`) without its own ``meeting_link``.

    :param value: The bot configuration; ``{}`` when None.
    """
    if isinstance(value, dict) and value.get("join_at") is not None:
        value = {**value, "join_at": iso_datetime(value["join_at"], "join_at")}
    config = bot_config(value)
    if "meeting_link" in config:
        raise MeetStreamInputError("bot_config", config, "must not hold meeting_link; pass it on its own")
    return config


def json_object(value: Any, argument: str) -> dict[str, Any]:
    """
    Check a dict that goes on the wire as strict JSON: finite numbers, no sets, not nested too deep.

    ``NaN`` and infinities are not JSON, sets and other objects do not serialise, and very deep
    nesting overflows the encoder's recursion: each would fail inside the HTTP library, after
    the task had started, instead of here.

    :param value: The dict, e.g. a ``bot_config`` or ``custom_attributes``.
    :param argument: The argument's name, for the error.
    """
    if not isinstance(value, dict):
        raise MeetStreamInputError(argument, value, f"must be a dict, not {type(value).__name__}")
    if not depth_within(value, MAX_JSON_DEPTH):
        raise MeetStreamInputError(argument, value, f"is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, TypeError, RecursionError) as err:
        # UnicodeEncodeError (a lone surrogate) is a ValueError.
        raise MeetStreamInputError(argument, value, f"must be JSON-serialisable ({str(err)[:200]})") from None
    return value


def aware_datetime(value: Any, argument: str) -> datetime:
    """
    Read an instant: an aware datetime, or an ISO 8601 string with an offset, kept in its own zone.

    :param value: The instant.
    :param argument: The argument's name, for the error.
    """
    from airflow_provider_meetstream.recurrence import parse_aware_datetime

    with recurrence_errors():
        return parse_aware_datetime(value, argument)


def iso_datetime(value: Any, argument: str) -> str:
    """
    Check an instant (see :func:`aware_datetime`) and render it as ISO 8601 in UTC.

    :param value: The instant.
    :param argument: The argument's name, for the error.
    """
    moment = aware_datetime(value, argument)
    try:
        in_utc = moment.astimezone(timezone.utc)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is before year 1 in UTC, 9999-12-31T23:59-01:00 after 9999.
        raise MeetStreamInputError(argument, value, "is outside the years 1 to 9999 once in UTC") from None
    return in_utc.isoformat().replace("+00:00", "Z")


@contextmanager
def recurrence_errors() -> Iterator[None]:
    """
    Turn the recurrence module's ``RecurrenceError`` into ``MeetStreamInputError``.

    The recurrence module imports nothing from Airflow, so it cannot raise the provider's error
    itself; the argument's name and value are kept, so the message reads the same.
    """
    from airflow_provider_meetstream.recurrence import RecurrenceError

    try:
        yield
    except RecurrenceError as err:
        raise MeetStreamInputError(err.argument, err.value, err.reason) from err


def optional_iso_datetime(value: Any, argument: str) -> str | None:
    """Like :func:`iso_datetime`, passing None through."""
    return None if value is None else iso_datetime(value, argument)


def integer(value: Any, argument: str, low: int, high: int, *, rendered: bool = False) -> int:
    """
    Read an int within ``low..high``; a bool is refused although Python counts it as an int.

    :param value: The number.
    :param argument: The argument's name, for the error.
    :param low: The smallest allowed value.
    :param high: The largest allowed value.
    :param rendered: Also read a string of digits: a templated field or a connection extra, which
        arrive as text unless the DAG renders native objects.
    """
    if rendered and isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MeetStreamInputError(argument, value, f"must be an int from {low} to {high}")
    if not low <= value <= high:
        raise MeetStreamInputError(argument, value, f"must be from {low} to {high}")
    return value


def occurrence_limit(value: Any) -> int:
    """
    Read an ``occurrence_limit``, literal or rendered: from 1 to MeetStream's largest.

    :param value: The limit.
    """
    return integer(value, "occurrence_limit", 1, MAX_OCCURRENCE_LIMIT, rendered=True)


def seconds(
    value: Any,
    argument: str,
    low: float,
    high: float,
    *,
    above_low: bool = False,
    rendered: bool = False,
    durations: bool = False,
) -> float:
    """
    Read a number of seconds within ``low..high``; a bool, NaN and infinities are refused.

    :param value: The number of seconds.
    :param argument: The argument's name, for the error.
    :param low: The shortest allowed.
    :param high: The longest allowed.
    :param above_low: Refuse ``low`` itself: the value must be above it.
    :param rendered: Also read a numeric string: a templated field or a connection extra.
    :param durations: Also read a ``timedelta``.
    """
    number = float("nan")
    if durations and isinstance(value, timedelta):
        number = value.total_seconds()
    elif (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
        rendered and isinstance(value, str)
    ):
        # NaN fails every comparison below, so what float() refuses is refused with it.
        with suppress(ValueError, OverflowError):
            number = float(value)
    if not (low < number if above_low else low <= number) or not number <= high:
        kind = "a timedelta or a number of seconds" if durations else "a number of seconds"
        bound = "above" if above_low else "at least"
        raise MeetStreamInputError(
            argument, value, f"must be {kind}, {bound} {low:g} and at most {_span(high)}"
        )
    return number


def _span(seconds: float) -> str:
    days, rest = divmod(seconds, 86400)
    return f"{days:g} days" if days > 1 and not rest else f"{seconds:g}"


def bot_ids(value: Any, argument: str = "bot_ids") -> tuple[str, ...] | None:
    """
    Read bot ids: one id, a list of ids, an upstream XCom with ``bot_id``, or a list of those XComs.

    Lists and XComs come as they are (``task.output``, ``task.output["bot_ids"]``, mapped outputs);
    a rendered string is one id, or JSON (:func:`rendered_data`). Each id is checked as a path segment.

    :param value: The ids; None means any bot.
    :param argument: The argument's name, for the error.
    """
    if value is None:
        return None
    value = rendered_data(
        value, argument, 'schedule.output, or sync.output["bot_ids"] of a task with multiple_outputs=True'
    )
    if isinstance(value, str):
        value = value.strip()
    items = (
        [value] if isinstance(value, (str, dict)) else list(value) if isinstance(value, Iterable) else [value]
    )
    ids = [item.get("bot_id") if isinstance(item, dict) else item for item in items]
    valid = [bot_id for bot_id in ids if isinstance(bot_id, str) and _looks_like_an_id(bot_id)]
    if not ids or len(valid) != len(ids):
        raise MeetStreamInputError(argument, value, "must be bot ids, or ScheduleEventOperator results")
    for bot_id in valid:
        path_segment(bot_id, argument)
    return tuple(valid)


def _looks_like_an_id(text: str) -> bool:
    # A template that rendered "None" or a Python repr is a mistake upstream, never a bot id.
    return bool(text) and text != "None" and not any(char.isspace() or char in "[](){}'\"" for char in text)


def optional_bool(value: Any, argument: str) -> bool | None:
    """Check a flag: a bool or None."""
    if value is not None and not isinstance(value, bool):
        raise MeetStreamInputError(argument, value, "must be a bool")
    return value


def one_of(value: Any, argument: str, choices: tuple[str, ...]) -> str:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        raise MeetStreamInputError(argument, value, f"must be one of {', '.join(map(repr, choices))}")
    return str(value)
