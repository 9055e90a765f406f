"""Argument checks shared by the hook and the operators; each returns the value as it goes on the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timezone
from typing import Any
from urllib.parse import quote

from airflow_provider_meetstream.constants import MAX_DEDUPLICATION_KEY_LENGTH
from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.recurrence import RecurrenceError, parse_aware_datetime


def non_empty_text(value: Any, argument: str, *, strip: bool = False) -> str:
    """
    Check a non-empty string.

    :param value: The value.
    :param argument: The argument's name, for the error.
    :param strip: Count a string of only white space as empty.
    """
    if not isinstance(value, str) or not (value.strip() if strip else value):
        raise MeetStreamInputError(argument, value, "must be a non-empty string")
    return value


def path_segment(value: Any, argument: str) -> str:
    """
    Check an opaque id and percent-encode it as exactly one path segment.

    ``/``, ``?``, ``#``, spaces and non-ASCII are encoded by ``quote``; an id made only of dots is
    encoded too, because HTTP clients resolve ``.`` and ``..`` segments and would change the path.

    :param value: The id, e.g. an ``event_id`` or a ``bot_id``.
    :param argument: The argument's name, for the error.
    """
    non_empty_text(value, argument, strip=True)
    encoded = quote(value, safe="")
    if set(value) == {"."}:
        encoded = "%2E" * len(value)
    return encoded


def deduplication_key(
    value: Any, argument: str = "deduplication_key", max_length: int = MAX_DEDUPLICATION_KEY_LENGTH
) -> str:
    """
    Check a deduplication key: 1 to 2000 printable characters.

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


def bot_config(value: Any) -> dict[str, Any]:
    """
    Check a ``bot_config``: a JSON-serialisable dict, ``{}`` when None.

    :param value: The bot configuration.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MeetStreamInputError("bot_config", value, f"must be a dict, not {type(value).__name__}")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as err:
        raise MeetStreamInputError("bot_config", value, f"must be JSON-serialisable ({err})") from None
    return value


def iso_datetime(value: Any, argument: str) -> str:
    """
    Check an aware datetime (or ISO 8601 string with an offset) and render it as ISO 8601 in UTC.

    :param value: The instant.
    :param argument: The argument's name, for the error.
    """
    with recurrence_errors():
        moment = parse_aware_datetime(value, argument)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@contextmanager
def recurrence_errors() -> Iterator[None]:
    """
    Turn the recurrence module's ``RecurrenceError`` into ``MeetStreamInputError``.

    The recurrence module imports nothing from Airflow, so it cannot raise the provider's error
    itself; the argument's name and value are kept, so the message reads the same.
    """
    try:
        yield
    except RecurrenceError as err:
        raise MeetStreamInputError(err.argument, err.value, err.reason) from err


def optional_iso_datetime(value: Any, argument: str) -> str | None:
    """Like :func:`iso_datetime`, passing None through."""
    return None if value is None else iso_datetime(value, argument)


def bounded_int(value: Any, argument: str, low: int, high: int) -> int:
    """
    Check an int within ``low..high``; a bool is refused although Python counts it as an int.

    :param value: The number.
    :param argument: The argument's name, for the error.
    :param low: The smallest allowed value.
    :param high: The largest allowed value.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise MeetStreamInputError(argument, value, f"must be an int from {low} to {high}")
    if not low <= value <= high:
        raise MeetStreamInputError(argument, value, f"must be from {low} to {high}")
    return value


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


def is_templated(value: Any) -> bool:
    """
    Tell whether an operator argument is still a template, to be checked at execute time instead.

    :param value: An operator argument as given to ``__init__``.
    """
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    # XComArg, MappedArgument and the like resolve later; they are never plain data.
    return hasattr(value, "resolve")


def check_now(value: Any, check: Any, *args: Any) -> None:
    """
    Run ``check(value, *args)`` unless ``value`` is None or still a template.

    Operators call this in ``__init__`` so a literal mistake fails at DAG parse time, and again in
    ``execute`` once templates are rendered.
    """
    if value is not None and not is_templated(value):
        check(value, *args)
