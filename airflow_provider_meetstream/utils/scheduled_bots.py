"""What ListScheduledSensor and its trigger share: the condition on the scheduled list, and its verdict."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import MAX_LIST_LIMIT, BotStatus, Logger
from airflow_provider_meetstream.exceptions import (
    MeetStreamBotCancelledError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
)

WAIT_FOR = ("scheduled", "gone")


@dataclass(frozen=True)
class Verdict:
    """
    What one look at the scheduled list says.

    :param done: The condition holds, as far as the page shows.
    :param matches: The listed bots that fit every filter.
    :param truncated: The page came back full, so more bots may exist than were listed.
    :param to_confirm: Bot ids the page cannot settle; their ``GET /bots/{id}/status`` decides
        (see :meth:`ScheduledCriteria.settle`). ``"gone"`` on a full page: the ids might hide beyond
        it. ``"scheduled"``: ids not listed, because a bot leaves the list once it joins.
    """

    done: bool
    matches: list[dict[str, Any]]
    truncated: bool
    to_confirm: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduledCriteria:
    """
    The sensor's condition, evaluated the same way in poke, reschedule and deferrable modes.

    A bot matches when it fits every filter given: ``event_id`` and ``deduplication_key`` are read
    from its ``custom_attributes``; ``bot_ids`` from its ``bot_id``.

    :param event_id: Only bots scheduled for this event.
    :param deduplication_key: Only bots scheduled with this key.
    :param bot_ids: Only these bots.
    :param min_count: With ``"scheduled"`` and no ``bot_ids``: how many matches are enough; at
        most ``limit``.
    :param wait_for: ``"scheduled"``: enough matches are listed (every id of ``bot_ids``, or at
        least ``min_count``). ``"gone"``: none is listed any more (joined, finished or cancelled).
    :param limit: The page size asked for, 1 to 100; a full page may be truncated.
    """

    event_id: str | None = None
    deduplication_key: str | None = None
    bot_ids: tuple[str, ...] | None = None
    min_count: int = 1
    wait_for: str = "scheduled"
    limit: int = MAX_LIST_LIMIT

    @classmethod
    def build(
        cls,
        *,
        event_id: Any = None,
        deduplication_key: Any = None,
        bot_ids: Any = None,
        min_count: Any = 1,
        wait_for: Any = "scheduled",
        limit: Any = MAX_LIST_LIMIT,
    ) -> ScheduledCriteria:
        """Validate rendered sensor arguments and build the criteria; errors name the argument."""
        validation.one_of(wait_for, "wait_for", WAIT_FOR)
        validation.integer(limit, "limit", 1, MAX_LIST_LIMIT)
        validation.integer(min_count, "min_count", 1, 10_000)
        if min_count > limit:
            # The list has no cursor: more bots than one page holds can never be seen at once.
            raise MeetStreamInputError(
                "min_count", min_count, f"cannot exceed limit={limit}, the most bots one page can show"
            )
        # Each id may be sent in a path later (a status read, the event's own listing): it is
        # checked as such now, so that a bad one is refused before the first listing is sent.
        if event_id is not None:
            validation.path_segment(event_id, "event_id")
        if deduplication_key is not None:
            validation.deduplication_key(deduplication_key)
        ids = validation.bot_ids(bot_ids)
        return cls(
            event_id=event_id,
            deduplication_key=deduplication_key,
            bot_ids=ids,
            min_count=min_count,
            wait_for=wait_for,
            limit=limit,
        )

    def matches(self, bot: dict[str, Any]) -> bool:
        """Tell whether one listed bot fits every filter given."""
        attributes = bot.get("custom_attributes") or {}
        if self.event_id is not None and attributes.get("event_id") != self.event_id:
            return False
        if (
            self.deduplication_key is not None
            and attributes.get("deduplication_key") != self.deduplication_key
        ):
            return False
        return self.bot_ids is None or bot.get("bot_id") in self.bot_ids

    def evaluate(self, bots: Iterable[dict[str, Any]]) -> Verdict:
        """
        Judge one page of ``GET /calendar/scheduled``.

        :param bots: The ``scheduled_bots`` of the page.
        """
        listed = list(bots)
        matches = [bot for bot in listed if self.matches(bot)]
        truncated = len(listed) >= self.limit
        if self.wait_for == "gone":
            if matches:
                return Verdict(False, matches, truncated)
            if not truncated:
                return Verdict(True, matches, truncated)
            # A full page may hide a bot that is still scheduled: only ids can be checked one by one,
            # and without ids the sensor keeps waiting rather than report a false success.
            return Verdict(False, matches, truncated, to_confirm=self.bot_ids or ())
        if self.bot_ids is None:
            return Verdict(len(matches) >= self.min_count, matches, truncated)
        listed_ids = {bot.get("bot_id") for bot in matches}
        missing = tuple(bot_id for bot_id in self.bot_ids if bot_id not in listed_ids)
        return Verdict(not missing, matches, truncated, to_confirm=missing)

    def settle(self, verdict: Verdict, statuses: Sequence[dict[str, Any] | None]) -> bool:
        """
        Decide with the statuses of ``verdict.to_confirm``, in order (None where MeetStream answered 404).

        ``"gone"``: every bot's status is anything but ``Scheduled`` (joined, finished or cancelled)
        or the bot is unknown. ``"scheduled"``: every bot exists; a bot that already joined its
        meeting has left the list but was scheduled all the same.

        :param verdict: What the page said.
        :param statuses: One status answer per id of ``verdict.to_confirm``.
        :raises MeetStreamBotCancelledError: With ``"scheduled"``, when a bot was cancelled: it never
            comes back, so waiting for it could only end in a timeout.
        """
        if verdict.done or not verdict.to_confirm:
            return verdict.done
        if self.wait_for == "gone":
            return all(
                status is None or status.get("status") not in BotStatus.WAITING_STATUSES
                for status in statuses
            )
        for bot_id, status in zip(verdict.to_confirm, statuses, strict=True):
            if status is not None and status.get("status") == BotStatus.CANCELLED:
                raise MeetStreamBotCancelledError(bot_id, BotStatus.CANCELLED.value)
        return all(status is not None for status in statuses)

    def describe(self) -> str:
        """One line naming the condition, for logs."""
        filters = [
            f"{name}={value!r}"
            for name, value in (
                ("event_id", self.event_id),
                ("deduplication_key", self.deduplication_key),
                ("bot_ids", list(self.bot_ids) if self.bot_ids is not None else None),
            )
            if value is not None
        ]
        target = (
            "none listed"
            if self.wait_for == "gone"
            else ("all listed" if self.bot_ids else f">= {self.min_count}")
        )
        return f"bots with {', '.join(filters) or 'any attributes'}: {target}"

    def serialize(self) -> dict[str, Any]:
        """The criteria as primitives, for a trigger."""
        return {
            "event_id": self.event_id,
            "deduplication_key": self.deduplication_key,
            "bot_ids": list(self.bot_ids) if self.bot_ids is not None else None,
            "min_count": self.min_count,
            "wait_for": self.wait_for,
            "limit": self.limit,
        }


def found_or_none(read: Callable[[str], dict[str, Any]], name: str) -> dict[str, Any] | None:
    """
    What ``read(name)`` answers, or None when MeetStream does not have it.

    Not having it is a 404 (an unknown bot), or an event the listing's window does not hold.

    :param read: ``MeetStreamHook.get_bot_status``, ``MeetStreamHook.get_event``...
    :param name: The bot or event.
    """
    try:
        return read(name)
    except MeetStreamNotFoundError:
        return None


async def afound_or_none(
    read: Callable[[str], Awaitable[dict[str, Any]]], name: str
) -> dict[str, Any] | None:
    """
    The async :func:`found_or_none`, for the trigger.

    :param read: ``MeetStreamAsyncClient.get_bot_status``, ``MeetStreamAsyncClient.get_event``...
    :param name: The bot or event.
    """
    try:
        return await read(name)
    except MeetStreamNotFoundError:
        return None


def result_bots(verdict: Verdict, statuses: Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """
    The sensor's XCom: the matching listed bots, then the status of each confirmed one that joined.

    :param verdict: What the page said.
    :param statuses: One status answer per id of ``verdict.to_confirm``, None where unknown.
    """
    return verdict.matches + [
        status
        for status in statuses
        if status is not None and status.get("status") in BotStatus.JOINED_STATUSES
    ]


def log_verdict(log: Logger, criteria: ScheduledCriteria, verdict: Verdict) -> None:
    """
    Log one look at the list: a warning when the page came back full, then what it showed.

    :param log: The sensor's or the trigger's logger.
    :param criteria: The condition.
    :param verdict: What the page said.
    """
    if verdict.truncated:
        log.warning(
            "MeetStream returned a full page of %d scheduled bots; the list may be truncated "
            "(the endpoint has no cursor), so bots beyond it cannot be seen.",
            criteria.limit,
        )
    log.info("%s -> %d match(es), done=%s", criteria.describe(), len(verdict.matches), verdict.done)
