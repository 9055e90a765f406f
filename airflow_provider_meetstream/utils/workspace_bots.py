"""The bots MeetStream lists, on events and in the scheduled list, and which meeting each one sits on."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_meetstream.recurrence import RecurrenceError, parse_aware_datetime

#: A listed bot that says not which occurrence it is on sits on the one whose start is nearest its
#: join time, within this reach (MeetStream's own lead is three minutes; a join_at may be earlier).
SLOT_REACH = timedelta(days=1)
#: The same reach when no other occurrence is known to be nearer: a daily series' next bot must
#: not count as today's.
LONE_SLOT_REACH = timedelta(hours=1)


@dataclass(frozen=True)
class ListedBot:
    """
    One bot as MeetStream lists it: on an event (its ``bots``) or in ``GET /calendar/scheduled``.

    A field MeetStream does not give is None: unknown, never a match.

    :param bot_id: The bot.
    :param deduplication_key: The key it was scheduled under: who owns it.
    :param event_id: The MeetStream event it is scheduled on.
    :param occurrence: The occurrence of a series it is scheduled on, UTC.
    :param join_time: When it joins, UTC.
    :param scheduled: MeetStream says it has not joined yet: the scheduled list shows it, or its
        status is ``Scheduled``.
    """

    bot_id: str
    deduplication_key: str | None
    event_id: str | None
    occurrence: datetime | None
    join_time: datetime | None
    scheduled: bool = False

    def waiting(self, now: datetime, list_reach: datetime | None = None) -> bool:
        """
        True while the bot has not joined: listed as scheduled, or joining later than ``now``.

        The events' ``bots`` carry no status; a cancelled bot leaves them, so a bot listed there
        with a join time ahead is still waiting, and one whose join time has passed has joined.
        Where the scheduled list is known to show every waiting bot (up to ``list_reach``), it
        alone decides, so that a clock apart from MeetStream's cannot take a bot that joined for
        one that waits.

        :param now: The instant to judge at, aware.
        :param list_reach: The scheduled list shows every bot that joins up to this instant
            (:func:`list_reach`), or None when it may leave any out.
        """
        if self.scheduled:
            return True
        if self.join_time is None or (list_reach is not None and self.join_time <= list_reach):
            return False
        return self.join_time > now

    def sits_on(self, event_id: str, occurrence: datetime | None, starts: Sequence[datetime] = ()) -> bool:
        """
        True when the bot is the bot of this event, or of this occurrence of it.

        Without an occurrence asked for, every bot of the event is. Otherwise the bot's own
        occurrence must be that one; when MeetStream does not say which (its listing's items
        carry no such field), the bot is on the occurrence nearest its join time, among
        ``starts`` and ``occurrence``, within :data:`SLOT_REACH` of it (:data:`LONE_SLOT_REACH`
        without ``starts``): each bot on one occurrence only, however close the series'
        occurrences are.

        :param event_id: MeetStream's event id.
        :param occurrence: The occurrence's start, UTC, or None.
        :param starts: The event's other known occurrences, to tell which one is nearest.
        """
        if self.event_id != event_id:
            return False
        if occurrence is None:
            return True
        if self.occurrence is not None:
            return self.occurrence == occurrence
        join = self.join_time
        if join is None or abs(join - occurrence) >= (SLOT_REACH if starts else LONE_SLOT_REACH):
            return False
        return min((*starts, occurrence), key=lambda start: (abs(start - join), start)) == occurrence


def listed_bots(
    events: Iterable[Mapping[str, Any]], scheduled: Iterable[Mapping[str, Any]]
) -> list[ListedBot]:
    """
    Every bot the events' ``bots`` and the scheduled list show, once per event it sits on.

    A bot the scheduled list shows is marked so; one it shows on no listed event is kept from the
    list alone (its ``custom_attributes`` name its event and key). An item without a ``bot_id``
    that is a non-empty string is not a bot.

    :param events: ``GET /calendar/events`` results, with their ``bots``.
    :param scheduled: ``GET /calendar/scheduled``'s ``scheduled_bots``.
    """
    from_list = {
        bot.bot_id: bot
        for bot in (bot_from_answer(item, listed=True) for item in scheduled)
        if bot is not None
    }
    found: list[ListedBot] = []
    on_events: set[str] = set()
    for event in events:
        for bot_id, item in event_items(event):
            on_events.add(bot_id)
            found.append(
                ListedBot(
                    bot_id,
                    _text(item.get("deduplication_key")),
                    _text(event.get("id")),
                    _instant(item.get("occurrence_date")),
                    _instant(item.get("start_time")),
                    scheduled=bot_id in from_list,
                )
            )
    found.extend(bot for bot_id, bot in from_list.items() if bot_id not in on_events)
    return found


def event_items(event: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """
    The bots an event of ``GET /calendar/events`` lists, as ``(bot_id, item)``, in its order.

    The item fields are not documented: an item that is not an object, or whose ``bot_id`` is not a
    non-empty string, is not a bot.

    :param event: The event, as listed.
    """
    items = event.get("bots")
    for item in items if isinstance(items, list) else ():
        bot_id = item.get("bot_id") if isinstance(item, Mapping) else None
        if isinstance(bot_id, str) and bot_id:
            yield bot_id, item


def bot_from_answer(answer: Mapping[str, Any], *, listed: bool = False) -> ListedBot | None:
    """
    A bot from an answer that describes one: a scheduled list item or ``GET /bots/{id}/status``.

    Each field is read at the top level, else from ``custom_attributes`` (where MeetStream puts a
    calendar bot's ``event_id`` and ``deduplication_key``). None when the answer has no ``bot_id``.

    :param answer: The item or answer.
    :param listed: The answer is an item of the scheduled list, which shows only waiting bots.
    """
    attributes = answer.get("custom_attributes")
    attributes = attributes if isinstance(attributes, Mapping) else {}

    def field(name: str) -> Any:
        value = answer.get(name)
        return value if value not in (None, "") else attributes.get(name)

    bot_id = _text(answer.get("bot_id"))
    if bot_id is None:
        return None
    return ListedBot(
        bot_id,
        _text(field("deduplication_key")),
        _text(field("event_id")),
        _instant(field("occurrence_date")),
        _instant(answer.get("scheduled_join_time")),
        scheduled=listed or answer.get("status") == "Scheduled",
    )


def other_owners(
    bots: Iterable[ListedBot],
    seats: Iterable[tuple[str, datetime | None]],
    own: Callable[[str], bool],
    now: datetime,
    starts: Sequence[datetime] = (),
) -> list[ListedBot]:
    """
    The live bots of other keys on a meeting: those a schedule of the caller's would displace.

    A bot counts while it waits to join, or when its join time is unknown.

    :param bots: :func:`listed_bots`.
    :param seats: Where the meeting is listed: ``(event id, occurrence or None)`` pairs.
    :param own: Tells the caller's own keys (a bot whose key is unknown is never its own).
    :param now: The instant that tells a waiting bot from one that joined.
    :param starts: The event's known occurrences (:meth:`ListedBot.sits_on`).
    """
    places = list(seats)
    return [
        bot
        for bot in bots
        if not (bot.deduplication_key is not None and own(bot.deduplication_key))
        and (bot.join_time is None or bot.waiting(now))
        and any(bot.sits_on(*place, starts) for place in places)
    ]


def list_reach(scheduled: Sequence[Mapping[str, Any]], limit: int) -> datetime | None:
    """
    Up to when a scheduled page shows every waiting bot; None when it may leave out any.

    The list has no cursor. A page that is not full shows them all (the answer is the latest
    instant there is); a full page ordered by join time shows all those joining up to its last.

    :param scheduled: The page.
    :param limit: The ``limit`` it was asked with.
    """
    if len(scheduled) < limit:
        return datetime.max.replace(tzinfo=timezone.utc)
    joins = [_instant(item.get("scheduled_join_time")) for item in scheduled]
    known = [join for join in joins if join is not None]
    if len(known) < len(joins) or not all(a <= b for a, b in itertools.pairwise(known)):
        return None
    return known[-1]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _instant(value: Any) -> datetime | None:
    try:
        return parse_aware_datetime(value, "instant").astimezone(timezone.utc)
    except (RecurrenceError, OverflowError):
        return None
