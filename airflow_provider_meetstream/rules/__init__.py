"""
Recording rules: which meetings get a bot, said the way companies decide it.

A :class:`RecordingRules` is a small declarative value (a dict, JSON, or the class itself) that
:meth:`RecordingRules.decide` applies to a meeting, giving a :class:`Decision` with its reason::

    rules = RecordingRules.from_value(
        {"internal_domains": ["example.com"], "record": "external", "skip_declined": True}
    )
    decision = rules.decide(meeting)  # Decision(record=False, reason="skipped: ...")

Pure Python with no Airflow import, like :mod:`airflow_provider_meetstream.recurrence`, so a
policy can be tested on its own. What a payload leaves out is unknown, and unknown never
matches: a meeting whose attendees are not listed is not "external".
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream.rules.people import ACCEPTED, DECLINED, normal_address, normal_domain

if TYPE_CHECKING:
    from airflow_provider_meetstream.utils.calendar_meetings import Meeting

#: Markers that keep a bot out when found in a title or a description (case-insensitive).
DEFAULT_OPT_OUT_MARKERS = ("#norecord", "#nobot", "[no bot]", "[no recording]")
RECORD_CHOICES = ("all", "external", "internal")
_MAX_MARKERS = 100
_MAX_MARKER_LENGTH = 200


class RulesError(ValueError):
    """
    A rules value that does not validate.

    :param key: The rule at fault (``record``, ``min_attendees``...), or ``rules`` for the whole value.
    :param value: Its value.
    :param reason: What is wrong.
    """

    def __init__(self, key: str, value: object, reason: str) -> None:
        self.key, self.value, self.reason = key, value, reason
        shown = repr(value)
        super().__init__(f"{key}={shown if len(shown) <= 120 else shown[:117] + '...'}: {reason}")


@dataclass(frozen=True)
class Decision:
    """
    Whether a meeting is recorded, and why, in words a plan shows.

    :param record: True to give the meeting a bot.
    :param reason: ``"recorded: ..."`` or ``"skipped: ..."``.
    """

    record: bool
    reason: str


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _marker_in(markers: Sequence[str], meeting: Meeting) -> str | None:
    """The first marker found, and where: ``"#norecord in the title"``; None when there is none."""
    title, description = _fold(meeting.title), _fold(meeting.description)
    for marker in markers:
        folded = _fold(marker)
        if folded in title:
            return f"{marker} in the title"
        if folded in description:
            return f"{marker} in the description"
    return None


@dataclass(frozen=True)
class RecordingRules:
    """
    Which meetings to record. Every rule given must hold; left out, a rule allows everything.

    :param internal_domains: The company's domains (a subdomain counts as its domain); needed by
        ``record`` ``external`` and ``internal``.
    :param record: ``all``; ``external``: at least one attendee outside ``internal_domains``;
        ``internal``: every attendee inside them. Rooms are not attendees.
    :param organizer_in: Record only meetings one of these addresses hosts.
    :param calendar_owner_is_organizer: Record only meetings the calendar's owner hosts.
    :param min_attendees: At least this many people (the organizer included, rooms excluded).
    :param max_attendees: At most this many people.
    :param only_accepted: Record only meetings the calendar's owner accepted (or hosts).
    :param skip_declined: Skip meetings the calendar's owner declined (default True).
    :param opt_out_markers: Never record a meeting whose title or description holds one of these,
        case-insensitively (default ``#norecord``, ``#nobot``, ``[no bot]``, ``[no recording]``).
    :param opt_in_markers: Record a meeting whose title or description holds one of these, whatever
        the other rules say; an opt-out marker, an all-day event or a missing link still win.
    :param recurring: True: only meetings of a series; False: only single meetings; None: both.

    All-day events and meetings without a link are never recorded.
    """

    internal_domains: tuple[str, ...] = ()
    record: str = "all"
    organizer_in: tuple[str, ...] | None = None
    calendar_owner_is_organizer: bool = False
    min_attendees: int | None = None
    max_attendees: int | None = None
    only_accepted: bool = False
    skip_declined: bool = True
    opt_out_markers: tuple[str, ...] = DEFAULT_OPT_OUT_MARKERS
    opt_in_markers: tuple[str, ...] = ()
    recurring: bool | None = None
    _domains: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _organizers: frozenset[str | None] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in ("internal_domains", "organizer_in", "opt_out_markers", "opt_in_markers"):
            value = getattr(self, key)
            if value is not None:
                # A list from a dict or JSON becomes a tuple: the rules are a value.
                object.__setattr__(self, key, _strings(key, value))
        _check(self)
        object.__setattr__(self, "_domains", tuple(dict.fromkeys(_domain(d) for d in self.internal_domains)))
        organizers = frozenset(normal_address(email) for email in self.organizer_in or ())
        object.__setattr__(self, "_organizers", organizers)

    @classmethod
    def from_value(cls, value: RecordingRules | Mapping[str, Any] | str) -> RecordingRules:
        """
        Read rules from a dict of the keys above, their JSON text, or rules already made.

        :param value: The rules.
        :raises RulesError: Naming the key at fault: unknown, or of the wrong type or value.
        """
        if isinstance(value, RecordingRules):
            return value
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as err:
                raise RulesError(
                    "rules",
                    value,
                    f"is text that is not JSON ({err}); render a Param with | tojson, or pass a dict",
                ) from None
        if not isinstance(value, Mapping):
            raise RulesError("rules", value, "must be a dict of rules, its JSON text, or RecordingRules")
        known = {f.name for f in fields(cls) if f.init}
        unknown = sorted((key for key in value if key not in known), key=str)
        if unknown:
            raise RulesError(
                str(unknown[0]), value[unknown[0]], f"is not a rule; the rules are {sorted(known)}"
            )
        return cls(**{str(key): item for key, item in value.items()})

    def to_dict(self) -> dict[str, Any]:
        """The rules as JSON-ready data that :meth:`from_value` reads back to equal rules."""
        data = asdict(self)
        data.pop("_domains")
        data.pop("_organizers")
        return {key: list(item) if isinstance(item, tuple) else item for key, item in data.items()}

    def is_internal(self, domain: str | None) -> bool | None:
        """Whether a domain is one of ``internal_domains`` or under one; None when it is unknown."""
        if domain is None:
            return None
        return any(domain == own or domain.endswith(f".{own}") for own in self._domains)

    def decide(self, meeting: Meeting) -> Decision:
        """
        Whether to record ``meeting``, and why.

        A meeting seen in several calendars (:attr:`Meeting.copies`) is recorded when the rules
        hold for at least one copy (one owner accepted, one owner hosts), and the reason names the
        calendar whose copy decided. An opt-out marker in any copy keeps the bot out.

        :param meeting: A :class:`~airflow_provider_meetstream.utils.calendar_meetings.Meeting`.
        """
        copies = (meeting, *meeting.copies)
        if not meeting.meeting_url:
            return Decision(False, "skipped: no meeting link")
        if meeting.all_day:
            return Decision(False, "skipped: an all-day event")
        for copy in copies:
            found = _marker_in(self.opt_out_markers, copy)
            if found:
                return Decision(False, f"skipped: opt-out marker {found}{_of(copy, copies)}")
        decisions = [(copy, self._decide_copy(copy)) for copy in copies]
        for copy, decision in decisions:
            if decision.record:
                return Decision(True, f"{decision.reason}{_of(copy, copies)}")
        if len(copies) == 1:
            return decisions[0][1]
        return Decision(
            False, "; ".join(f"{decision.reason}{_of(copy, copies)}" for copy, decision in decisions)
        )

    def _decide_copy(self, meeting: Meeting) -> Decision:
        found = _marker_in(self.opt_in_markers, meeting)
        if found:
            return Decision(True, f"recorded: opt-in marker {found}")
        response = meeting.owner.response if meeting.owner else None
        if self.skip_declined and response == DECLINED:
            return Decision(False, "skipped: declined by the calendar's owner")
        if self.only_accepted and response != ACCEPTED and meeting.owner_hosts is not True:
            said = (response or "unknown").replace("_", " ")
            return Decision(False, f"skipped: not accepted by the calendar's owner ({said})")
        if self.calendar_owner_is_organizer and meeting.owner_hosts is not True:
            if meeting.owner_hosts is None:
                return Decision(False, "skipped: who hosts it is unknown")
            return Decision(False, "skipped: the calendar's owner does not host it")
        if self.organizer_in is not None:
            host = meeting.organizer.email if meeting.organizer else None
            if host is None:
                return Decision(False, "skipped: its host is unknown (organizer_in)")
            if normal_address(host) not in self._organizers:
                # Not the address: a plan is logged, and addresses are no one else's business.
                return Decision(False, "skipped: its host is not one in organizer_in")
        if self.recurring is not None and meeting.recurring != self.recurring:
            return Decision(False, f"skipped: {'not ' if self.recurring else ''}a recurring meeting")
        people = meeting.people()
        complete = bool(people) and meeting.people_complete
        if self.min_attendees or self.max_attendees is not None:
            # The people known are at least so many; "at most" needs them all.
            if not people or (self.max_attendees is not None and not complete):
                return Decision(False, "skipped: its attendees are unknown")
            if self.min_attendees is not None and len(people) < self.min_attendees:
                return Decision(
                    False,
                    f"skipped: {len(people)} attendee(s), fewer than min_attendees {self.min_attendees}",
                )
            if self.max_attendees is not None and len(people) > self.max_attendees:
                return Decision(
                    False, f"skipped: {len(people)} attendees, more than max_attendees {self.max_attendees}"
                )
        if self.record == "all":
            return Decision(True, "recorded: the rules allow it")
        inside = [self.is_internal(person.domain) for person in people]
        outside = sorted(
            {p.domain for p, own in zip(people, inside, strict=True) if own is False and p.domain}
        )
        if self.record == "external":
            if outside:
                return Decision(True, f"recorded: an attendee from {outside[0]}")
            return Decision(False, f"skipped: no attendee known to be outside {_listed(self._domains)}")
        if outside:
            return Decision(False, f"skipped: an attendee from {outside[0]} (internal only)")
        if not complete:
            return Decision(False, "skipped: its attendees are unknown (internal only)")
        if None in inside:
            return Decision(False, "skipped: an attendee's address is unknown (internal only)")
        return Decision(True, f"recorded: every attendee is from {_listed(self._domains)}")


def _of(copy: Meeting, copies: tuple[Meeting, ...]) -> str:
    return f" (calendar {copy.calendar_id or 'unknown'})" if len(copies) > 1 else ""


def _listed(domains: Sequence[str]) -> str:
    shown = ", ".join(domains[:3])
    return shown + (f" and {len(domains) - 3} more" if len(domains) > 3 else "")


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise RulesError(key, value, "must be a list of strings")
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise RulesError(key, value, "must hold non-empty strings only")
    return tuple(item.strip() for item in value)


def _domain(text: str) -> str:
    domain = normal_domain(text)
    if domain is None:
        raise RulesError("internal_domains", text, "is not a domain (e.g. example.com)")
    return domain


def _check(rules: RecordingRules) -> None:
    for key in ("internal_domains", "opt_out_markers", "opt_in_markers"):
        value = getattr(rules, key)
        if value is None:
            raise RulesError(key, value, "must be a list of strings ([] for none)")
        if key != "internal_domains" and (
            len(value) > _MAX_MARKERS or any(len(m) > _MAX_MARKER_LENGTH for m in value)
        ):
            raise RulesError(
                key, value, f"holds at most {_MAX_MARKERS} markers of {_MAX_MARKER_LENGTH} characters"
            )
    if rules.organizer_in is not None:
        bad = [email for email in rules.organizer_in if normal_address(email) is None]
        if not rules.organizer_in or bad:
            raise RulesError(
                "organizer_in",
                rules.organizer_in,
                "must list at least one email address; leave it out to allow any host",
            )
    if rules.record not in RECORD_CHOICES:
        raise RulesError("record", rules.record, f"must be one of {list(RECORD_CHOICES)}")
    if rules.record != "all" and not rules.internal_domains:
        raise RulesError(
            "internal_domains",
            rules.internal_domains,
            f'must name the company\'s domains when record is "{rules.record}"',
        )
    for key in ("calendar_owner_is_organizer", "only_accepted", "skip_declined"):
        if not isinstance(getattr(rules, key), bool):
            raise RulesError(key, getattr(rules, key), "must be true or false")
    if rules.recurring is not None and not isinstance(rules.recurring, bool):
        raise RulesError("recurring", rules.recurring, "must be true, false or null (both)")
    for key in ("min_attendees", "max_attendees"):
        value = getattr(rules, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise RulesError(key, value, "must be a whole number from 0 up, or null")
    if (
        rules.min_attendees is not None
        and rules.max_attendees is not None
        and rules.min_attendees > rules.max_attendees
    ):
        raise RulesError(
            "max_attendees", rules.max_attendees, f"must not be below min_attendees ({rules.min_attendees})"
        )
