"""The calendar sync's plan: which bots to add, move, cancel or keep so that they match the calendar."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_meetstream.recurrence import RecurrenceError, format_occurrence, parse_aware_datetime
from airflow_provider_meetstream.utils.calendar_meetings import Calendar, Meeting, Selection

_UTC = timezone.utc
#: Longest deduplication key MeetStream takes; a longer identity is hashed to fit.
_MAX_KEY = 2000

ADD, MOVE, CANCEL, KEEP, FAILED = "add", "move", "cancel", "keep", "failed"


@dataclass(frozen=True)
class OurBot:
    """
    A bot this sync made, as MeetStream shows it.

    :param bot_id: The bot.
    :param deduplication_key: Its key, ``f"{sync_id}|..."``.
    :param join_time: When it joins, UTC, when known.
    :param scheduled: True while it waits to join (the only state a sync may change).
    """

    bot_id: str
    deduplication_key: str
    join_time: datetime | None
    scheduled: bool


@dataclass(frozen=True)
class Action:
    """
    One step of the plan.

    :param kind: ``add``, ``move``, ``cancel`` or ``keep``.
    :param deduplication_key: The bot's key.
    :param meeting: The meeting, when the calendar still has it.
    :param bot_id: The existing bot, for move, cancel and keep.
    :param old_join: Its join time now.
    :param new_join: Its join time after the step.
    :param reason: Why, in a few words.
    """

    kind: str
    deduplication_key: str
    meeting: Meeting | None
    bot_id: str | None = None
    old_join: datetime | None = None
    new_join: datetime | None = None
    reason: str = ""

    def summary(self) -> dict[str, Any]:
        """The action as the operator's XCom shows it: small and JSON-ready."""
        meeting = self.meeting
        return {
            "event_id": meeting.event_id if meeting else None,
            "occurrence": format_occurrence(meeting.start) if meeting else None,
            "title": meeting.title if meeting else None,
            "bot_id": self.bot_id,
            "deduplication_key": self.deduplication_key,
            "old_join": None if self.old_join is None else format_occurrence(self.old_join),
            "new_join": None if self.new_join is None else format_occurrence(self.new_join),
            "reason": self.reason,
        }


def deduplication_key(sync_id: str, identity: str) -> str:
    """
    The key a sync gives the bot of one meeting: ``f"{sync_id}|{identity}"``.

    An identity that would make the key too long, or unprintable, is replaced by its SHA-256.

    :param sync_id: The sync's id.
    :param identity: :attr:`Meeting.identity`.
    """
    key = f"{sync_id}|{identity}"
    if len(key) > _MAX_KEY or not key.isprintable():
        key = f"{sync_id}|sha256:{hashlib.sha256(identity.encode('utf-8', 'surrogatepass')).hexdigest()}"
    return key


def our_bots(
    sync_id: str,
    events: Iterable[Mapping[str, Any]],
    scheduled: Iterable[Mapping[str, Any]],
    statuses: Mapping[str, str] | None = None,
) -> dict[str, OurBot]:
    """
    The bots this sync owns, by key, from the events' ``bots`` and the scheduled list.

    A bot is ours only when its deduplication key starts with ``f"{sync_id}|"``. It counts as
    scheduled (so a sync may move or cancel it) when ``GET /calendar/scheduled`` lists it, or when
    ``statuses`` (``GET /bots/{id}/status``, for bots the list could not show) says ``Scheduled``.
    A missing field is unknown, never a match.

    :param sync_id: The sync's id.
    :param events: The listed events, with their ``bots``.
    :param scheduled: ``GET /calendar/scheduled``'s ``scheduled_bots``.
    :param statuses: Status by bot id, for the bots the caller confirmed one by one.
    """
    prefix = f"{sync_id}|"
    statuses = statuses or {}
    found: dict[str, OurBot] = {}
    listed: set[str] = set()
    for bot in scheduled:
        attributes = bot.get("custom_attributes")
        key = attributes.get("deduplication_key") if isinstance(attributes, Mapping) else None
        bot_id = bot.get("bot_id")
        if isinstance(key, str) and key.startswith(prefix) and isinstance(bot_id, str) and bot_id:
            listed.add(bot_id)
            found[key] = OurBot(bot_id, key, _maybe_instant(bot.get("scheduled_join_time")), True)
    for event in events:
        for bot in event.get("bots") or ():
            if not isinstance(bot, Mapping):
                continue
            key, bot_id = bot.get("deduplication_key"), bot.get("bot_id")
            if not (isinstance(key, str) and key.startswith(prefix) and isinstance(bot_id, str) and bot_id):
                continue
            if key in found and found[key].scheduled:
                continue
            scheduled_now = bot_id in listed or statuses.get(bot_id) == "Scheduled"
            found[key] = OurBot(bot_id, key, _maybe_instant(bot.get("start_time")), scheduled_now)
    return found


