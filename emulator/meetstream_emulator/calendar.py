"""Calendar events for the emulator: JSON loading, relative dates, and instant parsing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from meetstream_emulator.recurrence import raw_recurrence, raw_timezone

DEMO_CALENDAR = "demo_calendar.json"

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")
_OFFSET = re.compile(r"^([+-])(\d+)(min|h|d|w)$")
_SNAP = re.compile(r"^(>=|<=|>|<)(MO|TU|WE|TH|FR|SA|SU)$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_UNITS = {
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


class CalendarError(ValueError):
    """A calendar file, an event, or a relative date that cannot be understood."""


def parse_instant(value: object, name: str) -> datetime:
    """
    Parse an ISO 8601 date-time that carries a UTC offset, and return it in UTC.

    :param value: The value from a request body, a query string or a calendar file.
    :param name: The field's name, for the error message.
    """
    if not isinstance(value, str) or not value.strip():
        raise CalendarError(f"{name} must be an ISO 8601 date-time with a UTC offset.")
    text = value.strip()
    # Python 3.10's fromisoformat does not know the "Z" suffix.
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise CalendarError(f"{name} must be an ISO 8601 date-time with a UTC offset: {value!r}.") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise CalendarError(f"{name} must carry a UTC offset (e.g. 'Z' or '+02:00'): {value!r}.")
    return parsed.astimezone(timezone.utc)


def format_instant(value: datetime) -> str:
    """Render an aware datetime as ISO 8601 in UTC with an explicit ``+00:00`` offset."""
    return value.astimezone(timezone.utc).isoformat()


def iso_or_none(value: datetime | None) -> str | None:
    """An instant as the API writes it, or None."""
    return None if value is None else format_instant(value)


def meeting_platform(url: str | None) -> str | None:
    """
    Name the meeting platform of a URL the way MeetStream names schedule groups.

    By the URL's host: ``zoom.us`` (and its subdomains), ``meet.google.com``, ``teams.microsoft.com`` or
    ``teams.live.com``; a schedule or bot whose URL is none of these is in the group ``default``.

    :param url: A meeting URL, or None.
    :return: ``zoom``, ``google_meet``, ``microsoft_teams``, or None for anything else.
    """
    if not url:
        return None
    from urllib.parse import urlsplit

    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()

    def on(domain: str) -> bool:
        return host == domain or host.endswith(f".{domain}")

    if on("zoom.us"):
        return "zoom"
    if on("meet.google.com"):
        return "google_meet"
    if on("teams.microsoft.com") or on("teams.live.com"):
        return "microsoft_teams"
    return None


@dataclass
class CalendarEvent:
    """
    One calendar event as the emulator stores it; recurring events are series masters.

    :param id: MeetStream's event id (opaque).
    :param start: First (or only) occurrence's start, UTC.
    :param end: First (or only) occurrence's end, UTC.
    :param raw: The calendar provider's own payload; ``raw.recurrence`` makes the event a series.
    """

    id: str
    start: datetime
    end: datetime
    calendar_id: str = "cal_emulator"
    platform: str = "google_calendar"
    platform_id: str = ""
    ical_uid: str = ""
    meeting_url: str | None = None
    meeting_platform: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    updated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    is_deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> timedelta:
        """How long each occurrence lasts."""
        return self.end - self.start

    @property
    def recurrence(self) -> list[str] | dict[str, Any] | None:
        """Google's list of RFC 5545 lines or Graph's ``patternedRecurrence``; None for a single event."""
        return raw_recurrence(self.raw)

    @property
    def timezone(self) -> str | None:
        """The zone the series is expanded in (Google ``raw.start.timeZone``, Graph's range zone)."""
        return raw_timezone(self.raw)

    def to_api(self, bots: list[dict[str, Any]]) -> dict[str, Any]:
        """
        Render the event as ``GET /calendar/events`` returns it.

        :param bots: This tenant's bots for the event, already rendered.
        """
        return {
            "id": self.id,
            "start_time": format_instant(self.start),
            "end_time": format_instant(self.end),
            "calendar_id": self.calendar_id,
            "platform": self.platform,
            "platform_id": self.platform_id,
            "ical_uid": self.ical_uid,
            "meeting_platform": self.meeting_platform,
            "meeting_url": self.meeting_url,
            "created_at": format_instant(self.created_at),
            "updated_at": format_instant(self.updated_at),
            "is_deleted": self.is_deleted,
            "bots": bots,
            "raw": self.raw,
        }


def demo_calendar_template() -> Any:
    """The packaged demo calendar, with its relative dates still unresolved."""
    text = resources.files(__package__ or "meetstream_emulator").joinpath(DEMO_CALENDAR)
    return json.loads(text.read_text(encoding="utf-8"))


def read_calendar_file(path: str | Path) -> Any:
    """
    Read a calendar JSON file without resolving its relative dates (they resolve at each load).

    :param path: A JSON file: a list of events, or ``{"events": [...]}``.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CalendarError(f"Cannot read calendar file {str(path)!r}: {exc}") from exc


def resolve_relative_dates(template: Any, now: datetime) -> Any:
    """
    Replace every ``{{ ... }}`` expression in the strings of a JSON value, recursively.

    A calendar's expressions are resolved at each load and at every reset, against the emulator clock,
    so that a calendar never goes stale.

    An expression is space-separated words applied left to right to a wall-clock time, then an
    optional ``| format``:

    - ``now`` (default) or ``today`` (midnight) as the base, in the expression's zone;
    - a zone: ``UTC`` or an IANA name such as ``America/New_York`` (default UTC);
    - offsets ``+2d``, ``-1w``, ``+3h``, ``+90min`` (wall-clock arithmetic);
    - weekday snaps ``>=MO`` (that day or the next Monday), ``>MO``, ``<=FR``, ``<FR``;
    - ``month-start`` (the first day of the month);
    - ``HH:MM`` (set the time of day, seconds zero).

    Formats: ``iso`` (default, UTC with offset), ``isolocal`` (ISO with the zone's offset),
    ``local`` (``YYYY-MM-DDTHH:MM:SS`` in the zone), ``date`` (``YYYY-MM-DD`` in the zone),
    ``ical`` (``YYYYMMDDTHHMMSS`` in the zone, for ``TZID=``), ``icalutc`` (``YYYYMMDDTHHMMSSZ``),
    ``icaldate`` (``YYYYMMDD``).
    Example: ``"{{today +14d >=MO 09:00 America/New_York | ical}}"``.

    :param template: Any JSON value.
    :param now: The instant the expressions are relative to (the emulator clock's now).
    """
    if isinstance(template, str):
        return _TEMPLATE.sub(lambda match: _evaluate(match.group(1), now), template)
    if isinstance(template, list):
        return [resolve_relative_dates(item, now) for item in template]
    if isinstance(template, dict):
        return {key: resolve_relative_dates(value, now) for key, value in template.items()}
    return template


def _evaluate(expression: str, now: datetime) -> str:
    expr, _, fmt = expression.partition("|")
    words = expr.split()
    zone = _zone_of(words, expression)
    local = now.astimezone(zone).replace(tzinfo=None)
    for word in words:
        if word == "now" or _is_zone(word):
            continue
        if word == "today":
            local = datetime.combine(local.date(), time())
        elif word == "month-start":
            local = local.replace(day=1)
        elif match := _OFFSET.match(word):
            sign = 1 if match.group(1) == "+" else -1
            local += sign * int(match.group(2)) * _UNITS[match.group(3)]
        elif match := _SNAP.match(word):
            local = _snap(local, match.group(1), _WEEKDAYS.index(match.group(2)))
        elif match := _CLOCK.match(word):
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour > 23 or minute > 59:
                raise CalendarError(f"Bad time of day {word!r} in {{{{{expression}}}}}.")
            local = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        else:
            raise CalendarError(f"Unknown word {word!r} in {{{{{expression}}}}}.")
    return _format(local.replace(tzinfo=zone), fmt.strip() or "iso", expression)


def _is_zone(word: str) -> bool:
    return word == "UTC" or ("/" in word and not word.startswith(("+", "-")))


def _zone_of(words: list[str], expression: str) -> ZoneInfo:
    names = [word for word in words if _is_zone(word)]
    if len(names) > 1:
        raise CalendarError(f"More than one zone in {{{{{expression}}}}}.")
    try:
        return ZoneInfo(names[0] if names else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"Unknown time zone {names[0]!r} in {{{{{expression}}}}}.") from None


def _snap(local: datetime, operator: str, weekday: int) -> datetime:
    forward = (weekday - local.weekday()) % 7
    backward = (local.weekday() - weekday) % 7
    if operator == ">=":
        return local + timedelta(days=forward)
    if operator == ">":
        return local + timedelta(days=forward or 7)
    if operator == "<=":
        return local - timedelta(days=backward)
    return local - timedelta(days=backward or 7)


def _format(value: datetime, fmt: str, expression: str) -> str:
    # fold=0 picks the first of two ambiguous wall times; demo times avoid the DST hour anyway.
    if fmt == "iso":
        return format_instant(value)
    if fmt == "isolocal":
        return value.isoformat()
    if fmt == "local":
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if fmt == "date":
        return value.strftime("%Y-%m-%d")
    if fmt == "ical":
        return value.strftime("%Y%m%dT%H%M%S")
    if fmt == "icalutc":
        return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "icaldate":
        return value.strftime("%Y%m%d")
    raise CalendarError(f"Unknown format {fmt!r} in {{{{{expression}}}}}.")


def parse_events(data: Any, now: datetime) -> list[CalendarEvent]:
    """
    Resolve relative dates and turn calendar JSON into events.

    Each event needs a unique ``id``, ``start_time`` and ``end_time`` (after the start). The other fields
    default to: ``calendar_id`` ``cal_emulator``; ``platform`` ``outlook_calendar`` when ``raw`` looks like
    Graph's (``subject`` or ``seriesMasterId``), else ``google_calendar``; ``platform_id`` ``raw.id`` or the
    id; ``ical_uid`` ``raw.iCalUID`` or one made of the id; ``meeting_url`` none and ``meeting_platform``
    from it; ``created_at`` and ``updated_at`` ``now``; ``is_deleted`` false; ``raw`` ``{}``.

    :param data: A list of events, or ``{"events": [...]}``.
    :param now: The instant relative dates resolve against, and the default ``created_at``.
    """
    resolved = resolve_relative_dates(data, now)
    if isinstance(resolved, dict) and "events" in resolved:
        resolved = resolved["events"]
    if not isinstance(resolved, list):
        raise CalendarError('A calendar is a JSON list of events, or {"events": [...]}.')
    events = [_parse_event(item, index, now) for index, item in enumerate(resolved)]
    ids = [event.id for event in events]
    duplicates = sorted({event_id for event_id in ids if ids.count(event_id) > 1})
    if duplicates:
        raise CalendarError(f"Duplicate event ids: {duplicates}.")
    return events


def _parse_event(item: Any, index: int, now: datetime) -> CalendarEvent:
    if not isinstance(item, dict):
        raise CalendarError(f"Event #{index} is not a JSON object.")
    event_id = item.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise CalendarError(f"Event #{index} needs a non-empty string 'id'.")
    start = parse_instant(item.get("start_time"), f"{event_id}: start_time")
    end = parse_instant(item.get("end_time"), f"{event_id}: end_time")
    if end <= start:
        raise CalendarError(f"{event_id}: end_time must be after start_time.")
    raw = item.get("raw") or {}
    if not isinstance(raw, dict):
        raise CalendarError(f"{event_id}: raw must be an object.")
    url = item.get("meeting_url")
    if url is not None and not isinstance(url, str):
        raise CalendarError(f"{event_id}: meeting_url must be a string.")
    default_platform = (
        "outlook_calendar" if "subject" in raw or "seriesMasterId" in raw else "google_calendar"
    )
    return CalendarEvent(
        id=event_id,
        start=start,
        end=end,
        calendar_id=str(item.get("calendar_id") or "cal_emulator"),
        platform=str(item.get("platform") or default_platform),
        platform_id=str(item.get("platform_id") or raw.get("id") or event_id),
        ical_uid=str(item.get("ical_uid") or raw.get("iCalUID") or f"{event_id}@emulator.meetstream.local"),
        meeting_url=url,
        meeting_platform=item.get("meeting_platform") or meeting_platform(url),
        created_at=_optional_instant(item.get("created_at"), f"{event_id}: created_at", now),
        updated_at=_optional_instant(item.get("updated_at"), f"{event_id}: updated_at", now),
        is_deleted=bool(item.get("is_deleted", False)),
        raw=raw,
    )


def _optional_instant(value: Any, name: str, default: datetime) -> datetime:
    return default if value is None else parse_instant(value, name)
