"""
An event's people and text changed in its calendar's own fields: Google Calendar's or Microsoft Graph's.

Each change reads an event and returns a new ``raw`` for :meth:`~meetstream_emulator.events.Events.revise`,
a deep copy with the change in it: the event's old ``raw`` is never changed in place, so that no other
event, and no answer being written, sees a change half made. A refused change is an
:class:`~meetstream_emulator.inputs.ApiError` (400). On a series master a change is the whole series'
(editing "all events" in a calendar app); there is no change to one occurrence, but an exception
instance (a moved occurrence) is an event of its own and changes alone.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from meetstream_emulator.calendar import CalendarEvent
from meetstream_emulator.inputs import ApiError
from meetstream_emulator.series_exceptions import is_graph

#: The responses the controls take, as neither calendar spells them all.
RESPONSES = ("accepted", "declined", "tentative", "needs_action")
_GOOGLE = {
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentative",
    "needs_action": "needsAction",
}
# Graph spells "no answer" "none" for an attendee and "notResponded" for the owner's own responseStatus.
_GRAPH = {
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentativelyAccepted",
    "needs_action": "none",
}
#: Graph's ``status.time`` of an attendee who has not answered.
GRAPH_NO_TIME = "0001-01-01T00:00:00Z"


def graph_time(now: datetime) -> str:
    """An instant as Graph writes a response's ``time``: ISO 8601 UTC, ``Z``, whole seconds."""
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attendees(event: CalendarEvent, raw: dict[str, Any]) -> list[Any]:
    attendees = raw.setdefault("attendees", [])
    if not isinstance(attendees, list):
        raise ApiError(400, f"raw.attendees of event {event.id!r} is not a list.")
    return attendees


def _address(event: CalendarEvent, attendee: Any) -> str | None:
    if not isinstance(attendee, dict):
        return None
    if is_graph(event):
        email = attendee.get("emailAddress")
        value = email.get("address") if isinstance(email, dict) else None
    else:
        value = attendee.get("email")
    return value.lower() if isinstance(value, str) else None


def _find(event: CalendarEvent, attendees: list[Any], email: str) -> dict[str, Any] | None:
    return next((a for a in attendees if _address(event, a) == email.lower()), None)


def add_attendee(
    event: CalendarEvent,
    email: str,
    *,
    name: str | None,
    response: str,
    optional: bool,
    resource: bool,
) -> dict[str, Any]:
    """
    Add one attendee: Google ``raw.attendees[]`` ``{email, displayName, responseStatus, ...}``, Graph's
    ``{type, status, emailAddress}``.

    :param event: A live event.
    :param email: The address; one already among the attendees, in any case, is refused.
    :param name: The display name, or None (Graph then shows the address).
    :param response: One of :data:`RESPONSES`.
    :param optional: An optional attendee.
    :param resource: A room or other resource; not together with ``optional``.
    """
    raw = copy.deepcopy(event.raw)
    attendees = _attendees(event, raw)
    if _find(event, attendees, email) is not None:
        raise ApiError(
            400,
            f"{email!r} is already an attendee of event {event.id!r}; "
            "change their response with /calendar/respond.",
        )
    if is_graph(event):
        kind = "resource" if resource else "optional" if optional else "required"
        attendees.append(
            {
                "type": kind,
                "status": {"response": _GRAPH[response], "time": GRAPH_NO_TIME},
                "emailAddress": {"name": name or email, "address": email},
            }
        )
        return raw
    attendee: dict[str, Any] = {"email": email}
    if name is not None:
        attendee["displayName"] = name
    attendee["responseStatus"] = _GOOGLE[response]
    attendee.update({flag: True for flag, on in (("optional", optional), ("resource", resource)) if on})
    attendees.append(attendee)
    return raw


def _google_owner_hosts(raw: dict[str, Any]) -> bool:
    organizer = raw.get("organizer")
    if isinstance(organizer, dict) and organizer.get("self") is True:
        return True
    attendees = raw.get("attendees")
    return isinstance(attendees, list) and any(
        isinstance(a, dict) and a.get("self") is True and a.get("organizer") is True for a in attendees
    )


def respond(event: CalendarEvent, now: datetime, response: str, email: str | None) -> dict[str, Any]:
    """
    Change a response: an attendee's, or without ``email`` the calendar owner's own.

    The owner's is Google's attendee with ``self: true``, or Graph's ``raw.responseStatus``; refused
    when the owner organizes it (Google's ``organizer.self`` or ``organizer: true`` on the owner's
    entry, Graph's ``isOrganizer``): an organizer does not answer their own meeting. An attendee's is Google's
    ``responseStatus`` or Graph's ``status`` ``{response, time}``.

    :param event: A live event.
    :param now: The emulator's now, Graph's response ``time``.
    :param response: One of :data:`RESPONSES`.
    :param email: The attendee (in any case), or None for the owner.
    """
    raw = copy.deepcopy(event.raw)
    hosts = raw.get("isOrganizer") is True if is_graph(event) else _google_owner_hosts(raw)
    if email is None and hosts:
        raise ApiError(
            400,
            f"The calendar owner organizes event {event.id!r} and does not respond to their own "
            "meeting; give an attendee's email.",
        )
    if email is None and is_graph(event):
        owner = "notResponded" if response == "needs_action" else _GRAPH[response]
        raw["responseStatus"] = {"response": owner, "time": graph_time(now)}
        return raw
    attendees = _attendees(event, raw)
    if email is not None:
        attendee = _find(event, attendees, email)
        if attendee is None:
            raise ApiError(400, f"{email!r} is not an attendee of event {event.id!r}.")
    else:
        attendee = next((a for a in attendees if isinstance(a, dict) and a.get("self") is True), None)
        if attendee is None:
            raise ApiError(400, f"Event {event.id!r} has no attendee marked self; give one with email.")
    if is_graph(event):
        attendee["status"] = {"response": _GRAPH[response], "time": graph_time(now)}
    else:
        attendee["responseStatus"] = _GOOGLE[response]
    return raw


def edit(event: CalendarEvent, title: str | None, description: str | None) -> dict[str, Any]:
    """
    Change the title (Google ``summary``, Graph ``subject``) and the description (Google
    ``description``, Graph ``body`` as text and its first 255 characters as ``bodyPreview``).

    :param event: A live event.
    :param title: The new title, or None to keep it.
    :param description: The new description, or None to keep it.
    """
    raw = copy.deepcopy(event.raw)
    graph = is_graph(event)
    if title is not None:
        raw["subject" if graph else "summary"] = title
    if description is not None and graph:
        raw["body"] = {"contentType": "text", "content": description}
        raw["bodyPreview"] = description[:255]
    elif description is not None:
        raw["description"] = description
    return raw
