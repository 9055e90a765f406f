"""
Validation of API inputs (bodies, query values, cursors) into typed values; errors are ``ApiError``.

Clients are held to MeetStream's contract: a bad value is a 400 naming the field, ``null`` for an optional
field is a 400 too (the contract says clients leave it out), unknown top-level fields are ignored
(``create_bot`` keeps them in the bot's config), and an instant (``occurrence_date``, ``join_at``,
``from_date``, ``scheduled_join_time``, ``time_min``, ``time_max``) needs an offset, ``Z`` or ``+02:00``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from meetstream_emulator.calendar import CalendarError, format_instant, parse_instant
from meetstream_emulator.recurrence import MAX_OCCURRENCE_LIMIT
from meetstream_emulator.signing import sign, unsign

DEFAULT_OCCURRENCE_LIMIT = 52
MAX_DEDUPLICATION_KEY_LENGTH = 2000
MAX_IDEMPOTENCY_KEY = 255
CREATE_BOT_TEXT_FIELDS = ("bot_name", "bot_message", "bot_image_url", "callback_url")
CREATE_BOT_OBJECT_FIELDS = ("recording_config", "custom_attributes", "automatic_leave")


class ApiError(Exception):
    """
    An error the API answers with: an HTTP status and a ``{"message": ...}`` body.

    :param status: The HTTP status code.
    :param message: The human-readable message.
    :param extra: More body fields, e.g. ``bot_id`` on a 409.
    """

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"message": self.message, **self.extra}


#: Checks one setting's new value and returns it as stored: ``check(value, name)``.
SettingCheck = Callable[[Any, str], Any]


def checked_settings(
    current: Mapping[str, Any],
    changes: Mapping[str, Any],
    checks: Mapping[str, SettingCheck],
    *,
    clearable: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """
    A model's settings with ``changes`` applied, each checked; the current ones are left as they are.

    :param current: The settings now.
    :param changes: New values by name; None leaves a setting as it is, or clears a ``clearable`` one.
    :param checks: The check of each setting the model has.
    :param clearable: Settings that None clears.
    :raises ApiError: 400 naming the setting.
    """
    settings = dict(current)
    for name, value in changes.items():
        if name not in checks:
            raise ApiError(400, f"Unknown setting {name!r}.")
        if value is None and name not in clearable:
            continue
        settings[name] = None if value is None else checks[name](value, name)
    return settings


def whole_number(minimum: int) -> SettingCheck:
    """A check of an integer setting at least ``minimum``."""

    def check(value: Any, name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ApiError(400, f"{name} must be an integer >= {minimum}.")
        return value

    return check


def seconds(value: Any, name: str) -> float:
    """Check a duration setting: a number of seconds >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ApiError(400, f"{name} must be a number >= 0.")
    return value


def one_of(choices: tuple[str, ...]) -> SettingCheck:
    """A check of a setting that takes one of ``choices``."""

    def check(value: Any, name: str) -> str:
        if value not in choices:
            raise ApiError(400, f"{name} must be one of {list(choices)}, got {value!r}.")
        return str(value)

    return check


@dataclass
class ScheduleRequest:
    """A validated ``POST /calendar/schedule/{event_id}`` body."""

    deduplication_key: str
    bot_config: dict[str, Any]
    join_at: datetime | None
    occurrence_date: datetime | None
    schedule_all_occurrences: bool
    occurrence_limit: int
    recurring_event: bool | None


def parse_limit(raw: str | None, *, default: int, maximum: int = 100) -> int:
    """
    Parse a ``limit`` query parameter.

    :param raw: The query string value, or None when absent.
    :param default: The value when absent.
    :param maximum: The largest accepted value.
    """
    if raw is None:
        return default
    # ASCII digits only: int() would also take " 5", "+5" and other scripts' digits (U+0665).
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, f"limit must be an integer between 1 and {maximum}, got {raw!r}.")
    return int(raw)


