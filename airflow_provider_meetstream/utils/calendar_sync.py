"""The calendar sync's plan: which bots to add, move, cancel or keep so that they match the calendar."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_meetstream.constants import MAX_DEDUPLICATION_KEY_LENGTH
from airflow_provider_meetstream.recurrence import format_occurrence
from airflow_provider_meetstream.utils.calendar_meetings import Calendar, Meeting
from airflow_provider_meetstream.utils.selection import Selection
from airflow_provider_meetstream.utils.workspace_bots import LONE_SLOT_REACH, ListedBot

_UTC = timezone.utc

ADD, MOVE, CANCEL, KEEP, SKIP, FAILED = "add", "move", "cancel", "keep", "skip", "failed"
#: The reason a selected meeting is left to a bot the sync did not make; the plan's log shows these.
OTHER_OWNER = "recorded by another owner's bot"


@dataclass(frozen=True)
class Action:
    """
    One step of the plan.

    :param kind: ``add``, ``move``, ``cancel``, ``keep``, or ``skip`` (a meeting not to record).
    :param deduplication_key: The bot's key.
    :param meeting: The meeting, when the calendar still has it.
    :param bot_id: The existing bot, for move, cancel and keep.
    :param old_join: Its join time now.
    :param new_join: Its join time after the step.
    :param reason: Why, in a few words.
    :param displaces: For an add that takes a meeting over: the other owner's bot it replaces.
    """

    kind: str
    deduplication_key: str
    meeting: Meeting | None
    bot_id: str | None = None
    old_join: datetime | None = None
    new_join: datetime | None = None
    reason: str = ""
    displaces: str | None = None

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

    An identity that would make the key longer than MeetStream takes, or unprintable, is replaced
    by its SHA-256: the sync builds the key from calendar data, so it makes it fit (a key a user
    gives is refused instead, by ``validation.deduplication_key``).

    :param sync_id: The sync's id.
    :param identity: :attr:`Meeting.identity`.
    """
    key = f"{sync_id}|{identity}"
    if len(key) > MAX_DEDUPLICATION_KEY_LENGTH or not key.isprintable():
        key = f"{sync_id}|sha256:{hashlib.sha256(identity.encode('utf-8', 'surrogatepass')).hexdigest()}"
    return key


def our_bots(
    sync_id: str, bots: Iterable[ListedBot], now: datetime, list_reach: datetime | None = None
) -> dict[str, ListedBot]:
    """
    The bots this sync owns, by key: those whose deduplication key starts with ``f"{sync_id}|"``.

    When one key shows more than one bot, the one still waiting wins, then the one joining last.

    :param sync_id: The sync's id.
    :param bots: :func:`~airflow_provider_meetstream.utils.workspace_bots.listed_bots`.
    :param now: The instant that tells a waiting bot from one that joined.
    :param list_reach: Up to when the scheduled list shows every waiting bot (:meth:`ListedBot.waiting`).
    """
    prefix = f"{sync_id}|"
    found: dict[str, ListedBot] = {}
    for bot in bots:
        key = bot.deduplication_key
        if key is None or not key.startswith(prefix):
            continue
        held = found.get(key)
        if held is None or _rank(bot, now, list_reach) > _rank(held, now, list_reach):
            found[key] = bot
    return found


def _rank(bot: ListedBot, now: datetime, list_reach: datetime | None) -> tuple[bool, datetime]:
    return bot.waiting(now, list_reach), bot.join_time or datetime.min.replace(tzinfo=_UTC)


