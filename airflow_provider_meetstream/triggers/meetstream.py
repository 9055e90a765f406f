"""ListScheduledTrigger: the triggerer side of a deferred ListScheduledSensor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream.triggers.polling import PollingTrigger
from airflow_provider_meetstream.utils.event_bots import consult_event, event_to_consult
from airflow_provider_meetstream.utils.scheduled_bots import (
    ScheduledCriteria,
    afound_or_none,
    log_verdict,
    result_bots,
)

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


class ListScheduledTrigger(PollingTrigger):
    """
    Poll MeetStream's scheduled list until the sensor's condition holds or the time runs out.

    It yields exactly one event: ``{"status": "success", "bots": [...]}``,
    ``{"status": "timeout", "message": ...}`` or ``{"status": "error", "message": ...}``; an
    exception inside becomes an error event, which for a cancelled bot also carries ``bot_id`` and
    ``bot_status``. The condition is the sensor's own
    :class:`~airflow_provider_meetstream.utils.scheduled_bots.ScheduledCriteria`.

    :param criteria: ``ScheduledCriteria.serialize()`` of the sensor.
    :param polling: ``meetstream_conn_id``, ``poll_interval``, ``timeout``, ``started_at``: see
        :class:`~airflow_provider_meetstream.triggers.polling.PollingTrigger`.
    """

    def __init__(self, *, criteria: dict[str, Any], **polling: Any) -> None:
        super().__init__(**polling)
        self.criteria = criteria

    def arguments(self) -> dict[str, Any]:
        """The trigger's own keyword arguments."""
        return {"criteria": dict(self.criteria)}

    async def wait_for_event(self, client: MeetStreamAsyncClient) -> dict[str, Any]:
        criteria = ScheduledCriteria.build(**self.criteria)

        async def poll() -> dict[str, Any] | None:
            verdict = criteria.evaluate(await client.list_scheduled_bots(limit=criteria.limit))
            event_id = event_to_consult(criteria, verdict)
            if event_id is not None:
                verdict = consult_event(criteria, verdict, await afound_or_none(client.get_event, event_id))
            statuses = [await afound_or_none(client.get_bot_status, bot_id) for bot_id in verdict.to_confirm]
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

        return await self.poll_until(poll, timed_out)
