"""What the bot-finished watcher decides without a network: each bot's outcome, its mark, its events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from airflow_provider_meetstream.constants import BotStatus
from airflow_provider_meetstream.utils.harvest import Bot, Scope

#: A bot's two announced outcomes: its meeting's data is ready, or it ended in failure.
READY, FAILED = "ready", "failed"
#: The version of the mark's JSON; a mark of another version is not trusted (a new baseline).
MARK_VERSION = 2


def outcome(status: str, transcript_ready: bool = False) -> str | None:
    """
    What a bot in ``status`` is announced as, or None while it is not announced.

    ``Done`` is ready, and so is ``Stopped`` once its transcript is; ``Stopped`` alone is not,
    because its data is still processing. The failed ends are failed. ``Cancelled`` is never
    announced: the bot never met.

    :param status: The bot's status.
    :param transcript_ready: Whether its transcript is complete.
    """
    if status == BotStatus.DONE or (status == BotStatus.STOPPED and transcript_ready):
        return READY
    if status in BotStatus.FAILED_STATUSES:
        return FAILED
    return None


@dataclass(frozen=True)
class Mark:
    """
    How far a watcher has come: when it took its baseline, and the bots it will not announce again.

    ``seen`` holds the bots announced since the baseline and those that had ended at it, each with
    its meeting's end (else its start) in epoch seconds, or None when the listing said neither.
    ``floor`` is the oldest end still announced: it only moves forward, so a shorter ``lookback``
    once, or a clock stepped back, never brings back a bot pruned before. Pruning keeps the bots
    that ended at or after the floor, and the undated ones while they are listed: the mark's size
    follows the window, not the workspace's history.

    :param baseline: When the watcher first looked, ISO 8601.
    :param seen: The bots never to announce again, with their meeting's time.
    :param floor: Epoch seconds; a bot whose meeting ended before is never announced. None: none yet.
    """

    baseline: str
    seen: Mapping[str, int | None]
    floor: int | None = None

    @classmethod
    def first(cls, bots: Iterable[Bot], now: datetime) -> Mark:
        """
        The mark of a watcher's first look: every bot that had already ended is seen.

        Those meetings are the hourly harvest's to land; a new watcher does not start a burst of runs.

        :param bots: The bots in scope.
        :param now: When it looked.
        """
        ended = {bot.bot_id: _when(bot) for bot in bots if bot.status in BotStatus.TERMINAL_STATUSES}
        return cls(baseline=now.isoformat(), seen=ended)

    @classmethod
    def read(cls, value: Any) -> Mark | None:
        """
        A mark stored by :meth:`to_json`; None for nothing stored, or anything else (a new baseline).

        :param value: The stored JSON value.
        """
        if not isinstance(value, Mapping) or value.get("version") != MARK_VERSION:
            return None
        baseline, seen, floor = value.get("baseline"), value.get("seen"), value.get("floor")
        if not isinstance(baseline, str) or not isinstance(seen, Mapping) or not _epoch(floor, True):
            return None
        if not all(_epoch(when, True) for when in seen.values()):
            return None
        return cls(baseline=baseline, seen={str(bot_id): when for bot_id, when in seen.items()}, floor=floor)

    def to_json(self) -> dict[str, Any]:
        """The mark as the asset state store keeps it: JSON, the ids sorted."""
        return {
            "version": MARK_VERSION,
            "baseline": self.baseline,
            "floor": self.floor,
            "seen": dict(sorted(self.seen.items())),
        }

    def with_seen(self, bot: Bot) -> Mark:
        """This mark, with one more bot announced."""
        return replace(self, seen={**self.seen, bot.bot_id: _when(bot)})

    def without(self, bot_ids: Iterable[str]) -> Mark:
        """This mark, without these bots: as it may be stored while their events are not yet."""
        dropped = set(bot_ids)
        return (
            replace(self, seen={k: v for k, v in self.seen.items() if k not in dropped}) if dropped else self
        )

    def pruned(self, bots: Iterable[Bot], horizon: datetime) -> Mark:
        """
        This mark with its floor moved to ``horizon`` (never back), and only the bots still in the window.

        A bot dropped here is never announced again: :func:`pending` skips every bot that ended
        before the floor. An undated bot is kept while it is listed: it has no age to go by.

        :param bots: The bots in scope, as listed now.
        :param horizon: The start of the lookback window.
        """
        floor = max(int(horizon.timestamp()), self.floor or 0)
        listed = {bot.bot_id for bot in bots}
        kept = {
            bot_id: when
            for bot_id, when in self.seen.items()
            if (when is not None and when >= floor) or (when is None and bot_id in listed)
        }
        return (
            self if (kept, floor) == (dict(self.seen), self.floor) else replace(self, seen=kept, floor=floor)
        )


def _when(bot: Bot) -> int | None:
    # A bot's place in time: its meeting's end, else its start; epoch seconds.
    moment = bot.end or bot.start
    return None if moment is None else int(moment.timestamp())


def _epoch(value: Any, optional: bool) -> bool:
    return (value is None and optional) or (isinstance(value, int) and not isinstance(value, bool))


def pending(mark: Mark, bots: Iterable[Bot], horizon: datetime) -> tuple[list[Bot], list[Bot]]:
    """
    The bots in scope to announce now, and the ``Stopped`` ones whose transcript decides.

    A bot already seen, or whose meeting ended before ``horizon`` or the mark's floor, is neither;
    a bot listed twice counts once.

    :param mark: The watcher's mark.
    :param bots: The bots in scope, as listed now.
    :param horizon: The start of the lookback window.
    """
    floor = max(int(horizon.timestamp()), mark.floor or 0)
    due: dict[str, Bot] = {}
    stopped: dict[str, Bot] = {}
    for bot in bots:
        when = _when(bot)
        if bot.bot_id in mark.seen or (when is not None and when < floor):
            continue
        if outcome(bot.status) is not None:
            due.setdefault(bot.bot_id, bot)
        elif bot.status == BotStatus.STOPPED:
            stopped.setdefault(bot.bot_id, bot)
    return list(due.values()), list(stopped.values())


def payload(bot: Bot, title: str | None) -> dict[str, Any]:
    """
    One event's payload: the bot, its meeting and how it ended; never a link, a key or a body.

    :param bot: The bot, as listed.
    :param title: Its meeting's title from the calendar, when known.
    """
    return {
        "bot_id": bot.bot_id,
        "event_id": bot.event_id,
        "occurrence_date": bot.occurrence_date,
        "title": title,
        "status": bot.status,
        "outcome": outcome(bot.status, transcript_ready=True),
        "reason": bot.reason,
        "end_time": None if bot.end is None else bot.end.isoformat(),
    }


def mark_key(meetstream_conn_id: str, scope: Scope) -> str:
    """
    The asset state store's key of a watcher's mark: one per connection and scope.

    Two watchers of one asset with different scopes keep two marks; a changed ``poll_interval``
    keeps the mark it had.

    :param meetstream_conn_id: The watcher's connection.
    :param scope: Its scope.
    """
    identity = json.dumps([meetstream_conn_id, scope.prefix, scope.bot_ids])
    return f"meetstream.bot_finished.{hashlib.sha256(identity.encode()).hexdigest()[:16]}"


def backoff(poll_interval: float, failures: int, longest: float = 900.0) -> float:
    """
    Seconds to wait after ``failures`` failed polls in a row: doubling from ``poll_interval``.

    :param poll_interval: The watcher's interval.
    :param failures: Failed polls in a row, 1 or more.
    :param longest: The cap, unless ``poll_interval`` itself is longer.
    """
    return float(min(poll_interval * 2 ** min(failures - 1, 20), max(longest, poll_interval)))