def _maybe_instant(value: Any) -> datetime | None:
    try:
        return parse_aware_datetime(value, "join time").astimezone(_UTC)
    except RecurrenceError:
        return None


def plan(
    calendar: Calendar,
    bots: Mapping[str, OurBot],
    *,
    sync_id: str,
    selection: Selection,
    window_start: datetime,
    window_end: datetime,
    join_lead: timedelta,
    truncated: bool = False,
) -> list[Action]:
    """
    What makes MeetStream's bots match the calendar in a window.

    - **add** a selected meeting that has no bot of ours;
    - **move** our waiting bot whose meeting's start changed: its join time becomes the start less
      ``join_lead``, on the same event and key;
    - **cancel** our waiting bot whose meeting was deleted, cancelled, moved out of the window or
      is no longer selected, when its join time falls in the window's reach; never when the
      scheduled list was truncated, because a bot it did not show might be the one that is right;
    - **keep** the rest, including every bot that has joined or finished: a sync never touches those.

    :param calendar: :func:`read_calendar`'s result for the window.
    :param bots: :func:`our_bots`.
    :param sync_id: The sync's id, the prefix of every key it owns.
    :param selection: Which meetings to record.
    :param window_start: The window's start.
    :param window_end: The window's end.
    :param join_lead: How long before its meeting a bot joins.
    :param truncated: ``GET /calendar/scheduled`` came back full.
    """
    actions: list[Action] = []
    wanted: set[str] = set()
    for identity, meeting in sorted(calendar.meetings.items(), key=lambda item: (item[1].start, item[0])):
        if not (window_start <= meeting.start < window_end) or not selection(meeting):
            continue
        key = deduplication_key(sync_id, identity)
        wanted.add(key)
        # Whole seconds, as join times travel: a start with microseconds must not look moved.
        join = (meeting.start - join_lead).replace(microsecond=0)
        bot = bots.get(key)
        if bot is None:
            actions.append(Action(ADD, key, meeting, new_join=join, reason="no bot yet"))
        elif not bot.scheduled:
            actions.append(
                Action(KEEP, key, meeting, bot.bot_id, bot.join_time, bot.join_time, "joined or finished")
            )
        elif bot.join_time is None or bot.join_time.replace(microsecond=0) != join:
            actions.append(Action(MOVE, key, meeting, bot.bot_id, bot.join_time, join, "the meeting moved"))
        else:
            actions.append(Action(KEEP, key, meeting, bot.bot_id, join, join, "up to date"))
    for key, bot in sorted(bots.items()):
        if key in wanted or not bot.scheduled:
            continue
        in_reach = bot.join_time is not None and window_start - join_lead <= bot.join_time < window_end
        if not in_reach:
            continue
        known = _identity_of(key, sync_id, calendar)
        last_seen = calendar.meetings.get(known) if known else None
        reason = _why_unwanted(known, last_seen, calendar, window_start, window_end)
        if truncated:
            actions.append(
                Action(
                    KEEP,
                    key,
                    last_seen,
                    bot.bot_id,
                    bot.join_time,
                    bot.join_time,
                    f"{reason}, but not cancelled: the scheduled list is truncated",
                )
            )
        else:
            actions.append(Action(CANCEL, key, last_seen, bot.bot_id, bot.join_time, None, reason))
    return actions


def _identity_of(key: str, sync_id: str, calendar: Calendar) -> str | None:
    for identity in (*calendar.meetings, *calendar.cancelled):
        if deduplication_key(sync_id, identity) == key:
            return identity
    return None


def _why_unwanted(
    identity: str | None,
    meeting: Meeting | None,
    calendar: Calendar,
    window_start: datetime,
    window_end: datetime,
) -> str:
    if identity in calendar.cancelled:
        return "the meeting was cancelled"
    if meeting is None:
        return "the meeting is no longer in the calendar"
    if not window_start <= meeting.start < window_end:
        return "the meeting moved out of the window"
    return "the meeting is no longer selected"


def counts(actions: Sequence[Action]) -> dict[str, int]:
    """How many actions of each kind."""
    return {kind: sum(1 for action in actions if action.kind == kind) for kind in (ADD, MOVE, CANCEL, KEEP)}


def format_plan(actions: Sequence[Action]) -> str:
    """The plan as a short table for the task log: one row per add, move and cancel, kept ones counted."""
    rows = [
        (
            action.kind,
            action.meeting.title[:30] if action.meeting else "-",
            format_occurrence(action.meeting.start) if action.meeting else "-",
            action.bot_id or "-",
            format_occurrence(action.old_join) if action.old_join else "-",
            format_occurrence(action.new_join) if action.new_join else "-",
            action.reason,
        )
        for action in actions
        if action.kind != KEEP
    ]
    header = ("action", "meeting", "start", "bot", "join now", "join after", "reason")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
    kept = sum(1 for action in actions if action.kind == KEEP)
    lines.append(f"{kept} kept as they are.")
    return "\n".join(line.rstrip() for line in lines)
