"""Who an event gathers (organizer, attendees, the calendar's owner), from Google's or Graph's payload."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ACCEPTED, DECLINED, TENTATIVE, NEEDS_ACTION = "accepted", "declined", "tentative", "needs_action"
#: Every response a person can give, as the rules name them.
RESPONSES = (ACCEPTED, DECLINED, TENTATIVE, NEEDS_ACTION)

_GOOGLE_RESPONSES = {
    "accepted": ACCEPTED,
    "declined": DECLINED,
    "tentative": TENTATIVE,
    "needsAction": NEEDS_ACTION,
}
_GRAPH_RESPONSES = {
    "accepted": ACCEPTED,
    "organizer": ACCEPTED,
    "declined": DECLINED,
    "tentativelyAccepted": TENTATIVE,
    "none": NEEDS_ACTION,
    "notResponded": NEEDS_ACTION,
}
#: Addresses of Google's rooms, and of calendars that are no one's (a team's, an imported one),
#: whether or not ``resource: true`` is given: none is a person.
_NOT_PEOPLE = ("@resource.calendar.google.com", "@group.calendar.google.com", "@import.calendar.google.com")
#: HTML tags inside a word (``#no<b>record</b>``) go; the others end a word. Other text in angle
#: brackets (``Ana <ana@vendor.example>`` in a plain description) stays.
_INLINE_TAG = re.compile(r"</?(?:a|abbr|b|code|em|font|i|mark|s|small|span|strong|sub|sup|u)\b[^>]*>", re.I)
_BLOCK_TAG = re.compile(
    r"</?(?:html|head|body|meta|style|title|p|br|div|ul|ol|li|table|thead|tbody|tr|td|th|h[1-6]|hr|img"
    r"|blockquote|pre)\b[^>]*>",
    re.I,
)
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class Person:
    """
    Someone an event names: its organizer, an attendee, or the calendar's owner.

    :param email: The address as the calendar gives it, or None when it gives none.
    :param name: The display name, or None.
    :param response: ``accepted``, ``declined``, ``tentative`` or ``needs_action``; None when unknown.
    :param optional: An optional attendee (Google ``optional``, Graph ``type: "optional"``).
    :param resource: A room or other resource, not a person (Google ``resource``, Graph
        ``type: "resource"``).
    """

    email: str | None
    name: str | None = None
    response: str | None = None
    optional: bool = False
    resource: bool = False

    @property
    def domain(self) -> str | None:
        """The address's domain, lowercase and in IDNA (ASCII) form; None when it has none."""
        if not self.email or self.email.count("@") != 1:
            return None
        return normal_domain(self.email.rpartition("@")[2])


@dataclass(frozen=True)
class People:
    """
    The people of one event, read defensively: what a payload leaves out is unknown (None or empty).

    :param organizer: Who hosts it.
    :param attendees: Everyone invited, rooms included (marked ``resource``).
    :param owner: The calendar's owner as this event names them: their address when known, and
        their own response (the organizer's is ``accepted``).
    :param owner_hosts: Whether the calendar's owner is the organizer; None when unknown.
    :param complete: Whether the payload lists everyone: its attendees are given (Google leaves
        them out when the organizer is alone, so there an organizer alone is complete), and not
        cut short (Google's ``attendeesOmitted``) nor hidden from a guest (Google's
        ``guestsCanSeeOtherGuests: false``, Graph's ``hideAttendees``).
    """

    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()
    owner: Person | None = None
    owner_hosts: bool | None = None
    complete: bool = False


@lru_cache(maxsize=4096)
def normal_domain(text: str) -> str | None:
    """
    A domain as the rules compare them: stripped of spaces, a leading "@" and a final dot, lowercase,
    each label in IDNA form (``bücher.example`` and ``xn--bcher-kva.example`` are one domain).
    None when it is not a domain.

    :param text: A domain, or the part of an address after its "@".
    """
    name = text.strip().lstrip("@").rstrip(".").lower()
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    # Letters, digits and inner hyphens only: no "*.example.com", no "example.com:443".
    return ascii_name if _DOMAIN.match(ascii_name) else None


@lru_cache(maxsize=4096)
def normal_address(text: str) -> str | None:
    """
    An email address as the rules compare them: its name casefolded, its domain as
    :func:`normal_domain` gives it; None when it is not ``name@domain``.

    :param text: An address.
    """
    name, at, domain = text.strip().rpartition("@")
    normal = normal_domain(domain) if at and name and "@" not in name and not name.isspace() else None
    return None if normal is None else f"{name.strip().casefold()}@{normal}"


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _is_graph(raw: Mapping[str, Any], platform: str | None) -> bool:
    if platform == "outlook_calendar":
        return True
    if platform == "google_calendar":
        return False
    organizer = raw.get("organizer")
    attendees = raw.get("attendees")
    return (
        "subject" in raw
        or (isinstance(organizer, Mapping) and "emailAddress" in organizer)
        or (
            isinstance(attendees, list)
            and any(isinstance(a, Mapping) and "emailAddress" in a for a in attendees)
        )
    )


