"""ListScheduledSensor: wait until MeetStream lists (or stops listing) the bots a DAG scheduled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import PokeReturnValue, conf

from airflow_provider_meetstream.constants import DEFAULT_CONN_ID, MAX_LIST_LIMIT, BotStatus
from airflow_provider_meetstream.exceptions import MeetStreamBotCancelledError
from airflow_provider_meetstream.hooks.mixin import merge_hook_params
from airflow_provider_meetstream.sensors.base import CheckThenDeferSensor
from airflow_provider_meetstream.templating import is_templated
from airflow_provider_meetstream.utils.event_bots import consult_event, event_to_consult
from airflow_provider_meetstream.utils.scheduled_bots import (
    ScheduledCriteria,
    found_or_none,
    log_verdict,
    result_bots,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger


class ListScheduledSensor(CheckThenDeferSensor):
    """
    Wait until MeetStream's list of scheduled bots shows the bots a DAG expects, or none of them.

    With ``wait_for="scheduled"`` it succeeds once every id of ``bot_ids`` is listed, or once at least
    ``min_count`` bots fit the filters. With ``wait_for="gone"`` it succeeds once no bot fits: they
    have joined their meetings, finished, or been cancelled. The matching bots are the XCom. It runs
    in poke, reschedule and deferrable modes with one condition
    (:class:`~airflow_provider_meetstream.utils.scheduled_bots.ScheduledCriteria`).

    ``GET /calendar/scheduled`` has no cursor: a full page may be truncated. The sensor warns then;
    with ``bot_ids`` it confirms each bot with ``GET /bots/{id}/status``; with an ``event_id`` it
    reads the event's own ``bots`` from ``GET /calendar/events`` (in its default window, now - 1 day
    to now + 28 days), confirming for ``"gone"`` each with its status; with neither, it keeps
    waiting rather than report a false success. ``min_count`` may not exceed ``limit``.

    A cancelled bot never comes back: with ``"scheduled"`` and ``bot_ids`` the sensor fails at once
    with :class:`~airflow_provider_meetstream.exceptions.MeetStreamBotCancelledError` (no retry),
    in every mode.

    .. code-block:: python

        ListScheduledSensor(task_id="wait_for_bot", bot_ids=schedule.output, deferrable=True)

    :param event_id: Only bots scheduled for this event (``custom_attributes.event_id``). Templated.
    :param deduplication_key: Only bots scheduled with this key. Templated.
    :param bot_ids: Only these bots: a list of ids, one id, or a ``ScheduleEventOperator`` XCom,
        passed as they are (``schedule.output``; ``sync.output["bot_ids"]`` of a sync with
        ``multiple_outputs=True``) or rendered as JSON; a Python repr is refused. Templated.
    :param min_count: With ``"scheduled"`` and no ``bot_ids``: how many matches are enough, at
        most ``limit``.
    :param wait_for: ``"scheduled"`` (default) or ``"gone"``.
    :param limit: Page size of the list, 1 to 100.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``, ``deadline``.
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
        limit: int = MAX_LIST_LIMIT,
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        hook_params: dict[str, Any] | None = None,
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
        self.hook_params = merge_hook_params(hook_params)
        self.deferrable = deferrable
        # Literal values fail at parse time; templated filters are checked once rendered.
        ScheduledCriteria.build(
            **{
                name: None if is_templated(value) else value
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
        criteria = self._criteria()
        with self.hook as hook:
            verdict = criteria.evaluate(hook.list_scheduled_bots(limit=criteria.limit))
            event_id = event_to_consult(criteria, verdict)
            if event_id is not None:
                verdict = consult_event(criteria, verdict, found_or_none(hook.get_event, event_id))
            statuses = [found_or_none(hook.get_bot_status, bot_id) for bot_id in verdict.to_confirm]
        log_verdict(self.log, criteria, verdict)
        done = criteria.settle(verdict, statuses)
        return PokeReturnValue(is_done=done, xcom_value=result_bots(verdict, statuses) if done else None)

    def build_trigger(self) -> ListScheduledTrigger:
        """The trigger that polls with the async client, on the same condition as :meth:`poke`."""
        from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger

        return ListScheduledTrigger(
            meetstream_conn_id=self.meetstream_conn_id,
            criteria=self._criteria().serialize(),
            poll_interval=float(self.poke_interval),
            timeout=float(self.timeout),
        )

    def raise_for_event(self, event: dict[str, Any]) -> None:
        """A cancelled bot the trigger reports is the sensor's own error: it never comes back."""
        if event.get("bot_status") == BotStatus.CANCELLED and isinstance(event.get("bot_id"), str):
            raise MeetStreamBotCancelledError(event["bot_id"], event["bot_status"])
