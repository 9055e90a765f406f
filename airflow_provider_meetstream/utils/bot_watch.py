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
MARK_VERSION = 1


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

    ``seen`` holds the bots announced since the baseline and those that had ended at it. It is
    pruned to the bots still listed in scope whose meeting may have ended within the lookback, so
    its size follows the window, not the workspace's history.

    :param baseline: When the watcher first looked, ISO 8601.
    :param seen: The bot ids never to announce again.
    """

    baseline: str
    seen: frozenset[str]

    @classmethod
    def first(cls, bots: Iterable[Bot], now: datetime) -> Mark:
        """
        The mark of a watcher's first look: every bot that had already ended is seen.

        Those meetings are the hourly harvest's to land; a new watcher does not start a burst of runs.

        :param bots: The bots in scope.
        :param now: When it looked.
        """
        ended = frozenset(bot.bot_id for bot in bots if bot.status in BotStatus.TERMINAL_STATUSES)
        return cls(baseline=now.isoformat(), seen=ended)

    @classmethod
    def read(cls, value: Any) -> Mark | None:
        """
        A mark stored by :meth:`to_json`; None for nothing stored, or anything else (a new baseline).

        :param value: The stored JSON value.
        """
        if not isinstance(value, Mapping) or value.get("version") != MARK_VERSION:
            return None
        baseline, seen = value.get("baseline"), value.get("seen")
        if not isinstance(baseline, str) or not isinstance(seen, list):
            return None
        return cls(baseline=baseline, seen=frozenset(str(bot_id) for bot_id in seen))

    def to_json(self) -> dict[str, Any]:
        """The mark as the asset state store keeps it: JSON, the ids sorted."""
        return {"version": MARK_VERSION, "baseline": self.baseline, "seen": sorted(self.seen)}

    def with_seen(self, bot_id: str) -> Mark:
        """This mark, with one more bot announced."""
        return replace(self, seen=self.seen | {bot_id})

    def pruned(self, bots: Iterable[Bot], horizon: datetime) -> Mark:
        """
        This mark, keeping only the bots still listed whose meeting did not end before ``horizon``.

        A bot dropped here is never announced again: :func:`pending` skips every bot that ended
        before the horizon.

        :param bots: The bots in scope, as listed now.
        :param horizon: The start of the lookback window.
        """
        kept = frozenset(bot.bot_id for bot in bots if not bot.ended_before(horizon)) & self.seen
        return self if kept == self.seen else replace(self, seen=kept)


def pending(mark: Mark, bots: Iterable[Bot], horizon: datetime) -> tuple[list[Bot], list[Bot]]:
    """
    The bots in scope to announce now, and the ``Stopped`` ones whose transcript decides.

    A bot already seen, or whose meeting ended before ``horizon``, is neither.

    :param mark: The watcher's mark.
    :param bots: The bots in scope, as listed now.
    :param horizon: The start of the lookback window.
    """
    due, stopped = [], []
    for bot in bots:
        if bot.bot_id in mark.seen or bot.ended_before(horizon):
            continue
        if outcome(bot.status) is not None:
            due.append(bot)
        elif bot.status == BotStatus.STOPPED:
            stopped.append(bot)
    return due, stopped


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
