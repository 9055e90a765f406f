"""Exceptions to a series as calendars list them: moved and cancelled instances, Google's shape or Graph's."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from meetstream_emulator.calendar import CalendarError, CalendarEvent, parse_instant

UTC = timezone.utc


def series_ref(event: CalendarEvent) -> str:
    """The calendar's own id of an event (``raw.id``), which its exception instances point to."""
    return str(event.raw.get("id") or event.platform_id or event.id)


def master_ref(event: CalendarEvent) -> str | None:
    """The calendar id of an instance's series: Google ``recurringEventId``, Graph ``seriesMasterId``."""
    value = event.raw.get("recurringEventId") or event.raw.get("seriesMasterId")
    return str(value) if value else None


def original_start(event: CalendarEvent) -> datetime | None:
    """
    The occurrence an instance replaces: Google ``originalStartTime.dateTime``, Graph ``originalStart``.

    :param event: An exception instance.
    """
    google = event.raw.get("originalStartTime")
    text = google.get("dateTime") if isinstance(google, dict) else event.raw.get("originalStart")
    if not isinstance(text, str) or not text:
        return None
    try:
        # Graph writes seven decimals ("...:00.0000000Z"); Python reads at most six.
        return parse_instant(re.sub(r"(\.\d{6})\d+", r"\1", text), f"{event.id}: originalStart")
    except CalendarError:
        return None


def is_cancelled(event: CalendarEvent) -> bool:
    """A deleted event, or a cancelled instance (Google ``status: cancelled``, Graph ``isCancelled``)."""
    return event.is_deleted or event.raw.get("status") == "cancelled" or event.raw.get("isCancelled") is True


def is_graph(event: CalendarEvent) -> bool:
    """Whether an event comes from Outlook (Microsoft Graph) rather than Google."""
    return event.platform == "outlook_calendar"


def instance_id(master: CalendarEvent, occurrence: datetime) -> str:
    """The MeetStream id the emulator gives the exception instance of one occurrence."""
    return f"{master.id}_{occurrence.astimezone(UTC):%Y%m%dT%H%M%SZ}"


#: What an instance repeats of its master: the people, the text and the owner's own answer.
_SHARED = ("organizer", "attendees", "description", "body", "bodyPreview", "isOrganizer", "responseStatus")


def make_instance(
    master: CalendarEvent,
    occurrence: datetime,
    *,
    start: datetime,
    end: datetime,
    cancelled: bool,
    now: datetime,
) -> CalendarEvent:
    """
    The exception instance a calendar lists when one occurrence of a series moves or is cancelled.

    Google's instance carries ``recurringEventId``, ``originalStartTime`` and, when cancelled,
    ``status: "cancelled"``; Graph's carries ``seriesMasterId``, ``originalStart``, ``type``
    (``exception`` when moved) and ``isCancelled``. The instance shares the master's iCalendar UID,
    meeting URL and calendar, and, as both calendars list it, the master's people and text: its
    organizer, attendees, description (Google) or body (Graph), and the owner's own response.

    :param master: The series master.
    :param occurrence: The occurrence's original start, UTC.
    :param start: Its new start.
    :param end: Its new end.
    :param cancelled: Whether it is cancelled rather than moved.
    :param now: The emulator's now, the instance's ``updated_at``.
    """
    ref = f"{series_ref(master)}_{occurrence.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    title_field = "subject" if is_graph(master) else "summary"
    raw: dict[str, Any] = {
        "id": ref,
        title_field: master.raw.get(title_field, ""),
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": end.isoformat(), "timeZone": "UTC"},
    }
    raw.update(copy.deepcopy({key: master.raw[key] for key in _SHARED if key in master.raw}))
    if is_graph(master):
        raw.update(
            seriesMasterId=series_ref(master),
            type="exception" if not cancelled else "occurrence",
            originalStart=occurrence.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            isCancelled=cancelled,
        )
    else:
        raw.update(
            recurringEventId=series_ref(master),
            originalStartTime={"dateTime": occurrence.astimezone(UTC).isoformat(), "timeZone": "UTC"},
            status="cancelled" if cancelled else "confirmed",
        )
    return replace(
        master,
        id=instance_id(master, occurrence),
        start=start,
        end=end,
        platform_id=ref,
        created_at=now,
        updated_at=now,
        is_deleted=False,
        raw=raw,
    )