def plan(
    calendar: Calendar,
    bots: Sequence[ListedBot],
    *,
    sync_id: str,
    selection: Selection,
    window_start: datetime,
    window_end: datetime,
    join_lead: timedelta,
    now: datetime,
    list_reach: datetime | None = None,
    take_over: bool = False,
) -> list[Action]:
    """
    What makes MeetStream's bots match the calendar in a window, one bot per meeting.

    - **add** a selected meeting that has no bot at all, or whose bot of ours joined at the
      meeting's old time (it moved after that);
    - **keep** a selected meeting that has another owner's bot (a key that is not this sync's):
      the meeting is recorded, and scheduling on it would displace that bot; with ``take_over``
      it is an **add** that replaces it;
    - **move** our waiting bot whose meeting's start changed: its join time becomes the start less
      ``join_lead``, on the same event and key;
    - **cancel** our waiting bot whose meeting was deleted, cancelled, moved out of the window or
      is no longer selected, when its join time falls in the window's reach;
    - **skip** a meeting of the window that the filters keep and the rules leave out, when it has
      no bot of ours to cancel, with the rules' reason (what the filters leave out is not listed);
    - **keep** the rest, including every bot that has joined or finished: a sync never touches those.

    :param calendar: :func:`read_calendar`'s result for the window.
    :param bots: Every listed bot, ours and others'
        (:func:`~airflow_provider_meetstream.utils.workspace_bots.listed_bots`).
    :param sync_id: The sync's id, the prefix of every key it owns.
    :param selection: Which meetings to record.
    :param window_start: The window's start.
    :param window_end: The window's end.
    :param join_lead: How long before its meeting a bot joins.
    :param now: The instant that tells a waiting bot from one that joined.
    :param list_reach: Up to when the scheduled list shows every waiting bot; there it alone tells
        which bots wait (:meth:`ListedBot.waiting`).
    :param take_over: Replace another owner's bot on a selected meeting instead of keeping it.
    """
    ours = our_bots(sync_id, bots, now, list_reach)
    others = [bot for bot in bots if bot.deduplication_key not in ours]
    starts = _starts_by_event(calendar)
    actions: list[Action] = []
    wanted: set[str] = set()
    unwanted: dict[str, str] = {}

    def cancellable(bot: ListedBot | None) -> bool:
        return (
            bot is not None
            and bot.waiting(now, list_reach)
            and bot.join_time is not None
            and window_start - join_lead <= bot.join_time < window_end
        )

    for identity, meeting in sorted(calendar.meetings.items(), key=lambda item: (item[1].start, item[0])):
        if not window_start <= meeting.start < window_end:
            continue
        key = deduplication_key(sync_id, identity)
        filtered = selection.left_out(meeting)
        decision = filtered or selection.by_rules(meeting)
        if not decision.record:
            # What the filters leave out is not listed (a calendar holds meetings that are none of
            # the sync's business); what the rules leave out is, with the reason.
            unwanted[key] = "" if filtered else f" ({decision.reason})"
            if filtered is None and not cancellable(ours.get(key)):
                actions.append(Action(SKIP, key, meeting, reason=decision.reason))
            continue
        wanted.add(key)
        # Whole seconds, as join times travel: a start with microseconds must not look moved.
        join = (meeting.start - join_lead).replace(microsecond=0)
        bot = ours.get(key)
        joined = bot is not None and not bot.waiting(now, list_reach)
        if bot is not None and joined and _done_at_another_time(bot, meeting, now):
            # It joined and left at the meeting's old time, before the meeting moved: this time
            # needs a bot of its own (one still in the room is left alone).
            actions.append(Action(ADD, key, meeting, new_join=join, reason="its bot joined at the old time"))
        elif bot is None:
            seats = calendar.seats.get(identity) or ((meeting.event_id, None),)
            holder = next(
                (
                    other
                    for other in others
                    if any(other.sits_on(event, slot, starts.get(event, ())) for event, slot in seats)
                    and (other.waiting(now, list_reach) or _for_this_time(other, meeting))
                ),
                None,
            )
            if holder is None:
                actions.append(Action(ADD, key, meeting, new_join=join, reason="no bot yet"))
            elif take_over:
                reason = f"taken over from another owner's bot (key {short_key(holder.deduplication_key)})"
                actions.append(
                    Action(ADD, key, meeting, new_join=join, reason=reason, displaces=holder.bot_id)
                )
            else:
                reason = recorded_by(holder.deduplication_key)
                actions.append(Action(KEEP, key, meeting, holder.bot_id, holder.join_time, None, reason))
        elif joined:
            actions.append(
                Action(KEEP, key, meeting, bot.bot_id, bot.join_time, bot.join_time, "joined or finished")
            )
        elif bot.join_time is None or bot.join_time.replace(microsecond=0) != join:
            actions.append(Action(MOVE, key, meeting, bot.bot_id, bot.join_time, join, "the meeting moved"))
        else:
            actions.append(Action(KEEP, key, meeting, bot.bot_id, join, join, "up to date"))
    for key, bot in sorted(ours.items()):
        if key in wanted or not cancellable(bot):
            continue
        known = _identity_of(key, sync_id, calendar)
        last_seen = calendar.meetings.get(known) if known else None
        if key in unwanted:
            reason = f"the meeting is no longer selected{unwanted[key]}"
        else:
            reason = _why_unwanted(known, last_seen, calendar)
        actions.append(Action(CANCEL, key, last_seen, bot.bot_id, bot.join_time, None, reason))
    return actions