def optional_field(body: dict[str, Any], name: str) -> Any:
    """
    A field of a request body, None when absent; an explicit null is refused.

    :param body: The decoded JSON object.
    :param name: The field's name.
    """
    # The contract says clients never send null; the emulator holds them to it.
    if name in body and body[name] is None:
        raise ApiError(400, f"{name} must not be null; leave the field out instead.")
    return body.get(name)


def optional_bool(body: dict[str, Any], name: str) -> bool | None:
    """
    A boolean field of a request body, None when absent.

    :param body: The decoded JSON object.
    :param name: The field's name.
    """
    value = optional_field(body, name)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f"{name} must be a boolean.")
    return value


def instant(value: Any, name: str) -> datetime:
    """
    An ISO 8601 date-time with an offset, in UTC; a 400 otherwise.

    Any offset names one instant: ``09:00-05:00`` and ``14:00Z`` are the same.

    :param value: The raw value.
    :param name: The field's name, for the message.
    """
    try:
        return parse_instant(value, name)
    except CalendarError as exc:
        raise ApiError(400, str(exc)) from None


def parse_schedule_request(body: dict[str, Any]) -> ScheduleRequest:
    """
    Validate a schedule body; unknown top-level fields are ignored, unknown bot_config fields kept.

    ``deduplication_key`` is required: 1 to 2000 printable characters (spaces and non-ASCII are fine, tabs
    and line breaks are not). ``bot_config`` is a required object (``{}`` will do) whose ``bot_name`` and
    ``meeting_url`` are strings, ``custom_attributes`` an object and ``join_at`` an instant; it is kept with
    ``deduplication_key`` added. ``occurrence_limit`` is an integer >= 1 (default 52), capped at 1000.
    ``schedule_all_occurrences`` cannot be combined with ``occurrence_date`` or ``bot_config.join_at``.

    :param body: The decoded JSON object.
    """
    key = optional_field(body, "deduplication_key")
    if key is None:
        raise ApiError(400, "deduplication_key is required.")
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_DEDUPLICATION_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            400, f"deduplication_key must be 1 to {MAX_DEDUPLICATION_KEY_LENGTH} printable characters."
        )
    config = optional_field(body, "bot_config")
    if config is None:
        raise ApiError(400, "bot_config is required (send {} for the defaults).")
    if not isinstance(config, dict):
        raise ApiError(400, "bot_config must be an object.")
    for name, kind, label in (
        ("bot_name", str, "a string"),
        ("meeting_url", str, "a string"),
        ("custom_attributes", dict, "an object"),
    ):
        if name in config and not isinstance(config[name], kind):
            raise ApiError(400, f"bot_config.{name} must be {label}.")
    join_at = instant(config["join_at"], "bot_config.join_at") if "join_at" in config else None
    occurrence = optional_field(body, "occurrence_date")
    limit = optional_field(body, "occurrence_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ApiError(400, "occurrence_limit must be an integer >= 1.")
    request = ScheduleRequest(
        deduplication_key=key,
        bot_config=dict(config),
        join_at=join_at,
        occurrence_date=None if occurrence is None else instant(occurrence, "occurrence_date"),
        schedule_all_occurrences=bool(optional_bool(body, "schedule_all_occurrences")),
        occurrence_limit=min(limit or DEFAULT_OCCURRENCE_LIMIT, MAX_OCCURRENCE_LIMIT),
        recurring_event=optional_bool(body, "recurring_event"),
    )
    if request.schedule_all_occurrences and request.occurrence_date is not None:
        raise ApiError(400, "occurrence_date and schedule_all_occurrences cannot be combined.")
    if request.schedule_all_occurrences and request.join_at is not None:
        raise ApiError(400, "bot_config.join_at cannot be combined with schedule_all_occurrences.")
    return request


@dataclass
class CreateBotRequest:
    """A validated ``POST /bots/create_bot``: the body, less the link, is the bot's config."""

    meeting_link: str
    config: dict[str, Any]
    join_at: datetime | None
    idempotency_key: str | None


def parse_create_bot(body: dict[str, Any], headers: Mapping[str, str]) -> CreateBotRequest:
    """
    Validate a create-bot request; fields the emulator does not know are kept in the config.

    ``meeting_link`` is required, an http(s) URL with a host; ``bot_name``, ``bot_message``,
    ``bot_image_url`` and ``callback_url`` are strings, ``recording_config``, ``custom_attributes`` and
    ``automatic_leave`` objects, ``join_at`` an instant, and no field is null. An ``Idempotency-Key`` is 1 to
    255 visible ASCII characters (no spaces).

    :param body: The decoded JSON object.
    :param headers: The request headers, lower-case names (``idempotency-key``).
    """
    link = body.get("meeting_link")
    if not isinstance(link, str) or not link.strip():
        raise ApiError(400, "meeting_link is required and must be a non-empty string.")
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(400, f"meeting_link must be an http(s) URL, got {link!r}.")
    config = {name: value for name, value in body.items() if name != "meeting_link"}
    for name, value in config.items():
        if value is None:
            raise ApiError(400, f"{name} must not be null; leave it out instead.")
    for name in CREATE_BOT_TEXT_FIELDS:
        if name in config and not isinstance(config[name], str):
            raise ApiError(400, f"{name} must be a string.")
    for name in CREATE_BOT_OBJECT_FIELDS:
        if name in config and not isinstance(config[name], dict):
            raise ApiError(400, f"{name} must be an object.")
    join_at = instant(config["join_at"], "join_at") if "join_at" in config else None
    key = headers.get("idempotency-key")
    visible = key is not None and all(33 <= ord(c) <= 126 for c in key)
    if key is not None and not (visible and 1 <= len(key) <= MAX_IDEMPOTENCY_KEY):
        raise ApiError(400, f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters.")
    return CreateBotRequest(link.strip(), config, join_at, key)


@dataclass(frozen=True)
class Cursor:
    """
    A position in a ``GET /calendar/events`` listing: the window it belongs to and a keyset anchor.

    :param time_min: The window's start.
    :param time_max: The window's end.
    :param calendar_id: The calendar filter, or None.
    :param direction: ``next`` (the events after ``key``) or ``previous`` (the events before it).
    :param key: ``(start_time, id)`` of the event the page starts after, or ends before.
    """

    time_min: datetime
    time_max: datetime
    calendar_id: str | None
    direction: str
    key: tuple[datetime, str]


CURSOR_DIRECTIONS = ("next", "previous")
BAD_CURSOR = "cursor is not a cursor this server issued."


def encode_cursor(cursor: Cursor, secret: bytes) -> str:
    """
    An opaque cursor, signed (see :mod:`~meetstream_emulator.signing`) so that a forged one is refused.

    :param cursor: The position to encode.
    :param secret: The signing key of this emulator.
    """
    return sign(
        {
            "time_min": format_instant(cursor.time_min),
            "time_max": format_instant(cursor.time_max),
            "calendar_id": cursor.calendar_id,
            "direction": cursor.direction,
            "key": [format_instant(cursor.key[0]), cursor.key[1]],
        },
        secret,
    )


def decode_cursor(text: str, secret: bytes) -> Cursor:
    """
    The position of a cursor issued by :func:`encode_cursor` with the same secret; a 400 for anything else.

    A malformed or altered cursor is refused, and so is another emulator's, a restarted one's included.

    :param text: The ``cursor`` query value.
    :param secret: The signing key of this emulator.
    """
    try:
        fields = unsign(text, secret)
        key = fields["key"]
        calendar_id = fields["calendar_id"]
        if (
            fields["direction"] not in CURSOR_DIRECTIONS
            or not (isinstance(key, list) and len(key) == 2 and isinstance(key[1], str))
            or not (calendar_id is None or isinstance(calendar_id, str))
        ):
            raise ValueError
        return Cursor(
            time_min=parse_instant(fields["time_min"], "time_min"),
            time_max=parse_instant(fields["time_max"], "time_max"),
            calendar_id=calendar_id,
            direction=fields["direction"],
            key=(parse_instant(key[0], "key"), key[1]),
        )
    except (ValueError, TypeError, KeyError):
        raise ApiError(400, BAD_CURSOR) from None
