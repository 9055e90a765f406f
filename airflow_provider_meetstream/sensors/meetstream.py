"""ListScheduledSensor: wait until MeetStream lists (or stops listing) the bots a DAG scheduled."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseSensorOperator, PokeReturnValue, conf

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.exceptions import (
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

WAIT_FOR = ("scheduled", "gone")
#: Statuses of a bot that is still waiting to join; any other status (or a 404) means it is gone
#: from the scheduled list.
WAITING_STATUSES = frozenset({"Scheduled"})
_JOINED = frozenset({"Joining", "InWaitingRoom", "InMeeting", "Recording", "Leaving", "Stopped", "Done"})


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
    :param min_count: With ``"scheduled"`` and no ``bot_ids``: how many matches are enough.
    :param wait_for: ``"scheduled"``: enough matches are listed (every id of ``bot_ids``, or at
        least ``min_count``). ``"gone"``: none is listed any more (joined, finished or cancelled).
    :param limit: The page size asked for, 1 to 100; a full page may be truncated.
    """

    event_id: str | None = None
    deduplication_key: str | None = None
    bot_ids: tuple[str, ...] | None = None
    min_count: int = 1
    wait_for: str = "scheduled"
    limit: int = validation.MAX_LIST_LIMIT

    @classmethod
    def build(
        cls,
        *,
        event_id: Any = None,
        deduplication_key: Any = None,
        bot_ids: Any = None,
        min_count: Any = 1,
        wait_for: Any = "scheduled",
        limit: Any = validation.MAX_LIST_LIMIT,
    ) -> ScheduledCriteria:
        """Validate rendered sensor arguments and build the criteria; errors name the argument."""
        validation.one_of(wait_for, "wait_for", WAIT_FOR)
        validation.bounded_int(limit, "limit", 1, validation.MAX_LIST_LIMIT)
        validation.bounded_int(min_count, "min_count", 1, 10_000)
        return cls(
            event_id=None if event_id is None else validation.non_empty_text(event_id, "event_id"),
            deduplication_key=None
            if deduplication_key is None
            else validation.non_empty_text(deduplication_key, "deduplication_key"),
            bot_ids=_bot_ids(bot_ids),
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
        or the bot is unknown. ``"scheduled"``: every bot exists and was not cancelled; a bot that
        already joined its meeting has left the list but was scheduled all the same.

        :param verdict: What the page said.
        :param statuses: One status answer per id of ``verdict.to_confirm``.
        """
        if verdict.done or not verdict.to_confirm:
            return verdict.done
        if self.wait_for == "gone":
            return all(status is None or status.get("status") not in WAITING_STATUSES for status in statuses)
        return all(status is not None and status.get("status") != "Cancelled" for status in statuses)

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


def _bot_ids(value: Any) -> tuple[str, ...] | None:
    """Bot ids from a list, one id, a ScheduleEventOperator XCom, or a list of those XComs."""
    if value is None:
        return None
    if isinstance(value, str):
        value = _parse_rendered(value)
    items = (
        [value] if isinstance(value, (str, dict)) else list(value) if isinstance(value, Iterable) else [value]
    )
    ids = [item.get("bot_id") if isinstance(item, dict) else item for item in items]
    valid = [bot_id for bot_id in ids if isinstance(bot_id, str) and _looks_like_an_id(bot_id)]
    if not ids or len(valid) != len(ids):
        raise MeetStreamInputError("bot_ids", value, "must be bot ids, or ScheduleEventOperator results")
    return tuple(valid)


def _looks_like_an_id(text: str) -> bool:
    # A template that rendered "None" or a Python repr is a mistake upstream, never a bot id.
    return bool(text) and text != "None" and not any(char.isspace() or char in "[](){}'\"" for char in text)


def _parse_rendered(value: str) -> Any:
    # A templated list or XCom dict renders to its Python form, e.g. "['a', 'b']", unless the DAG
    # renders native objects.
    if value.strip().startswith(("[", "{", "(")):
        import ast

        try:
            return ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise MeetStreamInputError("bot_ids", value, "is not a list of bot ids") from None
    return value.strip()


def _status_or_none(get_status: Any, bot_id: str) -> dict[str, Any] | None:
    try:
        status: dict[str, Any] = get_status(bot_id)
    except MeetStreamNotFoundError:
        return None
    return status


def _result(verdict: Verdict, statuses: Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The sensor's XCom: the matching listed bots, then the status of each confirmed one that joined."""
    return verdict.matches + [
        status for status in statuses if status is not None and status.get("status") in _JOINED
    ]


def _log_verdict(log: Any, criteria: ScheduledCriteria, verdict: Verdict) -> None:
    if verdict.truncated:
        log.warning(
            "MeetStream returned a full page of %d scheduled bots; the list may be truncated "
            "(the endpoint has no cursor), so bots beyond it cannot be seen.",
            criteria.limit,
        )
    log.info("%s -> %d match(es), done=%s", criteria.describe(), len(verdict.matches), verdict.done)


class ListScheduledSensor(BaseSensorOperator):
    """
    Wait until MeetStream's list of scheduled bots shows the bots a DAG expects, or none of them.

    With ``wait_for="scheduled"`` it succeeds once every id of ``bot_ids`` is listed, or once at least
    ``min_count`` bots fit the filters. With ``wait_for="gone"`` it succeeds once no bot fits: they
    have joined their meetings, finished, or been cancelled. The matching bots are the XCom. It runs
    in poke, reschedule and deferrable modes with one condition (:class:`ScheduledCriteria`).

    ``GET /calendar/scheduled`` has no cursor: a full page may be truncated. The sensor warns then;
    for ``"gone"`` with ``bot_ids`` it confirms each bot with ``GET /bots/{id}/status`` before
    succeeding, and without ``bot_ids`` it keeps waiting rather than report a false success.

    .. code-block:: python

        ListScheduledSensor(
            task_id="wait_for_bot",
            bot_ids="{{ ti.xcom_pull(task_ids='schedule')['bot_id'] }}",
            deferrable=True,
        )

    :param event_id: Only bots scheduled for this event (``custom_attributes.event_id``). Templated.
    :param deduplication_key: Only bots scheduled with this key. Templated.
    :param bot_ids: Only these bots: a list of ids, one id, or a ``ScheduleEventOperator`` XCom.
        Templated.
    :param min_count: With ``"scheduled"`` and no ``bot_ids``: how many matches are enough.
    :param wait_for: ``"scheduled"`` (default) or ``"gone"``.
    :param limit: Page size of the list, 1 to 100.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param deferrable: Wait in the triggerer instead of a worker slot. Defaults to the
        ``[operators] default_deferrable`` setting.
    """

    template_fields: Sequence[str] = ("event_id", "deduplication_key", "bot_ids", "meetstream_conn_id")
    ui_color = "#f4f0e0"

    def __init__(
        self,
        *,
        event_id: str | None = None,
        deduplication_key: str | None = None,
        bot_ids: list[str] | str | None = None,
        min_count: int = 1,
        wait_for: str = "scheduled",
        limit: int = validation.MAX_LIST_LIMIT,
        meetstream_conn_id: str = "meetstream_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.event_id = event_id
        self.deduplication_key = deduplication_key
        self.bot_ids = bot_ids
        self.min_count = min_count
        self.wait_for = wait_for
        self.limit = limit
        self.meetstream_conn_id = meetstream_conn_id
        self.deferrable = deferrable
        # Literal values fail at parse time; templated filters are checked once rendered.
        ScheduledCriteria.build(
            **{
                name: None if validation.is_templated(value) else value
                for name, value in (
                    ("event_id", event_id),
                    ("deduplication_key", deduplication_key),
                    ("bot_ids", bot_ids),
                )
            },
            min_count=min_count,
            wait_for=wait_for,
            limit=limit,
        )

    def _criteria(self) -> ScheduledCriteria:
        return ScheduledCriteria.build(
            event_id=self.event_id,
            deduplication_key=self.deduplication_key,
            bot_ids=self.bot_ids,
            min_count=self.min_count,
            wait_for=self.wait_for,
            limit=self.limit,
        )

    def poke(self, context: Context) -> PokeReturnValue:
        """Look at the scheduled list once (poke and reschedule modes, and before deferring)."""
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

        criteria = self._criteria()
        with MeetStreamHook(self.meetstream_conn_id) as hook:
            verdict = criteria.evaluate(hook.list_scheduled_bots(limit=criteria.limit))
            statuses = [_status_or_none(hook.get_bot_status, bot_id) for bot_id in verdict.to_confirm]
        _log_verdict(self.log, criteria, verdict)
        done = criteria.settle(verdict, statuses)
        return PokeReturnValue(is_done=done, xcom_value=_result(verdict, statuses) if done else None)

    def execute(self, context: Context) -> Any:
        """Check once; then poke, reschedule, or defer to :class:`ListScheduledTrigger`."""
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if first.is_done:
            return first.xcom_value
        from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger

        self.defer(
            trigger=ListScheduledTrigger(
                meetstream_conn_id=self.meetstream_conn_id,
                criteria=self._criteria().serialize(),
                poll_interval=float(self.poke_interval),
                timeout=float(self.timeout),
            ),
            method_name="execute_complete",
            # The trigger reports its own timeout at a poll boundary; the deferral's hard limit
            # comes later so that the sensor's clear timeout message wins.
            timeout=timedelta(seconds=float(self.timeout) + float(self.poke_interval) + 60),
        )
        return None

    def execute_complete(self, context: Context, event: dict[str, Any]) -> list[dict[str, Any]]:
        """Resume after the trigger: return the matching bots, or raise on an error or timeout event."""
        from airflow.providers.common.compat.sdk import AirflowSensorTimeout

        status = event.get("status")
        if status == "success":
            bots: list[dict[str, Any]] = event.get("bots") or []
            self.log.info("Condition met with %d bot(s).", len(bots))
            return bots
        if status == "timeout":
            raise AirflowSensorTimeout(
                event.get("message") or "The MeetStream condition was not met in time."
            )
        raise MeetStreamError(f"Waiting on MeetStream failed: {event.get('message', event)}")