def _starts_by_event(calendar: Calendar) -> dict[str, list[datetime]]:
    """Each series' listed occurrences, by the event they are scheduled on (copies included)."""
    starts: dict[str, list[datetime]] = {}
    for seats in calendar.seats.values():
        for event_id, occurrence in seats:
            if occurrence is not None:
                starts.setdefault(event_id, []).append(occurrence)
    return starts


def _done_at_another_time(bot: ListedBot, meeting: Meeting, now: datetime) -> bool:
    """Whether our bot joined for another time of the meeting, and that meeting is over by now."""
    join = bot.join_time
    return (
        join is not None and not _for_this_time(bot, meeting) and join + (meeting.end - meeting.start) < now
    )


def _for_this_time(bot: ListedBot, meeting: Meeting) -> bool:
    """Whether a bot that joined did so for the meeting at its present time (unknown counts)."""
    join = bot.join_time
    return join is None or meeting.start - LONE_SLOT_REACH <= join < meeting.end


def recorded_by(key: str | None) -> str:
    """Why a meeting is left to a bot of another owner: :data:`OTHER_OWNER` and that bot's key."""
    return f"{OTHER_OWNER} (key {short_key(key)})"


def short_key(key: str | None) -> str:
    """A deduplication key as a log line shows it: quoted, and cut at 80 characters (keys run far longer)."""
    if key is None:
        return "unknown"
    shown = repr(key)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _identity_of(key: str, sync_id: str, calendar: Calendar) -> str | None:
    for identity in (*calendar.meetings, *calendar.cancelled):
        if deduplication_key(sync_id, identity) == key:
            return identity
    return None


def _why_unwanted(identity: str | None, meeting: Meeting | None, calendar: Calendar) -> str:
    if identity in calendar.cancelled:
        return "the meeting was cancelled"
    if meeting is None:
        return "the meeting is no longer in the calendar"
    return "the meeting moved out of the window"


#: A written step: the action, MeetStream's answer, and the error when it failed.
Outcome = tuple[Action, dict[str, Any], str | None]


def sync_report(
    sync_id: str,
    window_start: datetime,
    window_end: datetime,
    truncated: bool,
    actions: Sequence[Action],
    outcomes: Sequence[Outcome],
) -> dict[str, Any]:
    """
    The sync's XCom: the plan as carried out, small and JSON-ready.

    An add that MeetStream refused with a 409 naming another owner's bot is reported kept, with
    that bot and the reason; a cancel that found its bot gone is reported cancelled, and says so.

    :param sync_id: The sync's id.
    :param window_start: The window's start.
    :param window_end: The window's end.
    :param truncated: The scheduled page may have hidden bots.
    :param actions: The plan.
    :param outcomes: What each write did (none in a dry run).
    """
    results = {id(action): (answer, error) for action, answer, error in outcomes}
    names = {ADD: "added", MOVE: "moved", CANCEL: "cancelled", KEEP: "kept", SKIP: "skipped"}
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in names.values()}
    tally = dict.fromkeys(names, 0)
    failed: list[dict[str, Any]] = []
    for action in actions:
        answer, error = results.get(id(action), ({}, None))
        item, kind = action.summary(), action.kind
        if answer.get("skipped"):
            kind = KEEP
            item.update(bot_id=answer.get("bot_id"), new_join=None, reason=answer.get("reason"))
        elif kind == ADD:
            item["bot_id"] = answer.get("bot_id")
        elif kind == CANCEL and answer.get("already_gone"):
            item["reason"] = f"{action.reason} (the bot was already gone)"
        tally[kind] += 1
        if error is None:
            lists[names[kind]].append(item)
        else:
            failed.append({**action.summary(), "action": action.kind, "reason": error})
    return {
        "sync_id": sync_id,
        "window_start": window_start.isoformat(),
        "window_end": window_end.isoformat(),
        "truncated": truncated,
        **lists,
        "failed": failed,
        "counts": {**tally, FAILED: len(failed)},
        "bot_ids": sorted(
            str(item["bot_id"]) for item in lists["added"] + lists["moved"] if item.get("bot_id")
        ),
    }


def _shown(action: Action) -> bool:
    return action.kind != KEEP or action.reason.startswith(OTHER_OWNER)


def format_plan(actions: Sequence[Action]) -> str:
    """
    The plan as a short table for the task log.

    One row per add, move, cancel and skip (with the reason a meeting is not recorded), and per
    meeting left to another owner's bot (with whose); the bots kept as they are are counted.
    """
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
        if _shown(action)
    ]
    header = ("action", "meeting", "start", "bot", "join now", "join after", "reason")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
    kept = sum(1 for action in actions if not _shown(action))
    lines.append(f"{kept} kept as they are.")
    return "\n".join(line.rstrip() for line in lines)
