"""ListScheduledTrigger: the triggerer side of a deferred ListScheduledSensor."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_meetstream.triggers.polling import poll_until, run_with_client
from airflow_provider_meetstream.utils.event_bots import aevent_or_none, consult_event, event_to_consult
from airflow_provider_meetstream.utils.scheduled_bots import (
    ScheduledCriteria,
    astatus_or_none,
    log_verdict,
    result_bots,
)

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


class ListScheduledTrigger(BaseTrigger):
    """
    Poll MeetStream's scheduled list until the sensor's condition holds or the time runs out.

    It yields exactly one event: ``{"status": "success", "bots": [...]}``,
    ``{"status": "timeout", "message": ...}`` or ``{"status": "error", "message": ...}``; an
    exception inside becomes an error event, which for a cancelled bot also carries ``bot_id`` and
    ``bot_status``. The condition is the sensor's own
    :class:`~airflow_provider_meetstream.utils.scheduled_bots.ScheduledCriteria`.

    :param meetstream_conn_id: The Airflow connection to use.
    :param criteria: ``ScheduledCriteria.serialize()`` of the sensor.
    :param poll_interval: Seconds between two looks at the list.
    :param timeout: Seconds from ``started_at`` until a timeout event, kept even in the middle of
        a poll.
    :param started_at: When the wait began (epoch seconds); now when None.
    """

    def __init__(
        self,
        *,
        meetstream_conn_id: str,
        criteria: dict[str, Any],
        poll_interval: float = 60.0,
        timeout: float = 7 * 24 * 3600.0,
        started_at: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.meetstream_conn_id = meetstream_conn_id
        self.criteria = criteria
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.started_at = time.time() if started_at is None else started_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and primitive keyword arguments to rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "meetstream_conn_id": self.meetstream_conn_id,
                "criteria": dict(self.criteria),
                "poll_interval": self.poll_interval,
                "timeout": self.timeout,
                "started_at": self.started_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until done, timed out or failed; yield one event, the API key scrubbed from it."""
        event = await run_with_client(self.meetstream_conn_id, self.log, self._wait)
        yield TriggerEvent(event)  # type: ignore[no-untyped-call]

    async def _wait(self, client: MeetStreamAsyncClient) -> dict[str, Any]:
        criteria = ScheduledCriteria.build(**self.criteria)

        async def poll() -> dict[str, Any] | None:
            verdict = criteria.evaluate(await client.list_scheduled_bots(limit=criteria.limit))
            event_id = event_to_consult(criteria, verdict)
            if event_id is not None:
                verdict = consult_event(criteria, verdict, await aevent_or_none(client.get_event, event_id))
            statuses = [await astatus_or_none(client.get_bot_status, bot_id) for bot_id in verdict.to_confirm]
            log_verdict(self.log, criteria, verdict)
            # A cancelled bot raises here; the loop makes it an error event carrying its fields.
            if not criteria.settle(verdict, statuses):
                return None
            return {"status": "success", "bots": result_bots(verdict, statuses)}

        def timed_out() -> dict[str, Any]:
            return {
                "status": "timeout",
                "message": f"After {self.timeout:.0f} s, still waiting for {criteria.describe()}.",
            }

        return await poll_until(
            poll,
            started_at=self.started_at,
            timeout=self.timeout,
            poll_interval=self.poll_interval,
            timeout_event=timed_out,
        )