def _listed(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = raw.get("attendees")
    return [entry for entry in found if isinstance(entry, Mapping)] if isinstance(found, list) else []


def read_people(raw: Mapping[str, Any], platform: str | None) -> People:
    """
    The organizer, the attendees and the calendar's owner of one event's ``raw`` payload.

    Google: ``organizer.email``, ``attendees[]`` with ``email``, ``displayName``, ``responseStatus``,
    ``optional``, ``resource``, and ``self: true`` on the owner's own entry (``organizer.self`` when
    the owner hosts). Graph: ``organizer.emailAddress.address``, ``attendees[]`` with
    ``emailAddress``, ``type`` (``required``, ``optional``, ``resource``) and ``status.response``;
    the owner's response in ``responseStatus`` and ``isOrganizer`` when they host.

    :param raw: The event's ``raw`` field.
    :param platform: MeetStream's ``platform`` of the event: ``google_calendar`` or
        ``outlook_calendar``; anything else is told by the payload's own field names.
    """
    return _graph(raw) if _is_graph(raw, platform) else _google(raw)


def _google(raw: Mapping[str, Any]) -> People:
    listed = _listed(raw)
    attendees = tuple(_google_person(entry) for entry in listed)
    found = raw.get("organizer")
    organizer_entry: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    organizer_email = _text(organizer_entry.get("email"))
    own = next((i for i, entry in enumerate(listed) if entry.get("self") is True), None)
    hosts: bool | None = None
    owner: Person | None = None
    if organizer_entry.get("self") is True or (own is not None and listed[own].get("organizer") is True):
        hosts = True
    elif organizer_email is not None and own is not None:
        hosts = False
    if own is not None:
        owner = attendees[own]
    elif organizer_entry.get("self") is True:
        owner = Person(organizer_email, _text(organizer_entry.get("displayName")), ACCEPTED)
    organizer = None
    if organizer_email is not None or _text(organizer_entry.get("displayName")):
        # The organizer's own entry among the attendees holds their response.
        as_attendee = next(
            (p for p, e in zip(attendees, listed, strict=True) if e.get("organizer") is True),
            None,
        )
        organizer = Person(
            organizer_email,
            _text(organizer_entry.get("displayName")),
            as_attendee.response if as_attendee and as_attendee.response else ACCEPTED,
            # A team's or an imported calendar hosts as no one.
            resource=bool(organizer_email and organizer_email.lower().endswith(_NOT_PEOPLE)),
        )
    # A list Google says is cut (attendeesOmitted), or one a guest may not see whole, is a part.
    hidden = raw.get("attendeesOmitted") is True or (
        raw.get("guestsCanSeeOtherGuests") is False and not hosts
    )
    listed_whole = isinstance(raw.get("attendees"), list) or (
        "attendees" not in raw and organizer is not None
    )
    return People(organizer, attendees, owner, hosts, listed_whole and not hidden)


def _google_person(entry: Mapping[str, Any]) -> Person:
    email = _text(entry.get("email"))
    return Person(
        email,
        _text(entry.get("displayName")),
        _GOOGLE_RESPONSES.get(str(entry.get("responseStatus"))),
        optional=entry.get("optional") is True,
        resource=entry.get("resource") is True or bool(email and email.lower().endswith(_NOT_PEOPLE)),
    )


def _address(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    address = entry.get("emailAddress")
    if not isinstance(address, Mapping):
        return None, None
    return _text(address.get("address")), _text(address.get("name"))


def _graph(raw: Mapping[str, Any]) -> People:
    attendees = []
    for entry in _listed(raw):
        email, name = _address(entry)
        status = entry.get("status")
        response = status.get("response") if isinstance(status, Mapping) else None
        kind = entry.get("type")
        attendees.append(
            Person(
                email,
                name,
                _GRAPH_RESPONSES.get(str(response)),
                optional=kind == "optional",
                resource=kind == "resource",
            )
        )
    organizer_entry = raw.get("organizer")
    organizer = None
    if isinstance(organizer_entry, Mapping):
        email, name = _address(organizer_entry)
        if email or name:
            organizer = Person(email, name, ACCEPTED)
    is_organizer = raw.get("isOrganizer")
    hosts = is_organizer if isinstance(is_organizer, bool) else None
    status = raw.get("responseStatus")
    own_response = _GRAPH_RESPONSES.get(str(status.get("response"))) if isinstance(status, Mapping) else None
    owner: Person | None
    if hosts and organizer is not None:
        owner = organizer
    elif own_response is not None or hosts is not None:
        # Graph names the owner's response, not their address.
        owner = Person(None, None, ACCEPTED if hosts else own_response)
    else:
        owner = None
    # hideAttendees: each attendee sees only themselves; the organizer sees everyone.
    hidden = raw.get("hideAttendees") is True and not hosts
    return People(
        organizer, tuple(attendees), owner, hosts, isinstance(raw.get("attendees"), list) and not hidden
    )


def read_description(raw: Mapping[str, Any]) -> str:
    """
    An event's description as plain text: Google's ``description``, Graph's ``body.content`` (else
    its ``bodyPreview``); tags dropped and entities read, since both may be HTML. "" when none.

    :param raw: The event's ``raw`` field.
    """
    body = raw.get("body")
    text = raw.get("description")
    if not isinstance(text, str) and isinstance(body, Mapping):
        text = body.get("content")
    if not isinstance(text, str):
        text = raw.get("bodyPreview")
    if not isinstance(text, str):
        return ""
    if "<" in text or "&" in text:
        return html.unescape(_BLOCK_TAG.sub(" ", _INLINE_TAG.sub("", text)))
    return text


def is_all_day(raw: Mapping[str, Any]) -> bool:
    """Whether an event lasts whole days: Google's ``start.date`` without a time, Graph's ``isAllDay``."""
    if raw.get("isAllDay") is True:
        return True
    start = raw.get("start")
    return isinstance(start, Mapping) and bool(start.get("date")) and not start.get("dateTime")


def is_recurring(raw: Mapping[str, Any]) -> bool:
    """Whether an event belongs to a series: a master (``recurrence``) or one of its instances."""
    return bool(
        raw.get("recurrence")
        or raw.get("recurringEventId")
        or raw.get("seriesMasterId")
        or raw.get("type") in ("seriesMaster", "occurrence", "exception")
    )
